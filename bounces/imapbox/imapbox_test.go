package imapbox_test

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/bounces/imapbox"
	"github.com/knf-nordhausen/rundbrief/internal/imaptest"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// reports is a Processor that reads reports without a database and
// remembers the mails of those that act.
type reports struct {
	v    *bounces.VERP
	mu   sync.Mutex
	seen []maillog.Ref
}

func (p *reports) Process(_ context.Context, r io.Reader) (bounces.Result, error) {
	rep, err := p.v.Read(r)
	res := bounces.Result{Report: rep}
	if err == nil && rep.Acts() {
		p.mu.Lock()
		p.seen = append(p.seen, rep.Mail)
		p.mu.Unlock()
		res.Effect = subscribers.BounceMarked
	}
	return res, err
}

func (p *reports) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

func sample(t *testing.T, v *bounces.VERP, name string, id int64) []byte {
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("{{BOUNCE}}"), []byte(v.Address(maillog.Ref{Log: maillog.Deliveries, ID: id})))
}

func newReader(t *testing.T, srv *imaptest.Server, query string) (*imapbox.Reader, *reports) {
	v, err := bounces.NewVERP("bounces@nordhausen.example", []byte("a test secret of thirty-two bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := imapbox.ParseURL(srv.URL(query))
	if err != nil {
		t.Fatal(err)
	}
	p := &reports{v: v}
	return &imapbox.Reader{Config: cfg, Processor: p}, p
}

// A pass reads each mail once: reports that act are marked read and
// moved; the colleague's mail and the auto-reply stay unread in the
// inbox, only marked with the keyword.
func TestPollReadsEachMailOnce(t *testing.T) {
	srv := imaptest.Start(t)
	r, p := newReader(t, srv, "move=Erledigt")
	srv.Append(t, "INBOX",
		sample(t, p.v, "postfix-hard.eml", 1),
		sample(t, p.v, "colleague.eml", 0),
		sample(t, p.v, "outlook-autoreply.eml", 2),
		sample(t, p.v, "arf-complaint.eml", 3))
	srv.Append(t, "Erledigt")

	ctx := context.Background()
	n, err := r.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != (imapbox.Counts{Read: 4, Acted: 2}) {
		t.Errorf("first pass: %+v, want 4 read, 2 acted", n)
	}
	if n, err := r.Poll(ctx); err != nil || n.Read != 0 {
		t.Errorf("second pass read %d mails (%v), want 0", n.Read, err)
	}
	if p.count() != 2 {
		t.Errorf("processed %d reports, want 2", p.count())
	}
	inbox := srv.Mails(t, "INBOX")
	if len(inbox) != 2 {
		t.Fatalf("inbox holds %d mails, want the 2 that are not reports", len(inbox))
	}
	for _, m := range inbox {
		if !m.Has(imapbox.Keyword) || m.Has(`\Seen`) {
			t.Errorf("%q: flags %v, want the keyword and not \\Seen", m.Subject, m.Flags)
		}
	}
	done := srv.Mails(t, "Erledigt")
	if len(done) != 2 {
		t.Fatalf("Erledigt holds %d mails, want the 2 reports", len(done))
	}
	for _, m := range done {
		if !m.Has(`\Seen`) {
			t.Errorf("%q moved without \\Seen: %v", m.Subject, m.Flags)
		}
	}
}

// Run idles on the mailbox and reads a report as it arrives, long before
// its next poll.
func TestRunReadsNewMailAtOnce(t *testing.T) {
	srv := imaptest.Start(t)
	r, p := newReader(t, srv, "")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx, time.Hour); close(stopped) }()
	time.Sleep(300 * time.Millisecond) // the first pass, then IDLE
	srv.Append(t, "INBOX", sample(t, p.v, "gmail-hard.eml", 77))
	deadline := time.Now().Add(10 * time.Second)
	for p.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-stopped
	if p.count() != 1 || p.seen[0].ID != 77 {
		t.Fatalf("processed %v, want delivery 77 within the idle", p.seen)
	}
	if m := srv.Mails(t, "INBOX"); len(m) != 1 || !m[0].Has(`\Seen`) {
		t.Errorf("inbox after the report: %+v", m)
	}
}

func TestParseURL(t *testing.T) {
	good := []struct {
		url  string
		want string
		move string
		tls  bool
	}{
		{"imaps://bounces%40lra.example:pw@mail.lra.example", "imaps://bounces%40lra.example@mail.lra.example:993/INBOX", "", true},
		{"imap://u:p@127.0.0.1:1143/Bounces?move=Erledigt", "imap://u@127.0.0.1:1143/Bounces", "Erledigt", false},
	}
	for _, tt := range good {
		c, err := imapbox.ParseURL(tt.url)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if c.String() != tt.want || c.MoveTo != tt.move || c.TLS != tt.tls {
			t.Errorf("%s: got %s move %q tls %v", tt.url, c, c.MoveTo, c.TLS)
		}
		if strings.Contains(c.String(), ":pw@") || strings.Contains(c.String(), ":p@") {
			t.Errorf("%s: String shows the password", tt.url)
		}
	}
	for _, bad := range []string{"pop3://u:p@h", "imaps://h", "imaps://u:p@h/INBOX?ordner=x", "imaps://u:p@h/IN%0ABOX", "kein url"} {
		if _, err := imapbox.ParseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Over STARTTLS and over implicit TLS (imaps), with the server's
// certificate trusted; a certificate that is not trusted is refused.
func TestTLS(t *testing.T) {
	srv := imaptest.StartTLS(t)
	v, err := bounces.NewVERP("bounces@nordhausen.example", []byte("a test secret of thirty-two bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Append(t, "INBOX", sample(t, v, "qmail.eml", 5), sample(t, v, "postfix-hard.eml", 6))
	for i, u := range []string{
		"imap://" + url.QueryEscape(imaptest.User) + ":" + imaptest.Password + "@" + srv.Addr + "/INBOX",
		"imaps://" + url.QueryEscape(imaptest.User) + ":" + imaptest.Password + "@" + srv.TLSAddr + "/INBOX",
	} {
		cfg, err := imapbox.ParseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		untrusted := &imapbox.Reader{Config: cfg, Processor: &reports{v: v}}
		if _, err := untrusted.Poll(context.Background()); err == nil {
			t.Errorf("%s: a certificate nobody vouches for was accepted", cfg)
		}
		cfg.TLSConfig = srv.ClientTLSConfig()
		p := &reports{v: v}
		r := &imapbox.Reader{Config: cfg, Processor: p}
		n, err := r.Poll(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		if want := map[int]int{0: 2, 1: 0}[i]; n.Acted != want { // the second reads what the first left: nothing
			t.Errorf("%s: %+v, want %d acted", cfg, n, want)
		}
	}
}
