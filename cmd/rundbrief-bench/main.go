// Command rundbrief-bench measures the sending engine end to end on this
// machine: it creates a scratch database and queue namespace, generates N
// confirmed subscribers, creates and publishes an event and sends its
// invitation with real `rundbrief worker` processes to an SMTP sink on
// 127.0.0.1 (Postfix's smtp-sink when installed, else one in this
// process), and reports planning time, the time to the first mail, mails
// per second, latency, the workers' peak memory and the CPU time of every
// process involved per mail, with Postfix's smtp-source over as many kept connections as the
// ceiling of the same machine (three runs before the campaign and three
// after). It cleans up after itself.
//
//	go run ./cmd/rundbrief-bench -n 10000,100000 -workers 1 -json bench.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rundbrief-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	sizes       []int
	workers     int
	concurrency int
	adminURL    string
	redisURL    string
	bin         string
	sink        string
	jsonPath    string
	examples    string
	profile     string
	keep        bool
}

func run() error {
	var o options
	var sizes string
	flag.StringVar(&sizes, "n", "100000", "recipients per run, comma-separated (e.g. 10000,100000)")
	flag.IntVar(&o.workers, "workers", 1, "rundbrief worker processes")
	flag.IntVar(&o.concurrency, "concurrency", 8, "RUNDBRIEF_CONCURRENCY of each worker (SMTP connections)")
	flag.StringVar(&o.adminURL, "database", envOr("RUNDBRIEF_TEST_DATABASE_URL", "postgres://127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL URL through which a scratch database is created and dropped")
	flag.StringVar(&o.redisURL, "redis", envOr("RUNDBRIEF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), "Redis URL")
	flag.StringVar(&o.bin, "rundbrief", "bin/rundbrief", "the rundbrief binary to run (make build)")
	flag.StringVar(&o.sink, "sink", "auto", "SMTP sink: smtp-sink (Postfix), go (in this process) or auto")
	flag.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file")
	flag.StringVar(&o.examples, "examples", "examples/events", "folder of the example event files")
	flag.StringVar(&o.profile, "cpuprofile", "", "write each worker's CPU profile (pprof) to PREFIX-TIME.pprof")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch database of each run, to look at its plans (drop it yourself)")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-n: %q is not a number of recipients", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%s is missing; build it first (make build) or name it with -rundbrief", o.bin)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var results []*result
	for _, n := range o.sizes {
		fmt.Fprintf(os.Stderr, "== %d recipients, %d worker(s) × %d connections\n", n, o.workers, o.concurrency)
		r, err := measure(ctx, o, n)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	printTable(os.Stdout, results)
	printStatements(os.Stdout, results)
	data, _ := json.MarshalIndent(results, "", "  ")
	fmt.Printf("\n%s\n", data)
	if o.jsonPath != "" {
		if err := os.WriteFile(o.jsonPath, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// result is one run's figures.
type result struct {
	Recipients      int     `json:"recipients"`
	Workers         int     `json:"workers"`
	Concurrency     int     `json:"concurrency"`
	Sink            string  `json:"sink"`
	MessageBytes    int     `json:"message_bytes"`
	PlanningSeconds float64 `json:"planning_seconds"`
	// FirstMailSeconds is from the start of campaigns send to the first
	// delivery recorded (with up to nine others: it left a little earlier).
	FirstMailSeconds float64   `json:"first_mail_seconds"`
	SendingSeconds   float64   `json:"end_to_end_seconds"`
	MailsPerSecond   float64   `json:"mails_per_second"`
	P50Seconds       float64   `json:"p50_enqueue_to_accept_seconds"`
	P99Seconds       float64   `json:"p99_enqueue_to_accept_seconds"`
	PeakRSSMiB       []float64 `json:"worker_peak_rss_mib"`
	// CeilingPerSec is the median of the six runs of smtp-source with
	// kept connections (-d), three before and three after the campaign,
	// each with the campaign's count and size over as many connections.
	CeilingPerSec  float64   `json:"smtp_source_mails_per_second,omitempty"`
	CeilingBefore  []float64 `json:"smtp_source_before,omitempty"`
	CeilingAfter   []float64 `json:"smtp_source_after,omitempty"`
	ShareOfCeiling float64   `json:"share_of_ceiling,omitempty"`
	// ReferenceMillis is how long a fixed piece of CPU work took before
	// and after the run (see referenceWork): the machine's speed then.
	ReferenceMillis []float64 `json:"reference_work_ms"`
	// CPUSeconds is the CPU time of each group of processes from the
	// start of planning to the last mail recorded; CPUMicrosPerMail the
	// same per mail. "total" is the engine's: every group but "bench",
	// the measuring (this process and its one backend). "postgres backends" are the run's own backends
	// (pg_stat_activity of the scratch database, the bench's own left
	// out); "postgres other" every other postgres process (WAL writer,
	// checkpointer, autovacuum, other databases).
	CPUSeconds       map[string]float64 `json:"cpu_seconds"`
	CPUMicrosPerMail map[string]float64 `json:"cpu_us_per_mail"`
	// WALBytesPerMail is the WAL PostgreSQL wrote over the run, per mail
	// (pg_stat_wal, every database); Statements the run's costliest
	// statements when pg_stat_statements is loaded.
	WALBytesPerMail float64       `json:"wal_bytes_per_mail"`
	Statements      []pgStatement `json:"statements,omitempty"`
	Date            string        `json:"date"`
}

// cpuGroups are the groups of the CPU table, in order.
var cpuGroups = []string{groupPlanning, groupWorkers, groupBackends, groupPGOther, groupRedis, groupSink, "total", groupBench}

func printTable(w io.Writer, rs []*result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "recipients\tworkers×conns\tsink\tplanning\tfirst mail\tend to end\tmails/s\tp50\tp99\tpeak RSS\tsmtp-source\tshare\treference work\t")
	for _, r := range rs {
		var rss []string
		for _, m := range r.PeakRSSMiB {
			rss = append(rss, fmt.Sprintf("%.0f MiB", m))
		}
		ceiling, share := "–", "–"
		if r.CeilingPerSec > 0 {
			ceiling, share = fmt.Sprintf("%.0f/s", r.CeilingPerSec), fmt.Sprintf("%.0f%%", 100*r.ShareOfCeiling)
		}
		var ref []string
		for _, ms := range r.ReferenceMillis {
			ref = append(ref, fmt.Sprintf("%.0f", ms))
		}
		fmt.Fprintf(tw, "%d\t%d×%d\t%s\t%.2f s\t%.2f s\t%.2f s\t%.0f\t%.2f s\t%.2f s\t%s\t%s\t%s\t%s ms\t\n", r.Recipients, r.Workers, r.Concurrency,
			r.Sink, r.PlanningSeconds, r.FirstMailSeconds, r.SendingSeconds, r.MailsPerSecond, r.P50Seconds, r.P99Seconds, strings.Join(rss, ", "), ceiling, share,
			strings.Join(ref, " / "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "CPU µs per mail\t")
	for _, g := range cpuGroups {
		fmt.Fprintf(tw, "%s\t", g)
	}
	fmt.Fprintln(tw)
	for _, r := range rs {
		fmt.Fprintf(tw, "%d recipients\t", r.Recipients)
		for _, g := range cpuGroups {
			fmt.Fprintf(tw, "%.0f\t", r.CPUMicrosPerMail[g])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// cli runs the rundbrief binary with env and returns its output.
func cli(ctx context.Context, o options, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("rundbrief %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// measure runs one campaign of n recipients and cleans up.
func measure(ctx context.Context, o options, n int) (*result, error) {
	s, err := newScratch(ctx, o)
	if err != nil {
		return nil, err
	}
	defer s.cleanup(o.keep)
	r := &result{Recipients: n, Workers: o.workers, Concurrency: o.concurrency, Date: time.Now().Format("2006-01-02")}

	sink, err := startSink(o.sink)
	if err != nil {
		return nil, err
	}
	defer sink.stop()
	r.Sink = sink.name
	env := append(s.env, "RUNDBRIEF_SMTP_URL=smtp://"+sink.addr+"?tls=none",
		"RUNDBRIEF_CONCURRENCY="+strconv.Itoa(o.concurrency))

	if _, err := cli(ctx, o, env, "migrate"); err != nil {
		return nil, err
	}
	event := filepath.Join(o.examples, "talent-campus-2027.yaml")
	if _, err := cli(ctx, o, env, "events", "create", "-f", event); err != nil {
		return nil, err
	}
	if _, err := cli(ctx, o, env, "events", "publish", "talent-campus-2027"); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "   generating %d subscribers\n", n)
	if err := s.generate(ctx, n); err != nil {
		return nil, err
	}
	if _, err := cli(ctx, o, env, "campaigns", "create", "invitation", "--event", "talent-campus-2027"); err != nil {
		return nil, err
	}
	preview, err := os.MkdirTemp("", "rundbrief-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(preview)
	if _, err := cli(ctx, o, env, "campaigns", "preview", "1", "--dir", preview); err != nil {
		return nil, err
	}
	if st, err := os.Stat(filepath.Join(preview, "kampagne-1.eml")); err == nil {
		r.MessageBytes = int(st.Size())
	}

	r.ReferenceMillis = append(r.ReferenceMillis, float64(referenceWork().Microseconds())/1000)
	var before []float64
	if sink.name == "smtp-sink" {
		fmt.Fprintf(os.Stderr, "   the ceiling before: smtp-source -d, 3 runs\n")
		before = ceilings(ctx, sink.addr, n, max(r.MessageBytes, 1000), o.workers*o.concurrency)
	}

	meter := newCPUMeter()
	if pid, err := s.redisPID(ctx); err == nil {
		meter.track(groupRedis, pid)
	}
	if sink.pid != os.Getpid() {
		meter.track(groupSink, sink.pid)
	}
	meter.track(groupBench, os.Getpid())
	if pid, err := s.backendPID(ctx); err == nil {
		meter.track(groupBench, pid) // the bench's own queries are not the engine's
	}
	meter.run(ctx, s.backends)
	prof := startPGProfile(ctx, s.admin, s.name)

	// The workers wait before the campaign starts, as they do in an
	// office: its first mails leave while the rest is planned.
	fmt.Fprintf(os.Stderr, "   %d worker(s) waiting\n", o.workers)
	var workers []*worker
	for range o.workers {
		w, err := startWorker(o, env)
		if err != nil {
			stopWorkers(workers)
			return nil, err
		}
		workers = append(workers, w)
		meter.track(groupWorkers, w.cmd.Process.Pid)
	}
	time.Sleep(2 * time.Second) // connected and polling

	fmt.Fprintf(os.Stderr, "   campaigns send, and sending\n")
	start := time.Now()
	planning, err := cliUsage(ctx, o, env, "campaigns", "send", "1", "--yes")
	if err != nil {
		stopWorkers(workers)
		return nil, err
	}
	r.PlanningSeconds = time.Since(start).Seconds()
	if err := s.waitDone(ctx, n, 30*time.Minute); err != nil {
		meter.stop()
		stopWorkers(workers)
		return nil, err
	}
	cpu := meter.stop()
	wal, statements := prof.finish(ctx, 12)
	r.WALBytesPerMail, r.Statements = float64(wal)/float64(n), statements
	cpu[groupPlanning] = planning
	r.CPUSeconds, r.CPUMicrosPerMail = map[string]float64{}, map[string]float64{}
	for g, sec := range cpu {
		r.CPUSeconds[g] = sec
		r.CPUMicrosPerMail[g] = sec / float64(n) * 1e6
		if g != groupBench { // the measuring is not the engine
			r.CPUSeconds["total"] += sec
		}
	}
	r.CPUMicrosPerMail["total"] = r.CPUSeconds["total"] / float64(n) * 1e6
	stats, err := s.stats(ctx, start)
	stopWorkers(workers)
	if err != nil {
		return nil, err
	}
	r.ReferenceMillis = append(r.ReferenceMillis, float64(referenceWork().Microseconds())/1000)
	r.SendingSeconds, r.FirstMailSeconds, r.P50Seconds, r.P99Seconds = stats.total, stats.first, stats.p50, stats.p99
	r.MailsPerSecond = float64(n) / stats.total
	for _, w := range workers {
		r.PeakRSSMiB = append(r.PeakRSSMiB, float64(w.peak())/1024)
	}
	if sink.name == "smtp-sink" {
		fmt.Fprintf(os.Stderr, "   the ceiling after: smtp-source -d, 3 runs\n")
		after := ceilings(ctx, sink.addr, n, max(r.MessageBytes, 1000), o.workers*o.concurrency)
		if all := append(slices.Clone(before), after...); len(all) > 0 {
			r.CeilingBefore, r.CeilingAfter = before, after
			r.CeilingPerSec = median(all)
			r.ShareOfCeiling = r.MailsPerSecond / r.CeilingPerSec
		}
	}
	return r, nil
}

// ceilings runs smtp-source three times and returns the rates it
// reached; a failed run is reported and left out.
func ceilings(ctx context.Context, addr string, messages, size, conns int) []float64 {
	var out []float64
	for range 3 {
		c, err := ceiling(ctx, addr, messages, size, conns)
		if err != nil {
			fmt.Fprintln(os.Stderr, "   smtp-source failed:", err)
			continue
		}
		out = append(out, math.Round(c))
	}
	return out
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cliUsage runs the rundbrief binary like cli and returns the CPU seconds
// (user and system) it used.
func cliUsage(ctx context.Context, o options, env []string, args ...string) (float64, error) {
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("rundbrief %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), nil
}

// ceiling is how many messages of size bytes per second Postfix's
// smtp-source sends to addr over conns connections.
func ceiling(ctx context.Context, addr string, messages, size, conns int) (float64, error) {
	path, err := exec.LookPath("smtp-source")
	if err != nil {
		return 0, errors.New("smtp-source not installed (apt-get install postfix)")
	}
	start := time.Now()
	// -d keeps each connection for the next message, as the worker does;
	// without it smtp-source opens a connection per message.
	cmd := exec.CommandContext(ctx, path, "-d", "-s", strconv.Itoa(conns), "-m", strconv.Itoa(messages), "-l", strconv.Itoa(size),
		"-f", "bench@rundbrief.example", "-t", "sink@rundbrief.example", addr)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%w: %s", err, out)
	}
	return float64(messages) / time.Since(start).Seconds(), nil
}
