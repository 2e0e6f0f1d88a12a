package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Staff create the five KNF events from the example files, change one,
// publish it, and read them back as tables and JSON; bad files and flags
// are refused with the field named.
func TestEventsCommands(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	files, _ := filepath.Glob("../../examples/events/*.yaml")
	for _, f := range files {
		out := e.ok(t, "events", "create", "-f", f)
		if !strings.Contains(out, "Veranstaltung angelegt (Entwurf)") {
			t.Errorf("create %s:\n%s", f, out)
		}
	}
	out := e.ok(t, "events", "list")
	for _, want := range []string{"regionalkonferenz-2027", "18.03.2027 09:00", "Entwurf", "5 Veranstaltungen"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}

	out = e.ok(t, "events", "update", "job-speeddating-2027", "--start", "2027-04-22 15:00", "--end", "2027-04-22 18:00", "--capacity", "50")
	if !strings.Contains(out, "Version 1") {
		t.Errorf("update that moves the event:\n%s", out)
	}
	e.ok(t, "events", "publish", "job-speeddating-2027")
	var ev struct {
		Slug      string   `json:"slug"`
		Status    string   `json:"status"`
		Sequence  int      `json:"sequence"`
		Capacity  int      `json:"capacity"`
		Start     string   `json:"start"`
		Kinds     []string `json:"kinds"`
		Reminders []string `json:"reminders"`
	}
	if err := json.Unmarshal([]byte(e.ok(t, "events", "show", "job-speeddating-2027", "--json")), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Status != "published" || ev.Sequence != 1 || ev.Capacity != 50 || ev.Start != "2027-04-22T15:00:00+02:00" ||
		strings.Join(ev.Kinds, ",") != "company,family" || strings.Join(ev.Reminders, ",") != "7d,1d" {
		t.Errorf("show --json = %+v", ev)
	}
	out = e.ok(t, "events", "show", "talent-campus-2027")
	for _, want := range []string{"05.07.2027 09:00 bis 09.07.2027 15:00", "Familie, Schule × jugend", "nötig, 60 Plätze, bis 25.06.2027 23:59", "14d, 7d, 1d vor Beginn", "Kreisjugendring",
		"Namen der Teilnehmenden  Pflicht", "Frage essen", "Mittagessen (Pflicht, je Person, mit Fleisch / vegetarisch / vegan)",
		"Nachbereitung", "2d nach dem Ende, 11.07.2027 15:00: „Danke für Ihr Kommen zum Talent-Campus“ an die Anwesenden"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}

	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"events", "create", "-f", writeFile(t, "x.yaml", "slug: x-2027\ntitle: X\nort: Rathaus\n")}, []string{"x.yaml", "Zeile 3", "unbekanntes Feld „ort“"}},
		{[]string{"events", "create", "--slug", "y-2027", "--title", "Y", "--start", "morgen", "--end", "2027-01-01 10:00", "--kinds", "Verein"},
			[]string{"start:", "morgen", "kinds:", "Verein", "place:"}},
		{[]string{"events", "create", "-f", files[0]}, []string{"schon eine Veranstaltung"}},
		{[]string{"events", "create", "-f", writeFile(t, "w.yaml", "slug: w-2027\ntitle: W\nstart: morgen\nend: 2027-01-01 10:00\nplace: X\n")},
			[]string{"start:", "morgen"}},
		{[]string{"events", "create", "--slug", "z-2027", "--title", "Z", "--start", "2027-01-01 09:00", "--end", "2027-01-01 10:00", "--place", "Rathaus", "--topics", "astrologie"},
			[]string{"topics:", "astrologie", "rundbrief topics list"}},
		{[]string{"events", "update", "gibtsnicht", "--title", "X"}, []string{"keine Veranstaltung"}},
	}
	for _, tt := range tests {
		r := e.run(t, "", tt.args...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1", tt.args, r.code)
		}
		for _, w := range tt.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tt.args[:2], w, r.stderr)
			}
		}
	}
}

// Staff register people by phone, see who comes and who waits (also as
// CSV for Excel), and take a registration back: the waitlist moves up.
func TestEventRegistrationsByStaff(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--capacity", "3", "--deadline", "")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")

	for _, tc := range []struct {
		email, people, want string
	}{
		{"personal@suedharz-metallbau.example", "2", "ist mit 2 Personen angemeldet"},
		{"ausbildung@kyffhaeuser-logistik.example", "2", "auf der Warteliste, Platz 1"},
		{"hr@rolandsoft.example", "1", "ist mit 1 Person angemeldet"},
	} {
		if out := e.ok(t, "events", "register", "job-speeddating-2027", tc.email, "--people", tc.people); !strings.Contains(out, tc.want) {
			t.Errorf("register %s: %s", tc.email, out)
		}
	}
	out := e.ok(t, "events", "registrations", "job-speeddating-2027")
	for _, want := range []string{"3 von 3 belegt, 2 Personen auf der Warteliste", "Südharz Metallbau GmbH", "Warteliste, Platz 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("registrations lack %q:\n%s", want, out)
		}
	}
	csvOut := e.ok(t, "events", "registrations", "job-speeddating-2027", "--csv")
	if !strings.HasPrefix(csvOut, "\uFEFFNr.;Name;Organisation;E-Mail;Telefon;Personen;Status;Angemeldet am;Unterschrift;Anwesend\r\n") || strings.Count(csvOut, "\r\n") != 4 {
		t.Errorf("CSV:\n%q", csvOut)
	}
	out = e.ok(t, "events", "unregister", "job-speeddating-2027", "personal@suedharz-metallbau.example")
	if !strings.Contains(out, "zurückgenommen") || !strings.Contains(out, "Von der Warteliste nachgerückt:\n  ausbildung@kyffhaeuser-logistik.example (2 Personen)") {
		t.Errorf("unregister:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "register", "job-speeddating-2027", "hr@rolandsoft.example", "--people", "9"}, "zwischen 1 und 3 Personen"}, // 3 places
		{[]string{"events", "register", "job-speeddating-2027", "hr@rolandsoft.example", "--people", "3"}, "nicht mehr frei (frei: 0)"},
		{[]string{"events", "register", "job-speeddating-2027", "niemand@example.org"}, `--name "…"`},
		{[]string{"events", "register", "regionalkonferenz-2027", "hr@rolandsoft.example"}, "keine Veranstaltung"},
		{[]string{"events", "unregister", "job-speeddating-2027", "info@baeckerei-hoffmann-nordhausen.example"}, "nicht angemeldet"},
	} {
		if r := e.run(t, "", tc.args...); r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("rundbrief %s: exit %d, want an error with %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}
}

// Moving an event with --notify mails the registered people and those on
// the waitlist what changed, with a calendar file of a higher SEQUENCE;
// cancelling it mails them a METHOD:CANCEL file.
func TestEventUpdateNotifyAndCancel(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "", "--capacity", "2")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "events", "register", "job-speeddating-2027", "personal@suedharz-metallbau.example", "--people", "2")
	if out := e.ok(t, "events", "register", "job-speeddating-2027", "hr@rolandsoft.example"); !strings.Contains(out, "Warteliste, Platz 1") {
		t.Fatalf("register when full: %s", out)
	}
	e.ok(t, "worker", "--until-empty")
	before := countFiles(t, e.outbox)

	out := e.ok(t, "events", "update", "job-speeddating-2027", "--start", "2027-04-29 14:00", "--end", "2027-04-29 17:00", "--notify")
	if !strings.Contains(out, "Version 1") || !strings.Contains(out, "Änderung (Kampagne 1) an 2 Empfängerinnen und Empfänger übergeben") {
		t.Errorf("update --notify:\n%s", out)
	}
	if out := e.ok(t, "events", "update", "job-speeddating-2027", "--title", "Job-Speeddating 2027", "--notify"); !strings.Contains(out, "keine Änderungsmail") {
		t.Errorf("update of the title with --notify:\n%s", out)
	}
	if r := e.run(t, "nein\n", "events", "cancel", "job-speeddating-2027"); r.code != 0 || !strings.Contains(r.stdout, "Nicht abgesagt") {
		t.Errorf("cancel answered no: %d %s", r.code, r.stdout)
	}
	out = e.ok(t, "events", "cancel", "job-speeddating-2027", "--reason", "Die Hochschule ist wegen eines Wasserschadens geschlossen.", "--yes")
	if !strings.Contains(out, "ist abgesagt; Erinnerungen entfallen") || !strings.Contains(out, "Absage (Kampagne 2) an 2 Empfängerinnen und Empfänger übergeben") {
		t.Errorf("cancel:\n%s", out)
	}
	e.ok(t, "worker", "--until-empty")
	files, _ := filepath.Glob(filepath.Join(e.outbox, "*.eml"))
	if len(files)-before != 4 {
		t.Fatalf("%d new mails, want an update and a cancellation to each of 2 people", len(files)-before)
	}
	var updates, cancels int
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		text := string(raw)
		switch {
		case strings.Contains(text, "method=CANCEL"):
			cancels++
			if !strings.Contains(text, "Wasserschaden") {
				t.Errorf("the cancellation does not give the reason")
			}
		case strings.Contains(text, "Ge=C3=A4ndert") || strings.Contains(text, "Changed: "):
			updates++
		}
	}
	if updates != 2 || cancels != 2 {
		t.Errorf("%d updates and %d cancellations, want 2 and 2", updates, cancels)
	}
	if out := e.ok(t, "events", "cancel", "job-speeddating-2027", "--yes"); !strings.Contains(out, "war schon abgesagt") {
		t.Errorf("cancelling twice:\n%s", out)
	}
}

// People who subscribe on the web choose their own name and organisation.
// A name that is a spreadsheet formula reaches the staff's CSV as text:
// read back, no cell starts with a character that Excel runs.
func TestRegistrationsCSVDefusesFormulas(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	hostile := []struct{ email, name, org string }{
		{"a@example.org", `=HYPERLINK("http://evil.example","x")`, "+cmd|' /C calc'!A0"},
		{"b@example.org", "@SUM(1+1)", "-2+3"},
	}
	for _, h := range hostile {
		e.ok(t, "subscribers", "add", h.email, "--kind", "Unternehmen", "--name", h.name, "--organisation", h.org,
			"--confirmed", "--consent-note", "Test")
		e.ok(t, "events", "register", "job-speeddating-2027", h.email)
	}
	out := e.ok(t, "events", "registrations", "job-speeddating-2027", "--csv")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("CSV read back: %d rows, %v\n%s", len(rows), err, out)
	}
	for i, row := range rows {
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("row %d, column %q starts with a formula character: %q", i+1, rows[0][j], cell)
			}
		}
	}
	for i, h := range hostile {
		if got := rows[i+1][1:3]; got[0] != "'"+h.name || got[1] != "'"+h.org {
			t.Errorf("row %d: name and organisation %q, want them behind an apostrophe", i+2, got)
		}
	}
}

// A link's scheme in capitals is a link: it is stored in lower case, and no
// command shows staff the database's own words.
func TestEventOnlineLinkInCapitals(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	r := e.run(t, "", "events", "create", "--slug", "online-2027", "--title", "Online-Sprechstunde",
		"--start", "2027-05-05 10:00", "--end", "2027-05-05 11:00", "--online", "HTTPS://MEET.EXAMPLE/x")
	if r.code != 0 || strings.Contains(r.stderr, "pq:") {
		t.Fatalf("create with HTTPS://: exit %d\n%s", r.code, r.stderr)
	}
	var ev struct {
		Online string `json:"online"`
	}
	if err := json.Unmarshal([]byte(e.ok(t, "events", "show", "online-2027", "--json")), &ev); err != nil || ev.Online != "https://MEET.EXAMPLE/x" {
		t.Errorf("stored link %q (%v), want https://MEET.EXAMPLE/x", ev.Online, err)
	}
}

// Staff write times as they like ("9:00"); a time that exists twice in the
// night summer time ends is taken with a word about which one, and one
// that does not exist is refused for that reason.
func TestEventTimesAroundTheClockChange(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	create := func(slug, start, end string) result {
		return e.run(t, "", "events", "create", "--slug", slug, "--title", "Nachtwanderung", "--start", start, "--end", end, "--place", "Rathaus")
	}
	if r := create("sommer-2027", "2027-07-05 9:00", "2027-07-05 11:00"); r.code != 0 || strings.Contains(r.stdout, "Hinweis") {
		t.Errorf("9:00 without a leading zero: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := create("herbst-2027", "2027-10-31 02:30", "2027-10-31 04:00")
	if r.code != 0 || !strings.Contains(r.stdout, "Hinweis: Beginn 31.10.2027 02:30") || !strings.Contains(r.stdout, "Sommerzeit (MESZ)") {
		t.Errorf("02:30 on 31 October: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := create("fruehling-2027", "2027-03-28 02:30", "2027-03-28 04:00"); r.code == 0 || !strings.Contains(r.stderr, "von 2 auf 3 Uhr") {
		t.Errorf("02:30 on 28 March: exit %d\n%s", r.code, r.stderr)
	}
}
