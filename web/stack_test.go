package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
	"github.com/knf-nordhausen/rundbrief/web"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// stack is the whole system on loopback: the web server, a worker on real
// Redis sending through an SMTP server, and Postgres.
type stack struct {
	*site
	relay *smtptest.Server
}

func newStack(t *testing.T) *stack {
	t.Helper()
	redis := testenv.Redis(t)
	ns := testenv.Namespace(t, redis)
	client := worker.NewClient(redis, ns)
	t.Cleanup(func() { client.Close() })
	s := newSite(t, func(c *web.Config) { c.Queue = client })

	relay := smtptest.Start(t, smtptest.Options{})
	smtpCfg, err := mailer.ParseSMTPURL(relay.URL())
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mailer.NewSMTPSender(smtpCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	renderer, err := templates.NewRenderer(templates.Brand{
		Name: "Netzwerkstelle Fachkräftesicherung Nordhausen", Link: s.srv.URL,
		Impressum:    "Landratsamt Nordhausen · Behringstraße 3 · 99734 Nordhausen",
		ImpressumURL: "https://www.landratsamt-nordhausen.de/impressum",
		PrivacyURL:   "https://www.landratsamt-nordhausen.de/datenschutz",
	}, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{
		Redis: redis, Namespace: ns, Store: s.store, Keys: s.keys, Templates: renderer, Sender: sender, Events: events.NewStore(s.db),
		From:    mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"},
		BaseURL: s.srv.URL, Concurrency: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryPoll: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
	return &stack{site: s, relay: relay}
}

// mailTo waits for the n-th message (counting from 1) of the relay and
// checks it went to rcpt.
func (st *stack) mailTo(rcpt string, n int) smtptest.Message {
	st.t.Helper()
	msgs := st.relay.Wait(n, 20*time.Second)
	if len(msgs) < n {
		st.t.Fatalf("relay got %d messages within 20s, want %d", len(msgs), n)
	}
	m := msgs[n-1]
	st.settle()
	if to := m.Header().Get("To"); !strings.Contains(strings.ToLower(to), strings.ToLower(rcpt)) {
		st.t.Fatalf("message %d went to %q, want %s", n, to, rcpt)
	}
	return m
}

// settle waits until the worker has recorded every mail's outcome.
func (st *stack) settle() {
	st.t.Helper()
	for range 200 {
		n, err := st.store.CountOpenMails(context.Background())
		if err != nil {
			st.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	st.t.Fatal("mails still open after 10s")
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+`)

// ownLinks are the links in a message, its body and headers, that lead to
// this server. Links to other sites (Impressum) are not followed: tests
// send no traffic off this machine.
func (st *stack) ownLinks(m smtptest.Message) []string {
	var out []string
	seen := map[string]bool{}
	for _, src := range []string{m.Text(), m.HTML(), m.Header().Get("List-Unsubscribe")} {
		for _, l := range linkPattern.FindAllString(src, -1) {
			l = strings.ReplaceAll(l, "&amp;", "&")
			if strings.HasPrefix(l, st.srv.URL) && !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// link returns the path of the first own link in m that starts with prefix
// ("/confirm/").
func (st *stack) link(m smtptest.Message, prefix string) string {
	st.t.Helper()
	for _, l := range st.ownLinks(m) {
		u, err := url.Parse(l)
		if err == nil && strings.HasPrefix(u.Path, prefix) {
			return u.Path
		}
	}
	st.t.Fatalf("no %s link in the mail:\n%s", prefix, m.Text())
	return ""
}

// A link scanner in a company's mail gateway opens every link in every
// mail: none of those GETs changes anything.
func TestLinkScannerChangesNothing(t *testing.T) {
	t.Parallel()
	st := newStack(t)
	scan := func(m smtptest.Message) {
		t.Helper()
		links := st.ownLinks(m)
		if len(links) < 2 {
			t.Fatalf("only %d links in %q", len(links), m.Header().Get("Subject"))
		}
		before := st.snapshot()
		for _, l := range links {
			u, _ := url.Parse(l)
			if r := st.get(u.RequestURI()); r.status >= 500 {
				t.Errorf("GET %s: %d", u.Path, r.status)
			}
		}
		if after := st.snapshot(); after != before {
			t.Errorf("scanning the links of %q changed the database:\nbefore:\n%s\nafter:\n%s", m.Header().Get("Subject"), before, after)
		}
	}

	st.post("/subscribe", subscribeForm("scan@example.org"))
	optIn := st.mailTo("scan@example.org", 1)
	scan(optIn)
	if sub := st.mustGet("scan@example.org"); sub.Status != subscribers.StatusPending {
		t.Fatalf("status after scanning the opt-in = %s", sub.Status)
	}
	st.post(st.link(optIn, "/confirm/"), nil)
	welcome := st.mailTo("scan@example.org", 2)
	scan(welcome)
	st.post("/subscribe", subscribeForm("scan@example.org"))
	scan(st.mailTo("scan@example.org", 3)) // the preferences link
	if sub := st.mustGet("scan@example.org"); sub.Status != subscribers.StatusConfirmed {
		t.Errorf("status after scanning every mail = %s, want confirmed", sub.Status)
	}
}
