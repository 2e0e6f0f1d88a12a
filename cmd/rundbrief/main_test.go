package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// TestMain lets a test run this very binary as the rundbrief command, for
// tests that need a real process (signals).
func TestMain(m *testing.M) {
	if os.Getenv("RUNDBRIEF_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

const (
	testSecret = "cli-test-secret-0123456789abcdefghijklmnop"
	testBase   = "https://rundbrief.example"
)

// cliEnv is one test's installation: its own database, queue namespace and
// outbox.
type cliEnv struct {
	vars   []string
	outbox string
}

func newCLI(t *testing.T) *cliEnv {
	t.Helper()
	_, dbURL := testenv.Database(t)
	redis := testenv.Redis(t)
	ns := testenv.Namespace(t, redis)
	outbox := filepath.Join(t.TempDir(), "outbox")
	return &cliEnv{outbox: outbox, vars: []string{
		"RUNDBRIEF_DATABASE_URL=" + dbURL,
		"RUNDBRIEF_REDIS_URL=" + testenv.RedisURL(),
		"RUNDBRIEF_QUEUE_NAMESPACE=" + ns,
		"RUNDBRIEF_SECRET=" + testSecret,
		"RUNDBRIEF_OUTBOX=" + outbox,
		"RUNDBRIEF_BASE_URL=" + testBase,
		"RUNDBRIEF_LOG_LEVEL=warn",
	}}
}

// with returns the environment with extra variables.
func (e *cliEnv) with(vars ...string) *cliEnv {
	return &cliEnv{outbox: e.outbox, vars: append(append([]string(nil), e.vars...), vars...)}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs one command line in-process.
func (e *cliEnv) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, args, e.vars, strings.NewReader(stdin), &out, &errOut, nil)
	return result{out.String(), errOut.String(), code}
}

func (e *cliEnv) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := e.run(t, "", args...)
	if r.code != 0 {
		t.Fatalf("rundbrief %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// listJSON is everything stored about subscribers, as `list --json` shows it.
func (e *cliEnv) listJSON(t *testing.T) []subscribers.Subscriber {
	t.Helper()
	var subs []subscribers.Subscriber
	if err := json.Unmarshal([]byte(e.ok(t, "subscribers", "list", "--json", "--limit", "0")), &subs); err != nil {
		t.Fatal(err)
	}
	return subs
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	e := &cliEnv{vars: []string{"RUNDBRIEF_SECRET=" + testSecret}}
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"--help"}, 0},
		{[]string{"subscribers", "import", "--help"}, 0},
		{[]string{}, 0},
		{[]string{"versenden"}, 2},
		{[]string{"subscribers", "hinzufügen"}, 2},
		{[]string{"subscribers", "add"}, 2},
		{[]string{"subscribers", "add", "a@example.org"}, 2},
		{[]string{"subscribers", "add", "a@example.org", "--kind", "Schule", "--confirmed"}, 2},
		{[]string{"subscribers", "list", "--gibtsnicht"}, 2},
		{[]string{"subscribers", "list", "--limit", "viele"}, 2},
		{[]string{"subscribers", "list", "--status", "aktiv"}, 2},
		{[]string{"subscribers", "import"}, 2},
		{[]string{"subscribers", "import", "a.csv", "--confirmed"}, 2},
		{[]string{"subscribers", "import", "a.csv", "--kind", "Verein"}, 2},
		{[]string{"topics", "add", "neu"}, 2},
		{[]string{"config"}, 0},
	}
	for _, tt := range tests {
		if r := e.run(t, "", tt.args...); r.code != tt.code {
			t.Errorf("rundbrief %s: exit %d, want %d\n%s%s", strings.Join(tt.args, " "), r.code, tt.code, r.stdout, r.stderr)
		}
	}
}

func TestConfigCommand(t *testing.T) {
	t.Parallel()
	e := &cliEnv{vars: []string{"RUNDBRIEF_SECRET=" + testSecret, "RUNDBRIEF_SMTP_URL=smtp://knf:relaypass@relay.example.org", "RUNDBRIEF_FROM=knf@lra.example.org"}}
	out := e.ok(t, "config")
	for _, want := range []string{"RUNDBRIEF_SECRET", "******** (42 Bytes)", "smtp://knf:xxxxx@relay.example.org:587?tls=starttls", "Umgebung", "Standard"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{testSecret, "relaypass"} {
		if strings.Contains(out, secret) {
			t.Errorf("config shows a secret:\n%s", out)
		}
	}
	// A password given as a parameter of the URL is masked too, in the
	// table, in JSON and in the error of a server that does not answer.
	inURL := &cliEnv{vars: []string{"RUNDBRIEF_SECRET=" + testSecret,
		"RUNDBRIEF_DATABASE_URL=postgres://knf@127.0.0.1:1/rundbrief?password=dbgeheim&sslmode=disable&connect_timeout=2",
		"RUNDBRIEF_REDIS_URL=redis://:redisgeheim@127.0.0.1:1/0"}}
	for _, args := range [][]string{{"config"}, {"config", "--json"}, {"topics", "list"}} {
		r := inURL.run(t, "", args...)
		if all := r.stdout + r.stderr; strings.Contains(all, "dbgeheim") || strings.Contains(all, "redisgeheim") {
			t.Errorf("rundbrief %s shows a password:\n%s", strings.Join(args, " "), all)
		}
		if args[0] == "topics" && (!strings.Contains(r.stderr, "PostgreSQL unter postgres://knf@127.0.0.1:1/") ||
			!strings.Contains(r.stderr, "Verbindung abgelehnt") || strings.Contains(r.stderr, "postgres: ")) {
			t.Errorf("with the database down, staff read:\n%s", r.stderr)
		}
	}
	bad := &cliEnv{vars: []string{"RUNDBRIEF_CONCURRENCY=viele", "RUNDBRIEF_BASE_URL=rundbrief"}}
	r := bad.run(t, "", "config")
	if r.code != 1 || !strings.Contains(r.stderr, "RUNDBRIEF_CONCURRENCY") || !strings.Contains(r.stderr, "RUNDBRIEF_BASE_URL") {
		t.Errorf("bad config: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

const badCSV = "\uFEFFE-Mail;Name;Organisation;Art;Themen\r\n" +
	"personal@metallbau.example;Jörg Müller;Südharz Metallbau GmbH;Unternehmen;ausbildung\r\n" +
	"max.mustermann@;Max Mustermann;;Familie;jugend\r\n" +
	"verein@sportverein.example;;Sportverein;Verein;jugend\r\n" +
	"eltern@example.org;;;Familie;Sport|jugend\r\n" +
	"schule@example.org;;Regelschule;Schule;;zu viel\r\n"

const fixedCSV = "\uFEFFE-Mail;Name;Organisation;Art;Themen\r\n" +
	"personal@metallbau.example;Jörg Müller;Südharz Metallbau GmbH;Unternehmen;ausbildung\r\n" +
	"max.mustermann@example.org;Max Mustermann;;Familie;jugend\r\n" +
	"verein@sportverein.example;;Sportverein;Sonstige;jugend\r\n" +
	"eltern@example.org;;;Familie;jugend\r\n" +
	"schule@example.org;;Regelschule;Schule;\r\n" +
	"PERSONAL@metallbau.example;;;Unternehmen;fachkraefte\r\n"

// A file with bad rows is refused with every bad row named and nothing
// stored; the fixed file imports; importing it again changes nothing.
func TestImportBadThenFixedThenAgain(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	r := e.run(t, "", "subscribers", "import", writeFile(t, "kontakte.csv", badCSV))
	if r.code != 1 {
		t.Fatalf("bad file: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"4 fehlerhafte Zeilen",
		"Zeile 3, Spalte „E-Mail“ („max.mustermann@“): keine gültige E-Mail-Adresse",
		"Zeile 4, Spalte „Art“ („Verein“): unbekannte Art",
		"Zeile 5, Spalte „Themen“ („Sport“): unbekanntes Thema",
		"Zeile 6: die Zeile hat mehr Felder als die Kopfzeile Spalten",
		"Bekannte Themen: ausbildung (Berufsausbildung)",
		"Nichts wurde aufgenommen",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	if subs := e.listJSON(t); len(subs) != 0 {
		t.Fatalf("a refused import stored %d subscribers", len(subs))
	}

	fixed := writeFile(t, "kontakte.csv", fixedCSV)
	out := e.ok(t, "subscribers", "import", fixed)
	for _, want := range []string{"Zeile 7 wie Zeile 2: PERSONAL@metallbau.example", "5 Bestätigungsmails"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	wantCount(t, out, "neu aufgenommen", 5)
	before := e.listJSON(t)
	if len(before) != 5 || before[0].Email != "personal@metallbau.example" || strings.Join(before[0].Topics, ",") != "ausbildung,fachkraefte" {
		t.Fatalf("after import: %+v", before)
	}
	out = e.ok(t, "subscribers", "import", fixed)
	wantCount(t, out, "neu aufgenommen", 0)
	wantCount(t, out, "schon im Verteiler, unverändert", 5)
	if after := e.listJSON(t); !equalJSON(t, before, after) {
		t.Errorf("second import changed the subscribers:\nbefore %+v\nafter  %+v", before, after)
	}
}

// wantCount checks a line "label:   n" of an import report.
func wantCount(t *testing.T, report, label string, n int) {
	t.Helper()
	if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(label) + `:\s+` + strconv.Itoa(n) + `\b`).MatchString(report) {
		t.Errorf("report does not say %s: %d\n%s", label, n, report)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestImportSkipInvalidAndDryRun(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	path := writeFile(t, "kontakte.csv", badCSV)
	out := e.ok(t, "subscribers", "import", path, "--skip-invalid", "--dry-run")
	if !strings.Contains(out, "Probelauf") || len(e.listJSON(t)) != 0 {
		t.Errorf("dry run stored something:\n%s", out)
	}
	out = e.ok(t, "subscribers", "import", path, "--skip-invalid")
	wantCount(t, out, "fehlerhaft, übersprungen", 4)
	if subs := e.listJSON(t); len(subs) != 1 || subs[0].Email != "personal@metallbau.example" {
		t.Errorf("after --skip-invalid: %+v", subs)
	}
}

func TestSubscriberCommands(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	out := e.ok(t, "subscribers", "add", "Personal@Metallbau.example", "--kind", "Unternehmen", "--name", "Jörg Müller",
		"--topics", "ausbildung,Fachkräfte gewinnen und halten")
	if !strings.Contains(out, "Aufgenommen: Personal@metallbau.example") || !strings.Contains(out, "unbestätigt") {
		t.Errorf("add:\n%s", out)
	}
	e.ok(t, "subscribers", "add", "eltern@example.org", "--kind", "Familie", "--confirmed", "--consent-note", "Anmeldekarte Talent-Campus")
	if r := e.run(t, "", "subscribers", "add", "personal@metallbau.example", "--kind", "Schule"); r.code != 1 || !strings.Contains(r.stderr, "schon im Verteiler") {
		t.Errorf("duplicate add: exit %d, %s", r.code, r.stderr)
	}
	if r := e.run(t, "", "subscribers", "add", "Max <max@example.org>", "--kind", "Schule"); r.code != 1 || !strings.Contains(r.stderr, "ohne Namen") {
		t.Errorf("add with display name: exit %d, %s", r.code, r.stderr)
	}

	out = e.ok(t, "subscribers", "list", "--status", "bestätigt")
	if !strings.Contains(out, "eltern@example.org") || strings.Contains(out, "metallbau") || !strings.Contains(out, "\n1 Person\n") {
		t.Errorf("list --status bestätigt:\n%s", out)
	}
	out = e.ok(t, "subscribers", "show", "personal@METALLBAU.example")
	for _, want := range []string{"Jörg Müller", "Berufsausbildung (ausbildung)", "Fachkräfte gewinnen und halten (fachkraefte)", "Abonnement beantragt", "Bestätigungsmail", "wartet"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out = e.ok(t, "subscribers", "show", "eltern@example.org", "--json")
	var d struct {
		Status     string `json:"status"`
		ConsentLog []struct {
			Action, Note string
		} `json:"consent_log"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Status != "confirmed" || len(d.ConsentLog) != 2 || d.ConsentLog[1].Note != "Anmeldekarte Talent-Campus" {
		t.Errorf("show --json: %v\n%s", err, out)
	}

	if r := e.run(t, "n\n", "subscribers", "delete", "eltern@example.org"); r.code != 1 || !strings.Contains(r.stdout, "Nichts gelöscht") {
		t.Errorf("delete answered no: exit %d\n%s", r.code, r.stdout)
	}
	e.run(t, "j\n", "subscribers", "delete", "eltern@example.org", "--suppress")
	if r := e.run(t, "", "subscribers", "show", "eltern@example.org"); r.code != 1 {
		t.Error("deleted subscriber still shown")
	}
	out = e.ok(t, "subscribers", "import", writeFile(t, "k.csv", "E-Mail;Art\neltern@example.org;Familie\n"))
	wantCount(t, out, "gesperrt, nicht aufgenommen", 1)
	if !strings.Contains(out, "Zeile 2: eltern@example.org") {
		t.Errorf("import of a deleted, suppressed address:\n%s", out)
	}
}

func TestTopicsAndMigrateCommands(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	if out := e.ok(t, "migrate"); !strings.Contains(out, "neuesten Stand") {
		t.Errorf("migrate on a current database:\n%s", out)
	}
	if out := e.ok(t, "migrate", "--status"); !strings.Contains(out, "00001_subscribers.sql") || !strings.Contains(out, "angewendet am") {
		t.Errorf("migrate --status:\n%s", out)
	}
	e.ok(t, "topics", "add", "digitalisierung", "--de", "Digitalisierung im Betrieb", "--en", "Digitalisation at work")
	if r := e.run(t, "", "topics", "add", "Digital!", "--de", "x", "--en", "y"); r.code != 1 {
		t.Errorf("bad slug: exit %d", r.code)
	}
	out := e.ok(t, "topics", "list")
	for _, want := range []string{"ausbildung", "Berufsausbildung", "Digitalisierung im Betrieb", "oepnv"} {
		if !strings.Contains(out, want) {
			t.Errorf("topics list lacks %q:\n%s", want, out)
		}
	}
}

// Commands that need the schema say so on a database that is not migrated.
func TestNeedsMigrate(t *testing.T) {
	t.Parallel()
	e := &cliEnv{vars: []string{"RUNDBRIEF_DATABASE_URL=" + testenv.EmptyDatabaseURL(t), "RUNDBRIEF_SECRET=" + testSecret}}
	r := e.run(t, "", "subscribers", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "rundbrief migrate") {
		t.Errorf("list on an empty database: exit %d\n%s", r.code, r.stderr)
	}
}
