package mailer

import (
	"context"
	"net/mail"
	"slices"
	"sync/atomic"
	"testing"
)

// reported is what a pipeline's done said about one letter.
type reported struct {
	to    string
	reply string
	err   *Error
}

// pipe returns a pipeline of a sender of its own to s, and what its done
// has reported so far.
func (s *scripted) pipe(t *testing.T) (send func(to string), p Pipeline, got *[]reported) {
	t.Helper()
	snd := s.sender(t)
	pair := newBulkPair(t, mail.Address{Address: "a@example.org"}, "{g}\n.Punkt\n", "<p>{g}</p>", map[string]string{"g": "Hallo", "unsubscribe": "u"})
	got = new([]reported)
	p = snd.Pipeline(context.Background(), func(l *Letter, r Receipt, err error) {
		rep := reported{to: l.To.Address, reply: r.Reply}
		if err != nil {
			rep.err, _ = AsError(err)
			if rep.err == nil {
				t.Errorf("done(%s): error %T %v, want *Error", l.To.Address, err, err)
			}
		} else if r.MessageID != l.MessageID || r.MessageID == "" {
			t.Errorf("done(%s): receipt Message-ID %q, letter %q", l.To.Address, r.MessageID, l.MessageID)
		}
		*got = append(*got, rep)
	})
	send = func(to string) {
		l := *pair.copy
		l.To.Address, l.MessageID = to, ""
		p.Send(pair.bulk, &l)
	}
	return send, p, got
}

var fiveRecipients = []string{"a@example.net", "b@example.net", "c@example.net", "d@example.net", "e@example.net"}

// Behind the first letter, each letter's MAIL, RCPT and DATA go in one
// write with the text before; done learns every letter's fate once, in
// order, and each copy arrives whole.
func TestPipelineSendsEachEnvelopeBehindTheTextBefore(t *testing.T) {
	s := startScripted(t, &scripted{pipelining: true})
	send, p, got := s.pipe(t)
	for _, to := range fiveRecipients {
		send(to)
	}
	if len(*got) != 4 {
		t.Errorf("before Close %d letters reported, want 4: the last one's text is still to go", len(*got))
	}
	p.Close()
	var tos []string
	for _, r := range *got {
		tos = append(tos, r.to)
		if r.err != nil || r.reply != "2.0.0 Ok: queued as 4711" {
			t.Errorf("%s: reply %q, error %v; want the relay's 250", r.to, r.reply, r.err)
		}
	}
	if !slices.Equal(tos, fiveRecipients) {
		t.Errorf("reported %v, want each once in order %v", tos, fiveRecipients)
	}
	msgs, conns, _ := s.taken()
	if len(msgs) != 5 || conns != 1 {
		t.Errorf("relay took %d messages over %d connections, want 5 over 1", len(msgs), conns)
	}
	for _, m := range msgs {
		decoded := decode(t, []byte(m))
		if got := decoded.parts["text/plain"]; got != "Hallo\r\n.Punkt\r\n" {
			t.Errorf("text %q, want the dot-stuffed line back", got)
		}
	}
	if s.behind != 4 {
		t.Errorf("%d envelopes went behind a text, want 4", s.behind)
	}
}

// Flush sends the started letter's text and reports it; the pipeline goes
// on over the same connection.
func TestPipelineFlush(t *testing.T) {
	s := startScripted(t, &scripted{pipelining: true})
	send, p, got := s.pipe(t)
	send("a@example.net")
	p.Flush()
	if len(*got) != 1 || (*got)[0].err != nil {
		t.Fatalf("after Flush %+v, want a@ sent", *got)
	}
	send("b@example.net")
	p.Close()
	if _, conns, _ := s.taken(); len(*got) != 2 || (*got)[1].err != nil || conns != 1 || s.behind != 0 {
		t.Errorf("after Close %+v over %d connections, %d behind a text; want b@ sent over the same one, none behind", *got, conns, s.behind)
	}
}

// What the relay refuses, and where it hangs up, ends one letter; the
// letters after it go on, over a fresh connection when the old one is
// gone.
func TestPipelineFailures(t *testing.T) {
	const c = "c@example.net"
	// once hangs up once, on reading cmd of a transaction to rcpt.
	once := func(cmd, rcpt string) func(string, string) bool {
		var done atomic.Bool
		return func(got, to string) bool { return got == cmd && to == rcpt && !done.Swap(true) }
	}
	type want struct {
		temporary bool
		code      int
		stage     Stage
	}
	tests := []struct {
		name   string
		s      *scripted
		c      *want // c@'s error; nil: sent
		taken  int
		conns  int
		behind int
	}{
		{"recipient refused", &scripted{pipelining: true, rcpt: func(to string) string {
			if to == c {
				return "550 5.1.1 no such user"
			}
			return ""
		}}, &want{false, 550, StageRcptTo}, 4, 1, 3},
		{"text refused", &scripted{pipelining: true, text: func(to string) string {
			if to == c {
				return "554 5.7.1 rejected"
			}
			return ""
		}}, &want{false, 554, StageData}, 4, 1, 4},
		{"closing after a text", &scripted{pipelining: true, text: func(to string) string {
			if to == c {
				return "421 4.3.2 shutting down"
			}
			return ""
		}}, &want{true, 421, StageData}, 4, 2, 4},
		{"hang-up after a text", &scripted{pipelining: true, hangUp: once("TEXT", c)}, &want{true, 0, StageData}, 4, 2, 3},
		// d@'s envelope went behind c@'s text; the relay took c@ and
		// hung up: d@ goes again on a fresh connection.
		{"hang-up at MAIL behind a text", &scripted{pipelining: true, hangUp: once("MAIL", "d@example.net")}, nil, 5, 2, 4},
		{"relay without PIPELINING", &scripted{}, nil, 5, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startScripted(t, tt.s)
			send, p, got := s.pipe(t)
			for _, to := range fiveRecipients {
				send(to)
			}
			p.Close()
			var tos []string
			for _, r := range *got {
				tos = append(tos, r.to)
				switch {
				case r.to == c && tt.c != nil:
					if r.err == nil || r.err.Temporary != tt.c.temporary || r.err.Code != tt.c.code || r.err.Stage != tt.c.stage {
						t.Errorf("%s: error %+v, want %+v", r.to, r.err, *tt.c)
					}
				case r.err != nil:
					t.Errorf("%s: error %v, want sent", r.to, r.err)
				}
			}
			if !slices.Equal(tos, fiveRecipients) {
				t.Errorf("reported %v, want each once in order", tos)
			}
			msgs, conns, _ := s.taken()
			if len(msgs) != tt.taken || conns != tt.conns || s.behind != tt.behind {
				t.Errorf("relay took %d over %d connections, %d envelopes behind a text; want %d over %d, %d",
					len(msgs), conns, s.behind, tt.taken, tt.conns, tt.behind)
			}
		})
	}
}
