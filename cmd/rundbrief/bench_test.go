package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// generateContacts writes a German Excel-style CSV (BOM, ';', CRLF) of n
// fictitious contacts with mixed kinds, topics and languages.
func generateContacts(b *testing.B, n int) string {
	b.Helper()
	kinds := []string{"Unternehmen", "Schule", "Familie", "Sonstige"}
	topics := []string{"ausbildung", "kinderbetreuung|jugend", "oepnv|fachkraefte", "Berufsausbildung|veranstaltungen", "jugend"}
	var buf bytes.Buffer
	buf.WriteString("\uFEFFE-Mail;Name;Organisation;Art;Themen;Sprache\r\n")
	for i := range n {
		lang := ""
		if i%7 == 0 {
			lang = "en"
		}
		fmt.Fprintf(&buf, "kontakt%06d@betrieb%04d.example;Person %d Müller;\"Betrieb %d; Nordhausen\";%s;%s;%s\r\n",
			i, i%5000, i, i%5000, kinds[i%len(kinds)], topics[i%len(topics)], lang)
	}
	path := filepath.Join(b.TempDir(), "kontakte.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImport100k imports 100,000 contacts through `rundbrief subscribers
// import` into a fresh database each time: read and check every row, COPY
// into PostgreSQL, queue 100,000 opt-in mails in the mail log, and put
// 100,000 tasks on the Redis queue. Run it with make bench.
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	path := generateContacts(b, n)
	redis := testenv.Redis(b)
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		_, dbURL := testenv.Database(b)
		env := []string{
			"RUNDBRIEF_DATABASE_URL=" + dbURL,
			"RUNDBRIEF_REDIS_URL=" + testenv.RedisURL(),
			"RUNDBRIEF_QUEUE_NAMESPACE=" + testenv.Namespace(b, redis),
			"RUNDBRIEF_SECRET=" + testSecret,
		}
		var out, errOut bytes.Buffer
		b.StartTimer()
		start := time.Now()
		code := run(context.Background(), []string{"subscribers", "import", path}, env, strings.NewReader(""), &out, &errOut, nil)
		total += time.Since(start)
		if code != 0 || !strings.Contains(out.String(), fmt.Sprintf("%d Bestätigungsmails", n)) {
			b.Fatalf("import: exit %d\n%s\n%s", code, out.String(), errOut.String())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "rows/s")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
}

// BenchmarkCampaign10k sends a newsletter to 10,000 confirmed subscribers:
// `campaigns send` writes the delivery log and queues the batches (the
// planning), then one `rundbrief worker --until-empty` process sends every
// mail over RUNDBRIEF_CONCURRENCY (4) reused connections to an SMTP server
// on 127.0.0.1 (the in-process test relay). It reports the planning time,
// the mails per second from the worker's start to the last delivery final,
// and the worker's peak resident memory. Run it with make bench.
func BenchmarkCampaign10k(b *testing.B) {
	const n = 10_000
	path := generateContacts(b, n)
	redis := testenv.Redis(b)
	var planning, sending time.Duration
	var peakRSS int64
	for b.Loop() {
		b.StopTimer()
		_, dbURL := testenv.Database(b)
		relay := smtptest.Start(b, smtptest.Options{})
		env := []string{
			"RUNDBRIEF_DATABASE_URL=" + dbURL,
			"RUNDBRIEF_REDIS_URL=" + testenv.RedisURL(),
			"RUNDBRIEF_QUEUE_NAMESPACE=" + testenv.Namespace(b, redis),
			"RUNDBRIEF_SECRET=" + testSecret,
			"RUNDBRIEF_SMTP_URL=" + relay.URL(),
			"RUNDBRIEF_FROM=knf@lra-nordhausen.example.org",
			"RUNDBRIEF_LOG_LEVEL=warn",
		}
		cli := func(args ...string) string {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), args, env, strings.NewReader(""), &out, &errOut, nil); code != 0 {
				b.Fatalf("rundbrief %s: exit %d\n%s%s", strings.Join(args, " "), code, &out, &errOut)
			}
			return out.String()
		}
		cli("subscribers", "import", path, "--confirmed", "--consent-note", "Benchmark")
		body := filepath.Join(b.TempDir(), "rundbrief.md")
		os.WriteFile(body, []byte("## Neues aus der Netzwerkstelle\n\nDas **Jobticket** gilt ab Januar auch im Südharz.\n"), 0o644)
		cli("campaigns", "create", "newsletter", "--subject", "Rundbrief Dezember 2026", "--body", body)

		start := time.Now()
		if out := cli("campaigns", "send", "1", "--yes"); !strings.Contains(out, fmt.Sprintf("%d Mails im Versandprotokoll", n)) {
			b.Fatalf("send:\n%s", out)
		}
		planning += time.Since(start)

		start = time.Now()
		cmd := exec.Command(os.Args[0], "worker", "--until-empty")
		cmd.Env = append(append(os.Environ(), env...), "RUNDBRIEF_TEST_RUN_MAIN=1")
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// The kernel's peak (VmHWM) of the worker alone; the rusage of a
		// child would count this test process's memory at fork too.
		hwm := make(chan int64)
		go func() { hwm <- watchPeakRSS(cmd.Process.Pid) }()
		if err := cmd.Wait(); err != nil {
			b.Fatalf("worker: %v\n%s", err, &log)
		}
		// The worker ends two quiet polls (0.5 s) after the last mail.
		sending += time.Since(start) - 500*time.Millisecond
		if got := len(relay.Messages()); got != n {
			b.Fatalf("the relay got %d mails, want %d", got, n)
		}
		if rss := <-hwm; rss > peakRSS {
			peakRSS = rss // KiB
		}
		b.StartTimer()
	}
	b.ReportMetric(planning.Seconds()/float64(b.N), "s/plan")
	b.ReportMetric(float64(n)*float64(b.N)/sending.Seconds(), "mails/s")
	b.ReportMetric(float64(peakRSS)/1024, "MiB-peak-RSS")
}

// watchPeakRSS reads the peak resident memory (VmHWM, in KiB) of process
// pid every 20 ms until the process is gone, and returns the last reading.
func watchPeakRSS(pid int) int64 {
	var peak int64
	for {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			return peak
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
				peak = max(peak, kb)
			}
		}
		if strings.Contains(string(data), "State:\tZ") {
			return peak
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeShortContacts writes contacts of one short line each ("k0000001@
// b0001.example;Familie") until the file would pass limit bytes, or n rows
// are written: the most rows a file of that size can hold, which is what
// costs memory. It returns the path and the number of rows.
func writeShortContacts(b *testing.B, limit int64, n int) (string, int) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "kontakte.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	size := int64(len("E-Mail;Art\n"))
	w.WriteString("E-Mail;Art\n")
	rows := 0
	for ; rows < n; rows++ {
		line := fmt.Sprintf("k%07d@b%04d.example;Familie\n", rows, rows%5000)
		if size+int64(len(line)) > limit {
			break
		}
		w.WriteString(line)
		size += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path, rows
}

// BenchmarkImportMemory runs `rundbrief subscribers import` as a process
// of its own on the largest files and reports its peak resident memory
// (VmHWM): a dry run of a file at the size cap (64 MiB, 2.16 million
// rows), and the import of a million rows with their opt-in mails put on
// the queue. The reader streams the file into PostgreSQL, so memory stays
// the same whatever the size; the benchmark fails above 200 MiB. Run it
// with make bench (once each; it takes a few minutes).
func BenchmarkImportMemory(b *testing.B) {
	redis := testenv.Redis(b)
	for _, tc := range []struct {
		name   string
		limit  int64
		n      int
		dryRun bool
	}{
		{"cap-dry-run", subscribers.MaxImportBytes, 1 << 30, true},
		{"1M-stored", subscribers.MaxImportBytes, 1_000_000, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			path, rows := writeShortContacts(b, tc.limit, tc.n)
			var peak int64
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				_, dbURL := testenv.Database(b)
				args := []string{"subscribers", "import", path}
				if tc.dryRun {
					args = append(args, "--dry-run")
				}
				cmd := exec.Command(os.Args[0], args...)
				cmd.Env = append(os.Environ(), "RUNDBRIEF_TEST_RUN_MAIN=1", "RUNDBRIEF_DATABASE_URL="+dbURL,
					"RUNDBRIEF_REDIS_URL="+testenv.RedisURL(), "RUNDBRIEF_QUEUE_NAMESPACE="+testenv.Namespace(b, redis),
					"RUNDBRIEF_SECRET="+testSecret)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				b.StartTimer()
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				rss := make(chan int64, 1)
				go func() { rss <- watchPeakRSS(cmd.Process.Pid) }()
				err := cmd.Wait()
				total += time.Since(start)
				peak = max(peak, <-rss)
				if err != nil || !strings.Contains(out.String(), fmt.Sprintf("%d (unbestätigt", rows)) {
					b.Fatalf("import of %d rows: %v\n%s", rows, err, out.String())
				}
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(rows)*float64(b.N)/total.Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/1024, "MiB-peak-RSS")
			if peak > 200<<10 {
				b.Errorf("peak RSS %d MiB, more than 200 MiB", peak>>10)
			}
		})
	}
}
