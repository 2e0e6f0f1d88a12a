package mailer

import (
	"context"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

func newSender(t *testing.T, srv *smtptest.Server, maxConns int) *SMTPSender {
	t.Helper()
	cfg, err := ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	cfg.Timeout = 5 * time.Second
	if strings.Contains(srv.URL(), "starttls") {
		cfg.TLSConfig = srv.ClientTLSConfig()
	}
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func messageTo(addr string) *Message {
	m := testMessage()
	m.To = mail.Address{Address: addr}
	return m
}

// Many messages travel over few connections: one when sent one after the
// other, at most MaxConns when sent at once.
func TestSMTPReusesConnections(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, 3)
	ctx := context.Background()
	for i := range 20 {
		if _, err := s.Send(ctx, messageTo(fmt.Sprintf("seq%d@example.org", i))); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Connections(); got != 1 {
		t.Errorf("20 messages in sequence used %d connections, want 1", got)
	}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			if _, err := s.Send(ctx, messageTo(fmt.Sprintf("par%d@example.org", i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := len(srv.Messages()); got != 80 {
		t.Errorf("server received %d messages, want 80", got)
	}
	if got := srv.Connections(); got > 3 {
		t.Errorf("80 messages used %d connections, want at most 3", got)
	}
	rcpts := map[string]int{}
	for _, m := range srv.Messages() {
		rcpts[m.To[0]]++
	}
	if len(rcpts) != 80 {
		t.Errorf("%d distinct recipients, want 80 (one message each)", len(rcpts))
	}
}

// When the relay drops an idle connection, the next message goes out over a
// new one without an error.
func TestSMTPReconnectsAfterDrop(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, 1)
	ctx := context.Background()
	if _, err := s.Send(ctx, messageTo("a@example.org")); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	time.Sleep(50 * time.Millisecond)
	if _, err := s.Send(ctx, messageTo("b@example.org")); err != nil {
		t.Fatalf("send after the relay dropped the connection: %v", err)
	}
	if got := srv.Connections(); got != 2 {
		t.Errorf("connections = %d, want 2", got)
	}
	if got := len(srv.Messages()); got != 2 {
		t.Errorf("messages = %d, want 2", got)
	}
}

func TestSMTPClassifiesReplies(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, 1)
	ctx := context.Background()
	srv.Reply("later@example.org", smtptest.Temporary())
	srv.Reply("unknown@example.org", smtptest.Unknown())
	srv.Reply("policy@example.org", smtptest.Policy())

	tests := []struct {
		rcpt      string
		temporary bool
		code      int
		enhanced  string
		rejected  bool
	}{
		{"later@example.org", true, 451, "4.3.0", false},
		{"unknown@example.org", false, 550, "5.1.1", true},
		{"policy@example.org", false, 550, "5.7.1", false},
	}
	for _, tt := range tests {
		_, err := s.Send(ctx, messageTo(tt.rcpt))
		e, ok := AsError(err)
		if !ok {
			t.Fatalf("%s: error %v is not a *mailer.Error", tt.rcpt, err)
		}
		if e.Temporary != tt.temporary || e.Code != tt.code || e.Enhanced != tt.enhanced ||
			e.Stage != StageRcptTo || e.RecipientRejected() != tt.rejected {
			t.Errorf("%s: got temporary=%v code=%d enhanced=%q stage=%s rejected=%v; want %v %d %q RCPT TO %v",
				tt.rcpt, e.Temporary, e.Code, e.Enhanced, e.Stage, e.RecipientRejected(), tt.temporary, tt.code, tt.enhanced, tt.rejected)
		}
		if strings.Contains(e.Error(), tt.rcpt) {
			t.Errorf("error text names the recipient: %v", e)
		}
	}
	// The temporary failure is gone on the second try, over the same
	// connection: rejections leave the session usable.
	if _, err := s.Send(ctx, messageTo("later@example.org")); err != nil {
		t.Errorf("retry after 4xx: %v", err)
	}
	if got := srv.Connections(); got != 1 {
		t.Errorf("connections = %d, want 1", got)
	}
}

// AUTH over a plain connection works only to a relay on loopback.
func TestSMTPAuthWithoutTLSOnLoopback(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Username: "knf", Password: "relay-pass"})
	s := newSender(t, srv, 1)
	if _, err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("AUTH PLAIN to a loopback relay without TLS: %v", err)
	}
	if len(srv.Messages()) != 1 {
		t.Error("message not delivered")
	}
}

func TestSMTPUnreachableIsTemporary(t *testing.T) {
	t.Parallel()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, _ := NewSMTPSender(SMTPConfig{Host: "127.0.0.1", Port: port, TLS: TLSNone, Timeout: 2 * time.Second})
	_, err := s.Send(context.Background(), testMessage())
	e, ok := AsError(err)
	if !ok || !e.Temporary || e.Stage != StageConnect || e.RecipientRejected() {
		t.Errorf("unreachable relay: %#v", err)
	}
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{StartTLS: true, Username: "knf", Password: "geh eim%"})
	s := newSender(t, srv, 1)
	if _, err := s.Send(context.Background(), testMessage()); err != nil {
		t.Fatalf("send with STARTTLS and AUTH: %v", err)
	}
	if got := len(srv.Messages()); got != 1 {
		t.Errorf("messages = %d, want 1", got)
	}

	cfg := s.cfg
	cfg.Password = "falsch"
	wrong, _ := NewSMTPSender(cfg)
	if _, err := wrong.Send(context.Background(), testMessage()); err == nil {
		t.Error("wrong password accepted")
	}

	plain := smtptest.Start(t, smtptest.Options{})
	cfg, _ = ParseSMTPURL(strings.Replace(plain.URL(), "tls=none", "tls=starttls", 1))
	cfg.Timeout = 2 * time.Second
	noTLS, _ := NewSMTPSender(cfg)
	if _, err := noTLS.Send(context.Background(), testMessage()); err == nil {
		t.Error("tls=starttls sent to a relay without STARTTLS")
	}
	if len(plain.Messages()) != 0 {
		t.Error("message reached a relay without TLS although starttls was required")
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		url     string
		want    SMTPConfig
		wantErr bool
	}{
		{"smtp://mail.example.org", SMTPConfig{Host: "mail.example.org", Port: 587, TLS: TLSStartTLS}, false},
		{"smtp://knf:g%40heim@mail.example.org:2525?tls=starttls", SMTPConfig{Host: "mail.example.org", Port: 2525, TLS: TLSStartTLS, Username: "knf", Password: "g@heim"}, false},
		{"smtps://mail.example.org", SMTPConfig{Host: "mail.example.org", Port: 465, TLS: TLSImplicit}, false},
		{"smtp://127.0.0.1:1025?tls=none", SMTPConfig{Host: "127.0.0.1", Port: 1025, TLS: TLSNone}, false},
		{"smtp://mailpit?tls=none&timeout=10s&helo=knf.example", SMTPConfig{Host: "mailpit", Port: 25, TLS: TLSNone, Timeout: 10 * time.Second, HELO: "knf.example"}, false},
		{"http://mail.example.org", SMTPConfig{}, true},
		{"smtp://", SMTPConfig{}, true},
		{"smtp://mail.example.org?tls=maybe", SMTPConfig{}, true},
		{"smtp://mail.example.org?tsl=none", SMTPConfig{}, true},
		{"smtps://mail.example.org?tls=none", SMTPConfig{}, true},
		{"smtp://mail.example.org:99999", SMTPConfig{}, true},
		{"smtp://knf:geheim@mail.example.org?tls=none", SMTPConfig{}, true},
		{"smtp://knf:geheim@127.0.0.1:1025?tls=none", SMTPConfig{Host: "127.0.0.1", Port: 1025, TLS: TLSNone, Username: "knf", Password: "geheim"}, false},
		{"smtp://mail.example.org?timeout=soon", SMTPConfig{}, true},
	}
	for _, tt := range tests {
		got, err := ParseSMTPURL(tt.url)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSMTPURL(%q) error = %v, want error %v", tt.url, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("ParseSMTPURL(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
	}
	cfg, _ := ParseSMTPURL("smtp://knf:geheim@mail.example.org")
	if r := cfg.Redacted(); strings.Contains(r, "geheim") || !strings.Contains(r, "knf:xxxxx@") {
		t.Errorf("Redacted = %q", r)
	}
}

// A return path goes into MAIL FROM on both paths, and refuses what is
// not a bare address; without one, MAIL FROM is From. The outbox writes
// it as the Return-Path a delivering server would add.
func TestReturnPathIsTheEnvelopeSender(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, 1)
	ctx := context.Background()
	const verp = "bounces+d42-0123456789abcdef@example.org"

	plain := messageTo("plain@example.org")
	with := messageTo("single@example.org")
	with.ReturnPath = verp
	b, err := NewBulk(testMessage())
	if err != nil {
		t.Fatal(err)
	}
	for _, send := range []func() error{
		func() error { _, err := s.Send(ctx, plain); return err },
		func() error { _, err := s.Send(ctx, with); return err },
		func() error {
			_, err := s.SendBulk(ctx, b, &Letter{To: mail.Address{Address: "bulk@example.org"}, ReturnPath: verp})
			return err
		},
	} {
		if err := send(); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for _, m := range srv.Messages() {
		got[m.To[0]] = m.From
		if strings.Contains(string(m.Data), "Return-Path") {
			t.Errorf("the message to %s carries a Return-Path field; the receiving server adds it", m.To[0])
		}
	}
	want := map[string]string{"plain@example.org": testMessage().From.Address, "single@example.org": verp, "bulk@example.org": verp}
	for to, from := range want {
		if got[to] != from {
			t.Errorf("MAIL FROM of the message to %s = %q, want %q", to, got[to], from)
		}
	}

	bad := messageTo("x@example.org")
	bad.ReturnPath = "bounces@example.org\r\nRCPT TO:<victim@example.org>"
	if _, err := s.Send(ctx, bad); err == nil {
		t.Error("a return path with a line break was sent")
	}

	o, err := NewOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := o.SendBulk(ctx, b, &Letter{To: mail.Address{Address: "bulk@example.org"}, ReturnPath: verp})
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(r.Reply, "250 written to ")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "Return-Path: <"+verp+">\r\n") {
		t.Errorf("outbox file starts %q, want the Return-Path", string(data[:min(len(data), 80)]))
	}
}
