package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
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
		code := run(context.Background(), []string{"subscribers", "import", path}, env, strings.NewReader(""), &out, &errOut)
		total += time.Since(start)
		if code != 0 || !strings.Contains(out.String(), fmt.Sprintf("%d Bestätigungsmails", n)) {
			b.Fatalf("import: exit %d\n%s\n%s", code, out.String(), errOut.String())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/total.Seconds(), "rows/s")
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
}
