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
	"sync/atomic"
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
	// mail answers MAIL FROM; "" means 250. to is the recipient of a
	// pipelined RCPT that follows, "" without pipelining.
	mail func(to string) string
	// closeAfterRefusal closes the connection right after a 4xx or 5xx
	// reply to MAIL or RCPT, as some relays do.
	closeAfterRefusal bool
	// utf8 offers SMTPUTF8, and without it refuses non-ASCII addresses
	// as Postfix does.
	utf8 bool
	// utf8Mail counts the MAIL commands that asked for SMTPUTF8.
	utf8Mail int
	rcpts    []string // every RCPT TO address, as received
	// hangUp, when it returns true, closes the connection without a reply
	// on reading cmd ("MAIL" or "DATA", or "TEXT" for the end of the text)
	// of a transaction to to. At MAIL, to is known from a pipelined RCPT
	// only.
	hangUp func(cmd, to string) bool
	// text answers the end of the text of a message to to; "" means 250.
	text func(to string) string

	addr    string
	mu      sync.Mutex
	msgs    []string // the text of each message taken, as received
	conn    int
	grouped int // transactions whose MAIL, RCPT and DATA came in one write
	behind  int // MAIL commands that came in one write with the text before
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
			exts := []string{"scripted.example"}
			if s.pipelining {
				exts = append(exts, "PIPELINING")
			}
			if s.utf8 {
				exts = append(exts, "SMTPUTF8")
			}
			for i, e := range exts {
				sep := "-"
				if i == len(exts)-1 {
					sep = " "
				}
				reply("250" + sep + e)
			}
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			grouped := r.Buffered() > 0
			ahead, _ := r.Peek(r.Buffered())
			next, _, _ := strings.Cut(strings.TrimPrefix(string(ahead), "RCPT TO:<"), ">")
			if s.hangUp != nil && s.hangUp("MAIL", next) {
				return
			}
			if s.pipelining && grouped {
				s.mu.Lock()
				s.grouped++
				s.mu.Unlock()
			}
			asksUTF8 := strings.HasSuffix(cmd, " SMTPUTF8")
			if asksUTF8 {
				s.mu.Lock()
				s.utf8Mail++
				s.mu.Unlock()
			}
			if !isASCII(line) && !asksUTF8 {
				reply("553 5.6.7 SMTPUTF8 is required, but was not offered")
				continue
			}
			if s.mail != nil {
				if a := s.mail(next); a != "" {
					reply(a)
					if s.closeAfterRefusal {
						return
					}
					continue
				}
			}
			reply("250 2.1.0 Ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = strings.Trim(strings.TrimSpace(line)[len("RCPT TO:"):], "<>")
			rcptOK = true
			s.mu.Lock()
			s.rcpts = append(s.rcpts, to)
			s.mu.Unlock()
			if !isASCII(to) && !s.utf8 {
				rcptOK = false
				reply("553 5.6.7 SMTPUTF8 is required, but was not offered")
				continue
			}
			if s.rcpt != nil {
				if a := s.rcpt(to); a != "" {
					rcptOK = false
					reply(a)
					if s.closeAfterRefusal {
						return
					}
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
			if s.hangUp != nil && s.hangUp("TEXT", to) {
				return
			}
			if ahead, _ := r.Peek(r.Buffered()); strings.HasPrefix(string(ahead), "MAIL FROM:") {
				s.mu.Lock()
				s.behind++
				s.mu.Unlock()
			}
			if s.text != nil {
				if a := s.text(to); a != "" {
					reply(a)
					continue
				}
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

// bulkSender returns a function that sends a copy of one bulk message to
// an address through a sender of its own to s.
func (s *scripted) bulkSender(t *testing.T) func(to string) error {
	t.Helper()
	snd := s.sender(t)
	p := newBulkPair(t, mail.Address{Address: "a@example.org"}, "{g}\n", "<p>{g}</p>", map[string]string{"g": "Hallo", "unsubscribe": "u"})
	return func(to string) error {
		l := *p.copy
		l.To.Address, l.MessageID = to, ""
		_, err := snd.SendBulk(context.Background(), p.bulk, &l)
		return err
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
	send := srv.bulkSender(t)
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

// The first refusal decides: a relay that refuses the recipient (or the
// sender) and then hangs up has refused it for good, with or without
// pipelining; the hang-up only costs the connection. A 421 to MAIL on a
// reused connection is "try a new connection", and the message goes.
func TestSMTPRefusalThenHangUp(t *testing.T) {
	t.Parallel()
	for _, pipelining := range []bool{false, true} {
		t.Run(fmt.Sprintf("pipelining=%v", pipelining), func(t *testing.T) {
			t.Parallel()
			var mails atomic.Int32
			srv := startScripted(t, &scripted{
				pipelining:        pipelining,
				closeAfterRefusal: true,
				rcpt: func(to string) string {
					if to == "gone@example.org" {
						return "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown in local recipient table"
					}
					return ""
				},
				mail: func(to string) string {
					switch {
					case mails.Add(1) == 2: // the second message, on the reused connection
						return "421 4.4.2 scripted.example Error: timeout exceeded"
					case to == "spam@example.org":
						return "550 5.7.1 Client host rejected: listed at a block list"
					}
					return ""
				},
			})
			send := srv.bulkSender(t)
			tests := []struct {
				to       string
				code     int
				stage    Stage
				rejected bool
			}{
				{"first@example.org", 0, "", false},
				{"closing@example.org", 0, "", false},
				{"gone@example.org", 550, StageRcptTo, true},
			}
			if pipelining {
				// Without pipelining the relay cannot know the recipient
				// at MAIL.
				tests = append(tests, struct {
					to       string
					code     int
					stage    Stage
					rejected bool
				}{"spam@example.org", 550, StageMailFrom, false})
			}
			for _, tt := range tests {
				err := send(tt.to)
				if tt.stage == "" {
					if err != nil {
						t.Errorf("%s: %v, want it sent on a new connection", tt.to, err)
					}
					continue
				}
				e, ok := AsError(err)
				if !ok {
					t.Fatalf("%s: %v, want a *mailer.Error", tt.to, err)
				}
				if e.Temporary || e.Code != tt.code || e.Stage != tt.stage || e.RecipientRejected() != tt.rejected {
					t.Errorf("%s: temporary %v code %d stage %s rejected %v; want permanent %d %s %v (%v)",
						tt.to, e.Temporary, e.Code, e.Stage, e.RecipientRejected(), tt.code, tt.stage, tt.rejected, e)
				}
				if strings.Contains(e.Error(), "gone") || strings.Contains(e.Reply(), "@example.org") {
					t.Errorf("%s: the error names the recipient: %v", tt.to, e)
				}
			}
			if err := send("last@example.org"); err != nil {
				t.Errorf("after the refusals: %v", err)
			}
		})
	}
}

// An address with an international domain goes out as its A-label
// (RFC 5890) to any relay, in the envelope and the To header; one with a
// non-ASCII local part needs SMTPUTF8 (RFC 6531): a relay that offers it
// gets it with MAIL FROM ... SMTPUTF8, one that does not gets nothing and
// the failure does not blame the address.
func TestSMTPInternationalAddresses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		utf8, pipelining bool
	}{{false, false}, {false, true}, {true, false}, {true, true}} {
		t.Run(fmt.Sprintf("smtputf8=%v,pipelining=%v", tc.utf8, tc.pipelining), func(t *testing.T) {
			t.Parallel()
			srv := startScripted(t, &scripted{pipelining: tc.pipelining, utf8: tc.utf8})
			s := srv.sender(t)
			p := newBulkPair(t, mail.Address{Address: "a@example.org"}, "{g}\n", "<p>{g}</p>", map[string]string{"g": "Hallo", "unsubscribe": "u"})
			bulk := func(to string) error {
				l := *p.copy
				l.To, l.MessageID = mail.Address{Name: "Jörg", Address: to}, ""
				_, err := s.SendBulk(context.Background(), p.bulk, &l)
				return err
			}
			single := func(to string) error {
				m := messageTo(to)
				_, err := s.Send(context.Background(), m)
				return err
			}
			for _, send := range []func(string) error{bulk, single} {
				if err := send("user@müller.example"); err != nil {
					t.Fatalf("user@müller.example: %v", err)
				}
				err := send("jörg@example.org")
				if tc.utf8 {
					if err != nil {
						t.Errorf("jörg@example.org to a relay with SMTPUTF8: %v", err)
					}
					continue
				}
				e, ok := AsError(err)
				if !ok || !errors.Is(err, ErrNoSMTPUTF8) || e.Temporary || e.RecipientRejected() {
					t.Errorf("jörg@example.org without SMTPUTF8: %v; want a permanent failure that is not the address's", err)
				}
			}
			srv.mu.Lock()
			rcpts, utf8Mail := append([]string(nil), srv.rcpts...), srv.utf8Mail
			srv.mu.Unlock()
			msgs, conns, _ := srv.taken()
			wantRcpts := []string{"user@xn--mller-kva.example", "user@xn--mller-kva.example"}
			if tc.utf8 {
				wantRcpts = []string{"user@xn--mller-kva.example", "jörg@example.org", "user@xn--mller-kva.example", "jörg@example.org"}
			}
			if strings.Join(rcpts, " ") != strings.Join(wantRcpts, " ") {
				t.Errorf("RCPT TO %q, want %q", rcpts, wantRcpts)
			}
			if conns != 1 {
				t.Errorf("%d connections, want 1: refusing to send keeps the session", conns)
			}
			if want := map[bool]int{false: 0, true: 2}[tc.utf8]; utf8Mail != want {
				t.Errorf("%d MAIL commands with SMTPUTF8, want %d (only for the non-ASCII local part)", utf8Mail, want)
			}
			for _, m := range msgs {
				to := decode(t, []byte(m)).header["To"]
				if !strings.Contains(to, "<user@xn--mller-kva.example>") && !(tc.utf8 && strings.Contains(to, "<jörg@example.org>")) {
					t.Errorf("To header %q", to)
				}
			}
		})
	}
}
