package faults

import (
	"context"
	"fmt"
	"mime"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// bin is the rundbrief binary TestMain built for this run.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rundbrief-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "rundbrief")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	build := exec.Command(goTool, "build", "-o", bin, "github.com/knf-nordhausen/rundbrief/cmd/rundbrief")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "faults: building rundbrief:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// system is one installation under test: a database, a Redis of its own,
// a relay, and the environment that points rundbrief at them.
type system struct {
	t     *testing.T
	db    *sqlx.DB
	redis *redisServer
	relay *smtptest.Server
	env   []string
}

// options shape a system.
type options struct {
	relay       smtptest.Options
	databaseURL string   // a database of the test's own; default testenv.Database
	env         []string // more RUNDBRIEF_* settings
}

func newSystem(t *testing.T, o options) *system {
	t.Helper()
	s := &system{t: t, redis: startRedis(t)}
	o.relay.HeadersOnly = true
	s.relay = smtptest.Start(t, o.relay)
	dbURL := o.databaseURL
	if dbURL == "" {
		s.db, dbURL = testenv.Database(t)
	}
	s.env = append([]string{
		"RUNDBRIEF_DATABASE_URL=" + dbURL,
		"RUNDBRIEF_REDIS_URL=" + s.redis.url,
		"RUNDBRIEF_QUEUE_NAMESPACE=faults",
		"RUNDBRIEF_SECRET=faults-test-secret-0123456789abcdefghijklmnop",
		"RUNDBRIEF_SMTP_URL=" + s.relay.URL(),
		"RUNDBRIEF_FROM=Netzwerkstelle Fachkräftesicherung <knf@lra-nordhausen.example.org>",
		"RUNDBRIEF_BASE_URL=https://rundbrief.example",
		"RUNDBRIEF_CONCURRENCY=4",
		"RUNDBRIEF_LOG_LEVEL=info",
		// Fast recovery, so that a test waits seconds, not minutes.
		"RUNDBRIEF_LEASE=3s",
		"RUNDBRIEF_REQUEUE_EVERY=2s",
		"RUNDBRIEF_RETRY_DELAY=200ms",
	}, o.env...)
	if o.databaseURL != "" {
		s.cli("migrate")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		db, err := postgres.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s.db = db
	}
	return s
}

// cli runs one rundbrief command and returns its output; it fails the test
// when the command fails.
func (s *system) cli(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), s.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("rundbrief %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// subscribe imports n confirmed companies interested in vocational
// training, addressed prefix-00000@betrieb.example and on, and returns
// their addresses.
func (s *system) subscribe(prefix string, n int) []string {
	s.t.Helper()
	var b strings.Builder
	b.WriteString("E-Mail;Name;Organisation;Art;Themen;Sprache\n")
	addrs := make([]string, n)
	for i := range n {
		addrs[i] = fmt.Sprintf("%s-%05d@betrieb.example", prefix, i)
		lang := ""
		if i%4 == 3 {
			lang = "en"
		}
		fmt.Fprintf(&b, "%s;Person %d;Betrieb %d;Unternehmen;ausbildung;%s\n", addrs[i], i, i, lang)
	}
	file := filepath.Join(s.t.TempDir(), "kontakte.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.cli("subscribers", "import", file, "--confirmed", "--consent-note", "Einwilligung schriftlich, Messe 2026")
	return addrs
}

// sendNewsletter creates a newsletter to everyone and starts it; it
// returns the campaign's ID.
func (s *system) sendNewsletter() int64 {
	s.t.Helper()
	body := filepath.Join(s.t.TempDir(), "rundbrief.md")
	os.WriteFile(body, []byte("# Neues aus der Netzwerkstelle\n\nDie Ausbildungsmesse ist am 12. März."), 0o644)
	s.cli("campaigns", "create", "newsletter", "--subject", "Rundbrief März", "--body", body)
	var id int64
	if err := s.db.Get(&id, `SELECT max(id) FROM campaigns`); err != nil {
		s.t.Fatal(err)
	}
	s.cli("campaigns", "send", fmt.Sprint(id), "--yes")
	return id
}

// startNewsletter sets up a system with n subscribers, starts a
// newsletter to them and a worker that sends it.
func startNewsletter(t *testing.T, n int, o options) (*system, []string, int64, *workerProc) {
	t.Helper()
	s := newSystem(t, o)
	addrs := s.subscribe("person", n)
	id := s.sendNewsletter()
	return s, addrs, id, s.startWorker()
}

// waitDone waits until campaign id is done and returns how long that took.
func (s *system) waitDone(id int64, timeout time.Duration, workers ...*workerProc) time.Duration {
	s.t.Helper()
	start := time.Now()
	for {
		var status string
		if err := s.db.Get(&status, `SELECT status FROM campaigns WHERE id = $1`, id); err == nil && status == "done" {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			var logs []string
			for _, w := range workers {
				logs = append(logs, w.log.String())
			}
			s.t.Fatalf("campaign %d not done after %s: %v\nworker logs:\n%s", id, timeout, s.deliveries(id), strings.Join(logs, "\n---\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// deliveries counts the delivery log of campaign id by status.
func (s *system) deliveries(id int64) map[string]int {
	s.t.Helper()
	rows := []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}{}
	if err := s.db.Select(&rows, `SELECT status, count(*) AS n FROM deliveries WHERE campaign_id = $1 GROUP BY status`, id); err != nil {
		s.t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// retries is how many attempts beyond the first the delivery log of
// campaign id counts.
func (s *system) retries(id int64) int {
	s.t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT COALESCE(sum(attempts - 1), 0) FROM deliveries WHERE campaign_id = $1`, id); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// inFlight is how many deliveries of campaign id were claimed since and
// are not yet recorded: right after a worker started at since is killed,
// the most it may have sent without recording.
func (s *system) inFlight(id int64, since time.Time) int {
	s.t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT count(*) FROM deliveries d
		JOIN delivery_batches b ON b.campaign_id = d.campaign_id AND b.batch = d.batch
		WHERE d.campaign_id = $1 AND d.status = 'queued' AND b.status = 'sending' AND b.claimed_at >= $2`, id, since); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// decodedSubject is the subject of m as a mail program shows it.
func decodedSubject(m smtptest.Message) string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header().Get("Subject"))
	if err != nil {
		return m.Header().Get("Subject")
	}
	return s
}

// received counts the relay's messages whose subject starts with subject
// by recipient.
func (s *system) received(subject string) map[string]int {
	out := map[string]int{}
	for _, m := range s.relay.Messages() {
		if strings.HasPrefix(decodedSubject(m), subject) {
			out[strings.ToLower(m.To[0])]++
		}
	}
	return out
}

// waitReceived waits until the relay holds at least n messages.
func (s *system) waitReceived(n int, timeout time.Duration) {
	s.t.Helper()
	if got := len(s.relay.Wait(n, timeout)); got < n {
		s.t.Fatalf("the relay got %d messages in %s, want at least %d", got, timeout, n)
	}
}

// onceEach checks that every address got exactly one message with the
// subject, and returns how many got more than one and how many got none.
func onceEach(got map[string]int, addrs []string) (doubles, missing int) {
	for _, a := range addrs {
		switch n := got[a]; {
		case n == 0:
			missing++
		case n > 1:
			doubles += n - 1
		}
	}
	return doubles, missing
}

// checkLogs fails if a worker's log (at info level) names a recipient or
// holds the secret: logs name subscribers by number only.
func (s *system) checkLogs(workers ...*workerProc) {
	s.t.Helper()
	for _, w := range workers {
		out := w.log.String()
		for _, secret := range []string{"@betrieb.example", "faults-test-secret"} {
			if strings.Contains(out, secret) {
				s.t.Errorf("a worker's log holds %q:\n%s", secret, out)
				return
			}
		}
	}
}

// wantEachOnce checks that each of addrs got the newsletter of campaign
// id once — twice for at most maxDoubles of them — and that the delivery
// log has them all sent. It returns the duplicates and the missing.
func (s *system) wantEachOnce(id int64, addrs []string, maxDoubles int) (doubles, missing int) {
	s.t.Helper()
	doubles, missing = onceEach(s.received(newsletter), addrs)
	if doubles > maxDoubles || missing != 0 {
		s.t.Errorf("%d duplicates, %d missing; want every recipient once (at most %d twice)", doubles, missing, maxDoubles)
	}
	if d := s.deliveries(id); d["sent"] != len(addrs) {
		s.t.Errorf("delivery log: %v, want %d sent", d, len(addrs))
	}
	return doubles, missing
}

// workerProc is a running `rundbrief worker`.
type workerProc struct {
	cmd  *exec.Cmd
	log  *testenv.SyncBuffer
	done chan error
}

func (s *system) startWorker(env ...string) *workerProc {
	s.t.Helper()
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(append(os.Environ(), s.env...), env...)
	w := &workerProc{cmd: cmd, log: &testenv.SyncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = w.log, w.log
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() { w.done <- cmd.Wait() }()
	s.t.Cleanup(func() { w.kill() })
	return w
}

// kill ends the worker with SIGKILL, as the kernel's OOM killer or a
// pulled plug would: no shutdown, nothing recorded.
func (w *workerProc) kill() {
	if w.alive() {
		w.cmd.Process.Signal(syscall.SIGKILL)
		err := <-w.done
		w.done <- err
	}
}

// stop ends the worker with SIGTERM and waits for its shutdown.
func (w *workerProc) stop(t *testing.T) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.done:
		w.done <- err
		if err != nil {
			t.Errorf("worker exited with %v:\n%s", err, w.log)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("worker did not stop after SIGTERM:\n%s", w.log)
	}
}

// alive reports whether the worker process is still running.
func (w *workerProc) alive() bool {
	select {
	case err := <-w.done:
		w.done <- err
		return false
	default:
		return true
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
