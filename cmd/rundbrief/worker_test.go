package main

import (
	"bytes"
	"context"
	"mime"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

// demoCSV is the demo file of `make demo`.
func demoCSV(t *testing.T) string {
	t.Helper()
	path, err := filepath.Abs("../../examples/kontakte-demo.csv")
	if err != nil {
		t.Fatal(err)
	}
	return path
}

var confirmURL = regexp.MustCompile(regexp.QuoteMeta(testBase) + `/confirm/[A-Za-z0-9_-]{46}\b`)

// checkOptIn checks one delivered opt-in mail: valid MIME with text and HTML
// parts, a Message-ID, the subject in the subscriber's language and a confirm
// link under the base URL in both parts. An import without an attested
// consent is the office asking its contacts: the mail says who the office
// is and that nothing happens without a click (issue 15, point 5).
func checkOptIn(t *testing.T, name string, m smtptest.Message) {
	t.Helper()
	h := m.Header()
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if subject != "Möchten Sie den Rundbrief der Netzwerkstelle Fachkräftesicherung erhalten?" &&
		subject != "May we send you the newsletter of the Netzwerkstelle Fachkräftesicherung?" {
		t.Errorf("%s: subject %q", name, subject)
	}
	if text := m.Text(); !strings.Contains(text, "Netzwerkstelle Fachkräftesicherung im Landratsamt Nordhausen") && !strings.Contains(text, "district office of Nordhausen") ||
		strings.Contains(text, "jemand mit Ihrer E-Mail-Adresse") || strings.Contains(text, "someone using your e-mail address") {
		t.Errorf("%s: not the office's request for permission:\n%s", name, text)
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("%s: Content-Type %q", name, h.Get("Content-Type"))
	}
	if !regexp.MustCompile(`^<[^<>@]+@[^<>@]+>$`).MatchString(h.Get("Message-Id")) {
		t.Errorf("%s: Message-ID %q", name, h.Get("Message-Id"))
	}
	link := confirmURL.FindString(m.Text())
	if link == "" || !strings.Contains(m.HTML(), `href="`+link+`"`) {
		t.Errorf("%s: no confirm link under %s in both parts", name, testBase)
	}
}

// The demo path: import the demo contacts, run the worker until the queue is
// empty, and find one opt-in mail per new contact in the outbox.
func TestDemoIntoOutbox(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	out := e.ok(t, "subscribers", "import", demoCSV(t))
	wantCount(t, out, "neu aufgenommen", 12)
	out = e.ok(t, "worker", "--until-empty")
	if !strings.Contains(out, "Im Ausgangsordner liegen 12 Mails") {
		t.Errorf("worker output:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
	if len(files) != 12 {
		t.Fatalf("outbox holds %d mails, want 12", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkOptIn(t, filepath.Base(f), smtptest.Message{Data: raw})
	}
}

// With RUNDBRIEF_SMTP_URL set, the same mails go to a relay on loopback, over
// at most RUNDBRIEF_CONCURRENCY reused connections.
func TestDemoThroughRelay(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{Username: "knf", Password: "relay-pass"})
	e := newCLI(t).with(
		"RUNDBRIEF_SMTP_URL="+relay.URL(),
		"RUNDBRIEF_FROM=Netzwerkstelle Fachkräftesicherung <knf@lra-nordhausen.example.org>",
		"RUNDBRIEF_CONCURRENCY=2",
	)
	e.ok(t, "subscribers", "import", demoCSV(t))
	out := e.ok(t, "worker", "--until-empty")
	if !strings.Contains(out, "Mailserver smtp://knf:xxxxx@127.0.0.1") || strings.Contains(out, "relay-pass") {
		t.Errorf("worker output:\n%s", out)
	}
	msgs := relay.Messages()
	if len(msgs) != 12 {
		t.Fatalf("relay received %d mails, want 12", len(msgs))
	}
	if c := relay.Connections(); c > 2 {
		t.Errorf("12 mails used %d connections, want at most 2", c)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.To[0]] {
			t.Errorf("%s got two mails", m.To[0])
		}
		seen[m.To[0]] = true
		if m.From != "knf@lra-nordhausen.example.org" {
			t.Errorf("envelope sender %q", m.From)
		}
		checkOptIn(t, m.To[0], m)
	}
	// Nothing is owed any more: a second worker run sends nothing.
	e.ok(t, "worker", "--until-empty")
	if n := len(relay.Messages()); n != 12 {
		t.Errorf("second worker run: relay has %d mails, want still 12", n)
	}
}

// A 5xx from the relay marks the subscriber bounced and suppresses the
// address; `subscribers show` says so.
func TestBounceThroughCLI(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{})
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org")
	relay.Reply("gibtsnicht@example.org", smtptest.Unknown())
	e.ok(t, "subscribers", "add", "gibtsnicht@example.org", "--kind", "Familie")
	e.ok(t, "worker", "--until-empty")
	out := e.ok(t, "subscribers", "show", "gibtsnicht@example.org")
	for _, want := range []string{"unzustellbar", "550"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out = e.ok(t, "subscribers", "import", writeFile(t, "k.csv", "E-Mail;Art\ngibtsnicht@example.org;Familie\n"))
	wantCount(t, out, "abbestellt oder unzustellbar", 1)
}

// SIGTERM to `rundbrief worker` lets the mail in flight finish and be
// recorded, then the process exits 0.
func TestWorkerSIGTERM(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{DataDelay: 1500 * time.Millisecond})
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org",
		"RUNDBRIEF_CONCURRENCY=1", "RUNDBRIEF_LOG_LEVEL=info")
	e.ok(t, "subscribers", "add", "geduldig@example.org", "--kind", "Schule")

	cmd := exec.Command(os.Args[0], "worker")
	cmd.Env = append(append(os.Environ(), e.vars...), "RUNDBRIEF_TEST_RUN_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for relay.DataStarted() == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the worker never started sending:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("worker did not exit after SIGTERM:\n%s", stderr.String())
	}
	if n := len(relay.Messages()); n != 1 {
		t.Errorf("relay has %d mails, want the one in flight", n)
	}
	out := e.ok(t, "subscribers", "show", "geduldig@example.org")
	if !strings.Contains(out, "versandt") {
		t.Errorf("the mail in flight was not recorded as sent:\n%s\nworker log:\n%s", out, stderr.String())
	}
	if !strings.Contains(stderr.String(), "worker stopped") {
		t.Errorf("worker log:\n%s", stderr.String())
	}
}

// Stopped (SIGTERM, Ctrl+C) before the queue is empty, `worker
// --until-empty` finishes the mail in flight, says how many are still owed
// and exits non-zero, instead of claiming that none is.
func TestWorkerUntilEmptyInterrupted(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{DataDelay: time.Second})
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org", "RUNDBRIEF_CONCURRENCY=1")
	for _, addr := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		e.ok(t, "subscribers", "add", addr, "--kind", "Schule")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"worker", "--until-empty"}, e.vars, strings.NewReader(""), &out, &errOut, nil)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for relay.DataStarted() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never started sending")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel() // as SIGTERM does
	if c := <-code; c != exitError {
		t.Errorf("exit code %d, want %d", c, exitError)
	}
	if strings.Contains(out.String(), "Keine Mail steht mehr aus") || !strings.Contains(errOut.String(), "2 Mails stehen noch aus") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	}
	if n := len(relay.Messages()); n != 1 {
		t.Errorf("relay has %d mails, want the one in flight", n)
	}
}

// With Redis down, the commands that need it say so in German, name
// RUNDBRIEF_REDIS_URL, and print nothing of go-redis's own.
func TestRedisDownSaysWhereToLook(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	e := newCLI(t).with("RUNDBRIEF_REDIS_URL=redis://:redisgeheim@"+closed+"/0", "RUNDBRIEF_LISTEN="+freeAddr(t))
	for _, args := range [][]string{{"worker", "--until-empty"}, {"serve"}, {"run"}, {"subscribers", "add", "rot@example.org", "--kind", "Schule"}} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(append(os.Environ(), e.vars...), "RUNDBRIEF_TEST_RUN_MAIN=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running after a minute:\n%s", stderr.String())
			}
			got := stderr.String()
			if !strings.Contains(got, "RUNDBRIEF_REDIS_URL") || strings.Contains(got, "redisgeheim") ||
				strings.Contains(got, "redis: ") || strings.Contains(got, "pool.go") || strings.Contains(got, "dial tcp") {
				t.Errorf("rundbrief %s, stderr:\n%s", strings.Join(args, " "), got)
			}
		})
	}
}

// A worker uses one core unless GOMAXPROCS says otherwise.
func TestWorkerUsesOneCore(t *testing.T) {
	e := newCLI(t).with("RUNDBRIEF_FROM=knf@lra-nordhausen.example.org")
	for _, tt := range []struct {
		gomaxprocs string // "" for unset
		want       []int
	}{{"", []int{1}}, {"2", nil}} {
		t.Setenv("GOMAXPROCS", tt.gomaxprocs)
		if tt.gomaxprocs == "" {
			os.Unsetenv("GOMAXPROCS")
		}
		var got []int
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"worker", "--until-empty"}, e.vars, strings.NewReader(""), &out, &errOut,
			func(n int) int { got = append(got, n); return 2 })
		if code != exitOK || !slices.Equal(got, tt.want) {
			t.Errorf("GOMAXPROCS=%q: exit %d, cores set %v; want 0, %v\n%s", tt.gomaxprocs, code, got, tt.want, errOut.String())
		}
	}
}
