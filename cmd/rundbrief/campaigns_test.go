package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

// contacts writes an import file of n confirmed-to-be companies interested
// in vocational training.
func contacts(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("E-Mail;Name;Organisation;Art;Themen;Sprache\n")
	for i := range n {
		lang := ""
		if i%4 == 3 {
			lang = "en"
		}
		fmt.Fprintf(&b, "person-%05d@betrieb.example;Person %d;Betrieb %d;Unternehmen;ausbildung;%s\n", i, i, i, lang)
	}
	return writeFile(t, "kontakte.csv", b.String())
}

func (e *cliEnv) importConfirmed(t *testing.T, file string) {
	t.Helper()
	e.ok(t, "subscribers", "import", file, "--confirmed", "--consent-note", "Einwilligung schriftlich, Messe 2026")
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	return len(files)
}

// Staff invite to an event and send a newsletter from the command line:
// create, list, show, preview, test, dry run, send after asking, the
// worker, status, "why did I get this?", scheduling and cancelling, and
// errors in German.
func TestCampaignsCommands(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml")

	// The event is still a draft: an invitation can be created and
	// previewed, but not sent.
	out := e.ok(t, "campaigns", "create", "invitation", "--event", "job-speeddating-2027")
	if !strings.Contains(out, "Kampagne 1 angelegt (Entwurf): Einladung: Job-Speeddating") || !strings.Contains(out, "Unternehmen, Familie × Themen ausbildung, fachkraefte") {
		t.Errorf("create invitation:\n%s", out)
	}
	if r := e.run(t, "", "campaigns", "send", "1", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "noch ein Entwurf; zuerst veröffentlichen: rundbrief events publish job-speeddating-2027") {
		t.Errorf("send for a draft event: exit %d\n%s", r.code, r.stderr)
	}
	e.ok(t, "events", "publish", "job-speeddating-2027")

	body := writeFile(t, "dezember.md", "## Neues aus der Netzwerkstelle\n\nDas **Jobticket** gilt ab Januar auch im Südharz.\n")
	out = e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief Dezember 2026", "--body", body, "--topics", "jugend")
	if !strings.Contains(out, "Kampagne 2 angelegt (Entwurf): Rundbrief Dezember 2026") {
		t.Errorf("create newsletter:\n%s", out)
	}
	out = e.ok(t, "campaigns", "list")
	for _, want := range []string{"Einladung: Job-Speeddating", "Rundbrief Dezember 2026", "Entwurf"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	dir := t.TempDir()
	out = e.ok(t, "campaigns", "preview", "1", "--dir", dir)
	for _, ext := range []string{".eml", ".html", ".txt"} {
		path := filepath.Join(dir, "kampagne-1"+ext)
		if !strings.Contains(out, path) {
			t.Errorf("preview does not name %s:\n%s", path, out)
		}
		if _, err := os.Stat(path); err != nil {
			t.Error(err)
		}
	}
	eml, _ := os.ReadFile(filepath.Join(dir, "kampagne-1.eml"))
	if !bytes.Contains(eml, []byte("text/calendar; method=PUBLISH; charset=UTF-8")) || !bytes.Contains(eml, []byte("List-Unsubscribe-Post")) {
		t.Errorf("preview .eml lacks the calendar file or the list headers:\n%s", eml)
	}

	out = e.ok(t, "campaigns", "test", "1", "--to", "knf@lra-nordhausen.example")
	if !strings.Contains(out, "Testmail an knf@lra-nordhausen.example") || countFiles(t, e.outbox) != 1 {
		t.Errorf("test mail:\n%s", out)
	}
	test, _ := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
	if raw, _ := os.ReadFile(test[0]); !bytes.Contains(raw, []byte("[TEST]")) {
		t.Errorf("test mail subject not marked:\n%s", raw)
	}

	out = e.ok(t, "campaigns", "send", "1", "--dry-run")
	if !strings.Contains(out, "ginge jetzt an 5 Empfängerinnen und Empfänger") || !strings.Contains(out, "personal@suedharz-metallbau.example") || !strings.Contains(out, "Probelauf: nichts verschickt") {
		t.Errorf("dry run:\n%s", out)
	}
	if r := e.run(t, "n\n", "campaigns", "send", "1"); r.code != 0 || !strings.Contains(r.stdout, "an 5 Empfängerinnen und Empfänger verschicken? [j/N]") || !strings.Contains(r.stdout, "Nicht verschickt") {
		t.Errorf("send answered no: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := e.run(t, "ja\n", "campaigns", "send", "1"); r.code != 0 || !strings.Contains(r.stdout, "5 Mails im Versandprotokoll") {
		t.Fatalf("send answered yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := e.run(t, "", "campaigns", "send", "1", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "Kampagne 1 hat den Status „wird versandt“; Versenden ist nicht möglich") {
		t.Errorf("second send: exit %d\n%s", r.code, r.stderr)
	}
	e.ok(t, "worker", "--until-empty")
	if n := countFiles(t, e.outbox); n != 1+5 {
		t.Errorf("%d mails in the outbox, want the test mail and 5 invitations (Lena Schmidt chose „Alle Veranstaltungen“)", n)
	}

	var st struct {
		Status   string         `json:"status"`
		Progress map[string]int `json:"progress"`
	}
	if err := json.Unmarshal([]byte(e.ok(t, "campaigns", "status", "1", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Status != "done" || st.Progress["sent"] != 5 || st.Progress["total"] != 5 {
		t.Errorf("status --json: %+v", st)
	}
	out = e.ok(t, "campaigns", "status", "1")
	if !strings.Contains(out, "abgeschlossen") || !strings.Contains(out, "5 versandt · 0 fehlgeschlagen") {
		t.Errorf("status:\n%s", out)
	}
	out = e.ok(t, "subscribers", "show", "personal@suedharz-metallbau.example")
	if !strings.Contains(out, "Kampagnen (warum bekam die Person sie?)") || !strings.Contains(out, "Einladung: Job-Speeddating") ||
		!strings.Contains(out, "Art Unternehmen; Thema Berufsausbildung, Fachkräfte gewinnen und halten") {
		t.Errorf("show does not say why the person got the invitation:\n%s", out)
	}

	// Scheduled, then cancelled: nothing goes out.
	out = e.ok(t, "campaigns", "send", "2", "--at", time.Now().Add(48*time.Hour).Format("2006-01-02 15:04"), "--yes")
	if !strings.Contains(out, "Kampagne 2 ist für") {
		t.Errorf("send --at:\n%s", out)
	}
	if out = e.ok(t, "campaigns", "cancel", "2"); !strings.Contains(out, "Kampagne 2 ist abgebrochen") {
		t.Errorf("cancel:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"campaigns", "pause", "1"}, "Kampagne 1 hat den Status „abgeschlossen“; Anhalten ist nicht möglich"},
		{[]string{"campaigns", "show", "99"}, "diese Kampagne gibt es nicht"},
		{[]string{"campaigns", "show", "drei"}, `"drei" ist keine Kampagnennummer`},
		{[]string{"campaigns", "create", "invitation", "--event", "gibt-es-nicht"}, "gibt-es-nicht"},
		{[]string{"campaigns", "create", "newsletter", "--subject", "Ohne Text"}, "--body DATEI.md fehlt"},
		{[]string{"campaigns", "create", "newsletter", "--subject", "X", "--body", body, "--topics", "fussball"}, "fussball"},
		{[]string{"campaigns", "send", "1", "--at", "gestern"}, "--at"},
		{[]string{"campaigns", "test", "1"}, "--to ADRESSE fehlt"},
	} {
		if r := e.run(t, "", tc.args...); r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("rundbrief %s: exit %d, want an error with %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}
}

// `campaigns status --watch` draws a live progress bar while the worker
// sends, and ends when the campaign is done.
func TestCampaignStatusWatch(t *testing.T) {
	t.Parallel()
	e := newCLI(t).with("RUNDBRIEF_RATE=40")
	e.importConfirmed(t, contacts(t, 120))
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief", "--body", writeFile(t, "b.md", "Hallo!"))
	e.ok(t, "campaigns", "send", "1", "--yes")

	var wg sync.WaitGroup
	wg.Go(func() { e.ok(t, "worker", "--until-empty") })
	out := e.ok(t, "campaigns", "status", "1", "--watch", "--every", "100ms")
	wg.Wait()

	counts := map[string]bool{}
	for _, m := range regexp.MustCompile(`(\d+)/120`).FindAllStringSubmatch(out, -1) {
		counts[m[1]] = true
	}
	if len(counts) < 3 || !counts["120"] {
		t.Errorf("the bar showed %d different counts (want at least 3, ending at 120):\n%q", len(counts), out)
	}
	for _, want := range []string{"100%", "Mails/s", "abgeschlossen: 120 versandt"} {
		if !strings.Contains(out, want) {
			t.Errorf("watch output lacks %q:\n%q", want, out)
		}
	}
}

// Two worker processes share one campaign of 5,000 recipients: every
// recipient gets exactly one mail.
func TestTwoWorkerProcessesSendEachMailOnce(t *testing.T) {
	t.Parallel()
	const n = 5000
	relay := smtptest.Start(t, smtptest.Options{})
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org", "RUNDBRIEF_CONCURRENCY=4")
	e.importConfirmed(t, contacts(t, n))
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief Januar", "--body", writeFile(t, "b.md", "Frohes neues Jahr!"))
	e.ok(t, "campaigns", "send", "1", "--yes")

	var (
		wg   sync.WaitGroup
		logs [2]bytes.Buffer
	)
	for i := range 2 {
		cmd := exec.Command(os.Args[0], "worker", "--until-empty")
		cmd.Env = append(append(os.Environ(), e.vars...), "RUNDBRIEF_TEST_RUN_MAIN=1")
		cmd.Stdout, cmd.Stderr = &logs[i], &logs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				t.Errorf("worker %d: %v\n%s", i+1, err, &logs[i])
			}
		})
	}
	wg.Wait()

	perRecipient := map[string]int{}
	conns := map[int]bool{}
	for _, m := range relay.Messages() {
		perRecipient[m.To[0]]++
		conns[m.Conn] = true
	}
	doubles := 0
	for _, c := range perRecipient {
		if c > 1 {
			doubles++
		}
	}
	if len(perRecipient) != n || doubles != 0 {
		t.Errorf("%d recipients got mail (want %d), %d of them more than once", len(perRecipient), n, doubles)
	}
	// Connections are reused: two workers with RUNDBRIEF_CONCURRENCY=4 hold
	// at most eight, whatever the number of mails.
	if len(conns) < 2 || len(conns) > 8 {
		t.Errorf("the mail came over %d connections; want both workers sending over at most 4 each", len(conns))
	}
}

// Two members of staff send the same campaign at the same moment: one
// sends it, the others are told in German what happened, never in the
// package's English.
func TestCampaignSendRaceLoserReadsGerman(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, contacts(t, 5000)) // planning takes a while: the others arrive meanwhile
	body := writeFile(t, "r.md", "Hallo\n")
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief", "--body", body)
	const staff = 6
	results := make(chan result, staff)
	for range staff {
		go func() { results <- e.run(t, "", "campaigns", "send", "1", "--yes") }()
	}
	sent := 0
	for range staff {
		r := <-results
		switch {
		case r.code == 0:
			sent++
		case !strings.Contains(r.stderr, "Kampagne 1 hat") || strings.Contains(r.stderr, "campaigns:") || strings.Contains(r.stderr, "not possible"):
			t.Errorf("the loser reads:\n%s", r.stderr)
		}
	}
	if sent != 1 {
		t.Errorf("%d sends succeeded, want 1", sent)
	}
}

// A scheduled campaign is never stuck (issue 15, point 9): `send --at`
// gives it another time, `send` without --at sends it now.
func TestScheduledCampaignRescheduledOrSentNow(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, contacts(t, 3))
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief", "--body", writeFile(t, "b.md", "Hallo!"))
	first := time.Now().Add(48 * time.Hour).Format("2006-01-02 15:04")
	later := time.Now().Add(72 * time.Hour).Format("2006-01-02 15:04") // read in Europe/Berlin
	e.ok(t, "campaigns", "send", "1", "--at", first, "--yes")
	if out := e.ok(t, "campaigns", "send", "1", "--at", later, "--yes"); !strings.Contains(out, "Kampagne 1 ist für") {
		t.Errorf("reschedule:\n%s", out)
	}
	var c struct {
		Status string    `json:"status"`
		SendAt time.Time `json:"send_at"`
	}
	if err := json.Unmarshal([]byte(e.ok(t, "campaigns", "show", "1", "--json")), &c); err != nil {
		t.Fatal(err)
	}
	if want, _ := events.ParseTime(later); c.Status != "scheduled" || !c.SendAt.Equal(want) {
		t.Errorf("after the second --at: %+v, want scheduled at %s", c, want)
	}
	out := e.ok(t, "campaigns", "send", "1", "--yes")
	if !strings.Contains(out, "Kampagne 1 war für") || !strings.Contains(out, "geht jetzt hinaus") || !strings.Contains(out, "3 Mails im Versandprotokoll") {
		t.Errorf("send now:\n%s", out)
	}
	if out := e.ok(t, "campaigns", "status", "1"); !strings.Contains(out, "wird versandt") {
		t.Errorf("status after send now:\n%s", out)
	}
}
