package mailer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a strict SMTP peer on 127.0.0.1 for the corners of
// pipelining that a library server does not show: it offers PIPELINING or
// not (and then refuses commands that come in a group), and misbehaves for
// chosen recipients.
type scripted struct {
	pipelining bool
	// rcpt answers RCPT TO for an address; "" means 250.
	rcpt func(to string) string
	// hangUp, when it returns true, closes the connection without a reply
	// on reading cmd ("MAIL" or "DATA") of a transaction to to. At MAIL,
	// to is known from a pipelined RCPT only.
	hangUp func(cmd, to string) bool

	addr    string
	mu      sync.Mutex
	msgs    []string // the text of each message taken, as received
	conn    int
	grouped int // transactions whose MAIL, RCPT and DATA came in one write
}

func startScripted(t *testing.T, s *scripted) *scripted {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s.addr = l.Addr().String()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn++
			s.mu.Unlock()
			go s.serve(c)
		}
	}()
	return s
}

func (s *scripted) sender(t *testing.T) *SMTPSender {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.addr)
	cfg, err := ParseSMTPURL("smtp://" + host + ":" + port + "?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns, cfg.Timeout = 1, 5*time.Second
	snd, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { snd.Close() })
	return snd
}

func (s *scripted) serve(c net.Conn) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(line string) { fmt.Fprintf(w, "%s\r\n", line); w.Flush() }
	reply("220 scripted.example ESMTP")
	var to string
	var rcptOK bool
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		if !s.pipelining && r.Buffered() > 0 && !strings.HasPrefix(cmd, "EHLO") {
			reply("503 5.5.0 PIPELINING was not offered")
			return
		}
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			if s.pipelining {
				reply("250-scripted.example")
				reply("250 PIPELINING")
			} else {
				reply("250 scripted.example")
			}
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			grouped := r.Buffered() > 0
			if s.hangUp != nil {
				ahead, _ := r.Peek(r.Buffered())
				next, _, _ := strings.Cut(strings.TrimPrefix(string(ahead), "RCPT TO:<"), ">")
				if s.hangUp("MAIL", next) {
					return
				}
			}
			if s.pipelining && grouped {
				s.mu.Lock()
				s.grouped++
				s.mu.Unlock()
			}
			reply("250 2.1.0 Ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = strings.Trim(strings.TrimSpace(line)[len("RCPT TO:"):], "<>")
			rcptOK = true
			if s.rcpt != nil {
				if a := s.rcpt(to); a != "" {
					rcptOK = false
					reply(a)
					continue
				}
			}
			reply("250 2.1.5 Ok")
		case cmd == "DATA":
			if s.hangUp != nil && s.hangUp("DATA", to) {
				return
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			var text strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				text.WriteString(strings.TrimPrefix(l, "."))
			}
			if rcptOK {
				s.mu.Lock()
				s.msgs = append(s.msgs, text.String())
				s.mu.Unlock()
			}
			reply("250 2.0.0 Ok: queued as 4711")
		case cmd == "RSET", cmd == "NOOP":
			reply("250 2.0.0 Ok")
		case cmd == "QUIT":
			reply("221 2.0.0 Bye")
			return
		default:
			reply("502 5.5.2 Error: command not recognized")
		}
	}
}

func (s *scripted) taken() ([]string, int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...), s.conn, s.grouped
}

// With and without PIPELINING a copy arrives whole and dot-stuffed, and
// the group is only sent to a relay that offers it.
func TestSMTPPipelining(t *testing.T) {
	t.Parallel()
	for _, pipelining := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			t.Parallel()
			srv := startScripted(t, &scripted{pipelining: pipelining})
			s := srv.sender(t)
			p := newBulkPair(t, mail.Address{Address: "a@example.org"}, ".{g}\n..\nEnde\n", "<p>{g}</p>", map[string]string{"g": ".Hallo", "unsubscribe": "u"})
			for range 3 {
				l := *p.copy
				l.MessageID = ""
				r, err := s.SendBulk(context.Background(), p.bulk, &l)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(r.Reply, "queued as 4711") {
					t.Errorf("reply %q, want the relay's text", r.Reply)
				}
			}
			msgs, conns, grouped := srv.taken()
			if len(msgs) != 3 || conns != 1 {
				t.Fatalf("%d messages over %d connections, want 3 over 1", len(msgs), conns)
			}
			if want := map[bool]int{false: 0, true: 3}[pipelining]; grouped != want {
				t.Errorf("%d transactions sent as one group, want %d", grouped, want)
			}
			got := strings.ReplaceAll(decode(t, []byte(msgs[0])).parts["text/plain"], "\r\n", "\n")
			if !strings.HasPrefix(got, "..Hallo\n..\nEnde") {
				t.Errorf("text after the relay: %q", got)
			}
		})
	}
}

// A pipelined group keeps the session in step whatever the relay answers.
func TestSMTPPipeliningRefusals(t *testing.T) {
	t.Parallel()
	var dropped sync.Map
	srv := startScripted(t, &scripted{
		pipelining: true,
		rcpt: func(to string) string {
			switch to {
			case "unknown@example.org":
				return "550 5.1.1 User unknown" // and DATA still gets 354, as from a bad relay
			case "later@example.org":
				return "451 4.3.0 Try again later"
			}
			return ""
		},
		hangUp: func(cmd, to string) bool {
			// The relay hangs up at the first try to idle@ before it
			// replies to anything, as if it had timed out the idle
			// connection, and at every DATA to data@.
			if cmd == "MAIL" && to == "idle@example.org" {
				_, seen := dropped.LoadOrStore(to, true)
				return !seen
			}
			return cmd == "DATA" && to == "data@example.org"
		},
	})
	s := srv.sender(t)
	p := newBulkPair(t, mail.Address{Address: "a@example.org"}, "{g}\n", "<p>{g}</p>", map[string]string{"g": "Hallo", "unsubscribe": "u"})
	send := func(to string) error {
		l := *p.copy
		l.To.Address, l.MessageID = to, ""
		_, err := s.SendBulk(context.Background(), p.bulk, &l)
		return err
	}
	tests := []struct {
		to        string
		code      int
		temporary bool
		stage     Stage
	}{
		{"first@example.org", 0, false, ""},
		{"unknown@example.org", 550, false, StageRcptTo},
		{"second@example.org", 0, false, ""},
		{"later@example.org", 451, true, StageRcptTo},
		{"third@example.org", 0, false, ""},
		{"idle@example.org", 0, false, ""}, // no reply at all: sent again on a new connection
		{"fourth@example.org", 0, false, ""},
		{"data@example.org", 0, true, StageData}, // MAIL and RCPT taken, then gone: for the caller to retry
		{"fifth@example.org", 0, false, ""},
	}
	for _, tt := range tests {
		err := send(tt.to)
		if tt.stage == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.to, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: got %v, want a *mailer.Error", tt.to, err)
		}
		if e.Code != tt.code || e.Temporary != tt.temporary || e.Stage != tt.stage {
			t.Errorf("%s: got code %d temporary %v stage %s, want %d %v %s", tt.to, e.Code, e.Temporary, e.Stage, tt.code, tt.temporary, tt.stage)
		}
	}
	msgs, conns, _ := srv.taken()
	if len(msgs) != 6 {
		t.Errorf("relay took %d messages, want the 6 good ones", len(msgs))
	}
	if conns != 3 {
		t.Errorf("%d connections, want 3: refusals keep the session, each hang-up needs a new one", conns)
	}
}
