package main

import (
	"encoding/csv"
	"fmt"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/knf-nordhausen/rundbrief/events"
)

// outboxNames are the names of the mails in the outbox dir now.
func outboxNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		seen[f] = true
	}
	return seen
}

// subjectOf is the decoded subject of the mail raw.
func subjectOf(t *testing.T, raw string) string {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return subject
}

// newMails are the mails in the outbox dir that are not in seen, whole.
func newMails(t *testing.T, dir string, seen map[string]bool) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var out []string
	for _, f := range files {
		if seen[f] {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(raw))
	}
	return out
}

// allEventsCSV holds four confirmed contacts: two families who chose
// "Alle Veranstaltungen" or a topic of the Job-Speeddating, one family
// with another topic, and a school (a kind the event is not for) with
// "Alle Veranstaltungen".
const allEventsCSV = "E-Mail;Name;Art;Themen\n" +
	"alle@familie.example;Familie Alle;Familie;veranstaltungen\n" +
	"ausbildung@familie.example;Familie Ausbildung;Familie;ausbildung\n" +
	"jugend@familie.example;Familie Jugend;Familie;jugend\n" +
	"alle@schule.example;Regelschule;Schule;veranstaltungen\n"

// "Alle Veranstaltungen" means every event for the subscriber's kind
// (issue 15, point 1): the invitation's count, the dry run and "why did I
// get this" all reach the family who chose only that topic, and not the
// school; a newsletter on a topic does not reach them.
func TestAllEventsTopicReachesEveryEventOfTheKind(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "--confirmed", "--consent-note", "Liste 2026", writeFile(t, "k.csv", allEventsCSV))
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml")
	e.ok(t, "events", "publish", "job-speeddating-2027")

	out := e.ok(t, "campaigns", "create", "invitation", "--event", "job-speeddating-2027")
	if !strings.Contains(out, "derzeit 2 Empfängerinnen und Empfänger") || !strings.Contains(out, "alle Veranstaltungen") {
		t.Errorf("create:\n%s", out)
	}
	out = e.ok(t, "campaigns", "send", "1", "--dry-run")
	for _, want := range []string{"alle@familie.example", "veranstaltungen", "ausbildung@familie.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"jugend@familie.example", "alle@schule.example"} {
		if strings.Contains(out, not) {
			t.Errorf("dry run reaches %s:\n%s", not, out)
		}
	}
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")
	out = e.ok(t, "subscribers", "show", "alle@familie.example")
	if !strings.Contains(out, "Thema Alle Veranstaltungen") {
		t.Errorf("show does not say why the family got the invitation:\n%s", out)
	}

	out = e.ok(t, "campaigns", "create", "newsletter", "--subject", "Ausbildung", "--body", writeFile(t, "n.md", "Text"), "--topics", "ausbildung")
	if !strings.Contains(out, "derzeit 1 Empfängerin oder Empfänger") || strings.Contains(out, "alle Veranstaltungen") {
		t.Errorf("a newsletter on a topic:\n%s", out)
	}
}

// Staff send a reminder now, outside the event's offsets (issue 15,
// point 3): asked first, then to the registered people only, with the
// staff's sentence.
func TestEventsRemindNow(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "")
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	if r := e.run(t, "", "events", "remind", "job-speeddating-2027", "--yes"); r.code == 0 || !strings.Contains(r.stderr, "nur an veröffentlichte") {
		t.Errorf("remind of a draft: exit %d\n%s", r.code, r.stderr)
	}
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.ok(t, "events", "register", "job-speeddating-2027", "personal@suedharz-metallbau.example")
	e.ok(t, "worker", "--until-empty")
	seen := outboxNames(t, e.outbox)

	if r := e.run(t, "nein\n", "events", "remind", "job-speeddating-2027"); r.code != 0 ||
		!strings.Contains(r.stdout, "1 Empfängerin oder Empfänger? [j/N]") || !strings.Contains(r.stdout, "Keine Erinnerung verschickt") {
		t.Errorf("remind answered no: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := e.run(t, "j\n", "events", "remind", "job-speeddating-2027", "--note", "Bitte bringen Sie Ihren Lebenslauf mit.")
	if r.code != 0 || !strings.Contains(r.stdout, "Erinnerung (Kampagne 1) an 1 Empfängerin oder Empfänger übergeben") {
		t.Fatalf("remind: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.ok(t, "worker", "--until-empty")
	files := newMails(t, e.outbox, seen)
	if len(files) != 1 {
		t.Fatalf("%d mails, want the reminder to the one registered person", len(files))
	}
	if text := files[0]; !strings.Contains(text, "personal@suedharz-metallbau.example") || !strings.Contains(text, "Lebenslauf") {
		t.Errorf("the reminder:\n%s", text)
	}
}

// A follow-up invitation reaches only those whom no invitation to the
// event has reached: here the person who confirmed after the first one
// went out (issue 15, point 2).
func TestFollowUpInvitationToLateConfirmersOnly(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "--confirmed", "--consent-note", "Liste 2026", writeFile(t, "k.csv", allEventsCSV))
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.ok(t, "campaigns", "create", "invitation", "--event", "job-speeddating-2027")
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")

	e.ok(t, "subscribers", "add", "spaet@familie.example", "--kind", "Familie", "--topics", "ausbildung",
		"--confirmed", "--consent-note", "Anruf am 02.12.2026")
	if r := e.run(t, "", "campaigns", "create", "newsletter", "--subject", "S", "--body", writeFile(t, "n.md", "T"), "--new-only"); r.code == 0 ||
		!strings.Contains(r.stderr, "nur für Einladungen") {
		t.Errorf("a newsletter with --new-only: exit %d\n%s", r.code, r.stderr)
	}
	out := e.ok(t, "campaigns", "create", "invitation", "--event", "job-speeddating-2027", "--new-only")
	if !strings.Contains(out, "nur wer noch keine Einladung bekam – derzeit 1 Empfängerin oder Empfänger") {
		t.Errorf("create --new-only:\n%s", out)
	}
	seen := outboxNames(t, e.outbox)
	e.ok(t, "campaigns", "send", "2", "--yes")
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, seen)
	if len(mails) != 1 || !strings.Contains(mails[0], "To: <spaet@familie.example>") {
		t.Errorf("%d mails, want one to the late confirmer:\n%v", len(mails), mails)
	}
}

// A phone registration keeps consent apart (issue 15, point 4): a person
// not on the list is registered as a contact with name and phone, gets
// the mails about the registration — without list headers or a link that
// unsubscribes — and no newsletter or invitation; subscribing later makes
// the same person a subscriber.
func TestPhoneRegistrationGetsNoNewsletter(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "")
	e.ok(t, "events", "publish", "job-speeddating-2027")

	if r := e.run(t, "", "events", "register", "job-speeddating-2027", "anrufer@example.org"); r.code == 0 || !strings.Contains(r.stderr, `--name "…"`) {
		t.Errorf("register an unknown address without a name: exit %d\n%s", r.code, r.stderr)
	}
	if r := e.run(t, "", "events", "register", "job-speeddating-2027", "anrufer@example.org", "--name", "Karl Anrufer", "--phone", "call me"); r.code == 0 ||
		!strings.Contains(r.stderr, "Telefonnummer") {
		t.Errorf("a phone number of words: exit %d\n%s", r.code, r.stderr)
	}
	seen := outboxNames(t, e.outbox)
	out := e.ok(t, "events", "register", "job-speeddating-2027", "anrufer@example.org", "--name", "Karl Anrufer", "--phone", "03631 123456", "--people", "2")
	if !strings.Contains(out, "als Kontakt aufgenommen – nur für Veranstaltungen, ohne Rundbrief") || !strings.Contains(out, "mit 2 Personen angemeldet") {
		t.Errorf("phone registration:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "show", "anrufer@example.org"); !strings.Contains(out, "nur Veranstaltung") {
		t.Errorf("show of the contact:\n%s", out)
	}
	if csv := e.ok(t, "events", "registrations", "job-speeddating-2027", "--csv"); !strings.Contains(csv, "Karl Anrufer;;anrufer@example.org;03631 123456;2;") {
		t.Errorf("the sign-in sheet lacks the phone:\n%s", csv)
	}
	// The printable sign-in sheet: a row with room to sign, the name
	// escaped as HTML.
	e.ok(t, "events", "register", "job-speeddating-2027", "--name", "Ida <Test> & Co", "--phone", "03631 55555")
	if html := e.ok(t, "events", "registrations", "job-speeddating-2027", "--html"); !strings.Contains(html, "<h1>Teilnahmeliste: Job-Speeddating</h1>") ||
		!strings.Contains(html, "<td>Karl Anrufer</td><td></td><td>03631 123456</td><td class=\"num\">2</td><td class=\"sign\"></td>") ||
		!strings.Contains(html, "Ida &lt;Test&gt; &amp; Co") || !strings.Contains(html, "2 Anmeldungen mit 3 Personen") {
		t.Errorf("the printable sign-in sheet:\n%s", html)
	}
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, seen)
	if len(mails) != 1 {
		t.Fatalf("%d mails after the phone registration, want its confirmation", len(mails))
	}
	transactional := func(what, m string) {
		t.Helper()
		if strings.Contains(m, "List-Unsubscribe") || strings.Contains(m, "/unsubscribe/") || strings.Contains(m, "/preferences/") {
			t.Errorf("%s carries a list header or a link that unsubscribes:\n%s", what, m)
		}
	}
	transactional("the registration's confirmation", mails[0])

	// A newsletter to everyone and an invitation to all kinds pass the
	// contact by.
	for _, args := range [][]string{
		{"campaigns", "create", "newsletter", "--subject", "Rundbrief", "--body", writeFile(t, "n.md", "Text")},
		{"campaigns", "create", "invitation", "--event", "job-speeddating-2027", "--kinds", "Unternehmen,Schule,Familie,Sonstige", "--topics", ""},
	} {
		e.ok(t, args...)
	}
	for _, id := range []string{"1", "2"} {
		if out := e.ok(t, "campaigns", "send", id, "--dry-run"); strings.Contains(out, "anrufer@example.org") || !strings.Contains(out, "12 Empf") {
			t.Errorf("campaign %s reaches the contact, or not the 12 subscribers:\n%s", id, out)
		}
	}
	seen = outboxNames(t, e.outbox)
	e.ok(t, "events", "remind", "job-speeddating-2027", "--yes")
	e.ok(t, "worker", "--until-empty")
	mails = newMails(t, e.outbox, seen)
	if len(mails) != 1 || !strings.Contains(mails[0], "anrufer@example.org") {
		t.Fatalf("%d reminders, want one to the contact", len(mails))
	}
	transactional("the reminder to the registered people", mails[0])

	// The person asks for the newsletter too: the same person, now
	// waiting for their confirmation.
	out = e.ok(t, "subscribers", "add", "anrufer@example.org", "--kind", "Familie", "--topics", "jugend")
	if !strings.Contains(out, "unbestätigt") && !strings.Contains(out, "Bestätigungsmail") {
		t.Errorf("subscribing the contact:\n%s", out)
	}
	if out := e.ok(t, "events", "registrations", "job-speeddating-2027"); !strings.Contains(out, "Karl Anrufer") {
		t.Errorf("the registration went when the contact subscribed:\n%s", out)
	}

	// A second caller consents on a form the office imports: the contact
	// becomes a confirmed subscriber, with the registration kept.
	e.ok(t, "events", "register", "job-speeddating-2027", "zweite@example.org", "--name", "Zweite Anruferin")
	e.ok(t, "subscribers", "import", "--confirmed", "--consent-note", "Formular vom 02.12.2026",
		writeFile(t, "z.csv", "E-Mail;Art;Themen\nzweite@example.org;Familie;jugend\n"))
	if out := e.ok(t, "subscribers", "show", "zweite@example.org"); !strings.Contains(out, "bestätigt") || !strings.Contains(out, "jugend") {
		t.Errorf("the imported contact:\n%s", out)
	}
	if out := e.ok(t, "events", "registrations", "job-speeddating-2027"); !strings.Contains(out, "Zweite Anruferin") {
		t.Errorf("the registration went with the import:\n%s", out)
	}
}

// The purge never deletes a registration (issue 15, point 6): an
// unconfirmed subscriber whom staff registered stays, as a contact, when
// their opt-in expires; the registrations go RUNDBRIEF_REGISTRATION_TTL
// after the event, the event keeps the figures, and then the contact
// goes too.
func TestPurgeKeepsRegistrationsUntilTheirTime(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	a := &app{env: e.vars}
	t.Cleanup(a.close)
	ctx := t.Context()
	db, err := a.database(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.ok(t, "subscribers", "add", "angemeldet@example.org", "--kind", "Familie")
	e.ok(t, "subscribers", "add", "vergessen@example.org", "--kind", "Familie")
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.ok(t, "events", "register", "job-speeddating-2027", "angemeldet@example.org", "--people", "2")
	// Someone asked on the event page eight days ago and never
	// confirmed: the request and the contact it made go.
	if _, err := db.ExecContext(ctx, `WITH c AS (INSERT INTO subscribers (email, kind, status) VALUES ('anfrage@example.org', 'other', 'contact') RETURNING id)
		INSERT INTO registrations (event_id, subscriber_id, people, status, source, updated_at)
		SELECT e.id, c.id, 1, 'requested', 'web', now() - interval '8 days' FROM c, events e`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE subscribers SET updated_at = now() - interval '15 days'`); err != nil {
		t.Fatal(err)
	}

	out := e.ok(t, "purge")
	for _, want := range []string{"Abonnements ohne Bestätigung nach 14 Tagen gelöscht: 1", "als Kontakt behalten, weil zu einer Veranstaltung angemeldet: 1",
		"Anmeldungen von der Veranstaltungsseite ohne Bestätigung nach 7 Tagen gelöscht: 1", "Kontakte ohne Anmeldung gelöscht: 1",
		"Anmeldungen zu Veranstaltungen, die vor mehr als 90 Tagen endeten, gelöscht: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("purge lacks %q:\n%s", want, out)
		}
	}
	if r := e.run(t, "", "subscribers", "show", "vergessen@example.org"); r.code == 0 {
		t.Errorf("the unconfirmed subscriber without a registration is still there")
	}
	if r := e.run(t, "", "subscribers", "show", "anfrage@example.org"); r.code == 0 {
		t.Errorf("the contact of an expired request is still there")
	}
	if out := e.ok(t, "subscribers", "show", "angemeldet@example.org"); !strings.Contains(out, "nur Veranstaltung") {
		t.Errorf("the registered one after the purge:\n%s", out)
	}
	if out := e.ok(t, "events", "registrations", "job-speeddating-2027"); !strings.Contains(out, "angemeldet@example.org") {
		t.Errorf("the registration went with the purge:\n%s", out)
	}

	// The event lies 91 days back, the contact was last changed then.
	if _, err := db.ExecContext(ctx, `UPDATE events SET starts_at = now() - interval '92 days', ends_at = now() - interval '91 days'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE subscribers SET updated_at = now() - interval '91 days'`); err != nil {
		t.Fatal(err)
	}
	out = e.ok(t, "purge")
	for _, want := range []string{"Anmeldungen zu Veranstaltungen, die vor mehr als 90 Tagen endeten, gelöscht: 1 (aus 1 Veranstaltung)", "Kontakte ohne Anmeldung gelöscht: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("second purge lacks %q:\n%s", want, out)
		}
	}
	if out := e.ok(t, "events", "show", "job-speeddating-2027"); !strings.Contains(out, "1 Anmeldung mit 2 Personen, 0 Anmeldungen auf der Warteliste") {
		t.Errorf("the event does not keep its figures:\n%s", out)
	}
	if r := e.run(t, "", "subscribers", "show", "angemeldet@example.org"); r.code == 0 {
		t.Errorf("the contact without a registration is still there")
	}
}

// A draft is corrected and deleted from the CLI (issue 15, point 9):
// subject, body and audience of a newsletter, the note of a notice; a
// campaign sent is neither edited nor deleted.
func TestCampaignDraftsEditedAndDeleted(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief Dezembr", "--body", writeFile(t, "a.md", "Text mit Tippfehlr"))

	out := e.ok(t, "campaigns", "edit", "1", "--subject", "Rundbrief Dezember", "--body", writeFile(t, "b.md", "Text ohne Fehler"), "--kinds", "Schule")
	if !strings.Contains(out, "Kampagne 1 geändert (Entwurf): Rundbrief Dezember") || !strings.Contains(out, "derzeit 3 Empfängerinnen und Empfänger") {
		t.Errorf("edit:\n%s", out)
	}
	dir := t.TempDir()
	e.ok(t, "campaigns", "preview", "1", "--dir", dir)
	if txt, _ := os.ReadFile(filepath.Join(dir, "kampagne-1.txt")); !strings.Contains(string(txt), "Text ohne Fehler") {
		t.Errorf("the preview after the edit:\n%s", txt)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"campaigns", "edit", "1"}, "nichts zu ändern"},
		{[]string{"campaigns", "edit", "1", "--subject", ""}, "subject: fehlt oder ist leer\n"}, // no "%!(EXTRA"
		{[]string{"campaigns", "edit", "1", "--note", "Satz"}, "--note gilt nur für Erinnerungen"},
		{[]string{"campaigns", "edit", "1", "--topics", "fussball"}, "unbekanntes Thema „fussball“"},
	} {
		if r := e.run(t, "", tc.args...); r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("rundbrief %s: exit %d, want %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}

	e.ok(t, "campaigns", "send", "1", "--yes")
	for _, args := range [][]string{{"campaigns", "edit", "1", "--subject", "Neu"}, {"campaigns", "delete", "1", "--yes"}} {
		if r := e.run(t, "", args...); r.code == 0 || !strings.Contains(r.stderr, "ist nicht möglich") {
			t.Errorf("rundbrief %s on a campaign being sent: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}

	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Versehen", "--body", writeFile(t, "c.md", "Doppelt"))
	if r := e.run(t, "nein\n", "campaigns", "delete", "2"); r.code != 0 || !strings.Contains(r.stdout, "Nicht gelöscht") {
		t.Errorf("delete answered no: exit %d\n%s", r.code, r.stdout)
	}
	if r := e.run(t, "j\n", "campaigns", "delete", "2"); r.code != 0 || !strings.Contains(r.stdout, "Entwurf 2 „Versehen“ gelöscht") {
		t.Errorf("delete: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out := e.ok(t, "campaigns", "list"); strings.Contains(out, "Versehen") {
		t.Errorf("the deleted draft is listed:\n%s", out)
	}
}

// An event is exported, corrected in its file and read back whole; a
// draft is deleted, a published event is not (issue 15, point 8).
func TestEventsExportEditDelete(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.ok(t, "events", "register", "job-speeddating-2027", "hr@rolandsoft.example")
	e.ok(t, "worker", "--until-empty")

	yaml := e.ok(t, "events", "export", "job-speeddating-2027")
	for _, want := range []string{"slug: job-speeddating-2027", "start: 2027-04-22 14:00", "kinds: [Unternehmen, Familie]", "capacity: 40"} {
		if !strings.Contains(yaml, want) {
			t.Errorf("export lacks %q:\n%s", want, yaml)
		}
	}
	moved := strings.NewReplacer("place: Hochschule Nordhausen, Audimax", "place: Hochschule Nordhausen, Haus 14",
		"capacity: 40", "capacity: 45").Replace(yaml)
	seen := outboxNames(t, e.outbox)
	out := e.ok(t, "events", "edit", "job-speeddating-2027", "-f", writeFile(t, "neu.yaml", moved), "--notify")
	if !strings.Contains(out, "Zeit oder Ort haben sich geändert") || !strings.Contains(out, "Änderung (Kampagne 1) an 1 Empfängerin oder Empfänger übergeben") {
		t.Errorf("edit -f --notify:\n%s", out)
	}
	if out := e.ok(t, "events", "show", "job-speeddating-2027"); !strings.Contains(out, "Haus 14") || !strings.Contains(out, "45 Plätze") {
		t.Errorf("show after edit:\n%s", out)
	}
	e.ok(t, "worker", "--until-empty")
	if mails := newMails(t, e.outbox, seen); len(mails) != 1 || !strings.Contains(mails[0], "Haus 14") {
		t.Errorf("%d update mails, want one naming the new place", len(mails))
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "edit", "job-speeddating-2027", "-f", writeFile(t, "andere.yaml", strings.Replace(yaml, "slug: job-speeddating-2027", "slug: anderes", 1))}, "nicht „job-speeddating-2027“"},
		{[]string{"events", "edit", "job-speeddating-2027", "-f", "fehlt.yaml"}, "die Datei fehlt.yaml gibt es nicht"},
		{[]string{"events", "edit", "job-speeddating-2027"}, "-f DATEI.yaml fehlt"},
		{[]string{"events", "delete", "job-speeddating-2027", "--yes"}, "absagen mit: rundbrief events cancel job-speeddating-2027"},
	} {
		if r := e.run(t, "", tc.args...); r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("rundbrief %s: exit %d, want %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}

	e.ok(t, "events", "create", "-f", "../../examples/events/codeweek-2027.yaml")
	e.ok(t, "campaigns", "create", "invitation", "--event", "codeweek-2027")
	if r := e.run(t, "", "events", "delete", "codeweek-2027", "--yes"); r.code == 0 || !strings.Contains(r.stderr, "gibt es Kampagnen") {
		t.Errorf("delete of a draft with a campaign: exit %d\n%s", r.code, r.stderr)
	}
	e.ok(t, "campaigns", "delete", "2", "--yes")
	if out := e.ok(t, "events", "delete", "codeweek-2027", "--yes"); !strings.Contains(out, "Entwurf codeweek-2027 gelöscht") {
		t.Errorf("delete:\n%s", out)
	}
	if r := e.run(t, "", "events", "show", "codeweek-2027"); r.code == 0 {
		t.Errorf("the deleted draft is still there")
	}
}

// Staff correct a person from the CLI (issue 15, point 7): a name and
// topics at once, logged by field; a new address needs a new confirmation
// unless staff attest it.
func TestSubscribersUpdate(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.importConfirmed(t, "../../examples/kontakte-demo.csv")

	out := e.ok(t, "subscribers", "update", "ausbildung@kyffhaeuser-logistik.example", "--name", "Sabine Köhler-Lang", "--topics", "ausbildung,Kinderbetreuung", "--phone", "03631 9110")
	if !strings.Contains(out, "Berichtigt: ausbildung@kyffhaeuser-logistik.example") || !strings.Contains(out, "Name, Telefon, Themen") {
		t.Errorf("update:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "show", "ausbildung@kyffhaeuser-logistik.example"); !strings.Contains(out, "Sabine Köhler-Lang") || !strings.Contains(out, "03631 9110") {
		t.Errorf("show after the update:\n%s", out)
	}
	out = e.ok(t, "subscribers", "show", "ausbildung@kyffhaeuser-logistik.example", "--consent")
	for _, want := range []string{"Angaben berichtigt", "Name, Telefon", "Themen geändert", "Netzwerkstelle"} {
		if !strings.Contains(out, want) {
			t.Errorf("show --consent lacks %q:\n%s", want, out)
		}
	}
	if out := e.ok(t, "subscribers", "update", "ausbildung@kyffhaeuser-logistik.example", "--name", "Sabine Köhler-Lang"); !strings.Contains(out, "nichts geändert") {
		t.Errorf("the same name again:\n%s", out)
	}

	// A new address without proof: pending again, an opt-in to the new one.
	seen := outboxNames(t, e.outbox)
	out = e.ok(t, "subscribers", "update", "hr@rolandsoft.example", "--email", "personal@rolandsoft.example")
	if !strings.Contains(out, "E-Mail-Adresse") || !strings.Contains(out, "muss die Person bestätigen") {
		t.Errorf("a new address:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "show", "personal@rolandsoft.example"); !strings.Contains(out, "unbestätigt") {
		t.Errorf("after a new address:\n%s", out)
	}
	e.ok(t, "worker", "--until-empty")
	if mails := newMails(t, e.outbox, seen); len(mails) != 1 || !strings.Contains(mails[0], "personal@rolandsoft.example") || !strings.Contains(mails[0], "/confirm/") {
		t.Errorf("%d mails, want the opt-in to the new address", len(mails))
	}

	// A new address staff attest: stays confirmed.
	out = e.ok(t, "subscribers", "update", "personal@suedharz-metallbau.example", "--email", "ausbildung@suedharz-metallbau.example",
		"--confirmed", "--consent-note", "Herr Müller am Telefon, 02.12.2026")
	if strings.Contains(out, "bestätigen") {
		t.Errorf("an attested address needs a confirmation:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "show", "ausbildung@suedharz-metallbau.example", "--consent"); !strings.Contains(out, "bestätigt") || !strings.Contains(out, "Herr Müller am Telefon") {
		t.Errorf("after an attested new address:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"subscribers", "update", "lena.schmidt@example.net"}, "nichts zu ändern"},
		{[]string{"subscribers", "update", "lena.schmidt@example.net", "--email", "m.nowak@example.com"}, "steht schon im Verteiler"},
		{[]string{"subscribers", "update", "lena.schmidt@example.net", "--kind", "Verein"}, "unbekannte Art"},
		{[]string{"subscribers", "update", "lena.schmidt@example.net", "--name", "L", "--confirmed", "--consent-note", "x"}, "--confirmed gilt für eine neue Adresse"},
		{[]string{"subscribers", "update", "niemand@example.org", "--name", "N"}, "keine Person mit dieser Adresse"},
	} {
		if r := e.run(t, "", tc.args...); r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("rundbrief %s: exit %d, want %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}
}

// An import without an attested consent is the office asking contacts it
// knows (issue 15, point 5): the consent log names it as its own source,
// and the mail asks for permission in the office's words.
func TestImportAsksForPermission(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "../../examples/kontakte-demo.csv")
	out := e.ok(t, "subscribers", "show", "lena.schmidt@example.net", "--consent")
	if !strings.Contains(out, "Anfrage der Netzwerkstelle") || !strings.Contains(out, "Import kontakte-demo.csv") {
		t.Errorf("consent log of an imported contact:\n%s", out)
	}
	e.ok(t, "subscribers", "add", "neu@example.org", "--kind", "Familie")
	if out := e.ok(t, "subscribers", "show", "neu@example.org", "--consent"); !strings.Contains(out, "Anfrage der Netzwerkstelle") {
		t.Errorf("consent log of a contact added by staff:\n%s", out)
	}
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, nil)
	if len(mails) != 13 {
		t.Errorf("%d opt-in mails, want 12 imported and 1 added", len(mails))
	}
	for _, m := range mails {
		if subject := subjectOf(t, m); !strings.HasPrefix(subject, "Möchten Sie den Rundbrief") && !strings.HasPrefix(subject, "May we send you") {
			t.Errorf("an opt-in that is no request for permission: %q", subject)
		}
	}
}

// The CLI speaks German throughout (issue 15, point 10): cobra's usage
// lines and flag types and defaults, file errors, and times and offsets
// as staff type them.
func TestCLISpeaksGerman(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	for _, args := range [][]string{{"events", "register", "--help"}, {"subscribers", "list", "--help"}, {"campaigns", "send", "--help"}} {
		out := e.ok(t, args...)
		for _, english := range []string{"[flags]", "(default", " string ", " int ", "Usage:", "Flags:"} {
			if strings.Contains(out, english) {
				t.Errorf("rundbrief %s shows %q:\n%s", strings.Join(args, " "), english, out)
			}
		}
	}
	if out := e.ok(t, "subscribers", "list", "--help"); !strings.Contains(out, "--limit ZAHL") || !strings.Contains(out, "(Vorgabe: 100)") {
		t.Errorf("flags without German types or defaults:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"campaigns", "create", "newsletter", "--subject", "S", "--body", "fehlt.md"}, "die Datei fehlt.md gibt es nicht"},
		{[]string{"subscribers", "import", "fehlt.csv"}, "die Datei fehlt.csv gibt es nicht"},
		{[]string{"events", "create", "-f", "fehlt.yaml"}, "die Datei fehlt.yaml gibt es nicht"},
		{[]string{"subscribers", "import", t.TempDir()}, "ist ein Ordner, keine Datei"},
		{[]string{"events", "show"}, "(1 Angabe, 0 erhalten)"},
	} {
		r := e.run(t, "", tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stderr, "no such file") {
			t.Errorf("rundbrief %s: exit %d, want %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.stderr)
		}
	}
	e.ok(t, "events", "create", "--slug", "sprechstunde-2027", "--title", "Sprechstunde", "--start", "22.04.2027 18 Uhr",
		"--end", "22.04.2027, 19.30 Uhr", "--place", "Landratsamt", "--reminders", "7 Tage,1 Tag 12 Stunden")
	out := e.ok(t, "events", "show", "sprechstunde-2027")
	for _, want := range []string{"22.04.2027 18:00 bis 22.04.2027 19:30", "7d, 1d12h vor Beginn"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
}

// officeCSV has the columns offices keep, and one rundbrief does not use.
const officeCSV = "E-Mail;Anrede;Vorname;Nachname;Firma/Einrichtung;Telefon;Bemerkung;Art;Straße\n" +
	"s.koehler@kyffhaeuser-logistik.example;Frau;Sabine;Köhler;Kyffhäuser Logistik;03632 5550;Messe 2026, Stand 12;Unternehmen;Am Hang 1\n" +
	"j.neumann@example.org;Hr.;Jan;Neumann;;0171 2345678;;Familie;Weg 2\n"

// The import takes the columns offices use — Firma/Einrichtung, Anrede,
// Telefon, Bemerkung — names the columns it leaves out and asks before it
// imports, and reads Excel workbooks directly (issue 15, point 11).
func TestImportOfficeColumnsAndExcel(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	path := writeFile(t, "kontakte.csv", officeCSV)
	r := e.run(t, "nein\n", "subscribers", "import", path)
	if r.code != 0 || !strings.Contains(r.stdout, "Diese Spalten übernimmt rundbrief nicht: „Straße“.") || !strings.Contains(r.stdout, "Nichts aufgenommen") {
		t.Errorf("import answered no: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if subs := e.listJSON(t); len(subs) != 0 {
		t.Fatalf("%d subscribers after answering no", len(subs))
	}
	r = e.run(t, "j\n", "subscribers", "import", path)
	if r.code != 0 || !strings.Contains(r.stdout, "neu aufgenommen:") {
		t.Fatalf("import answered yes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := e.ok(t, "subscribers", "show", "s.koehler@kyffhaeuser-logistik.example")
	for _, want := range []string{"Anrede", "Frau", "Sabine Köhler", "Kyffhäuser Logistik", "03632 5550", "Messe 2026, Stand 12"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if out := e.ok(t, "subscribers", "show", "j.neumann@example.org"); !strings.Contains(out, "Herr") {
		t.Errorf("Hr. not read as Herr:\n%s", out)
	}
	bad := writeFile(t, "falsch.csv", "E-Mail;Anrede;Art\na@example.org;Dr.;Familie\n")
	if r := e.run(t, "", "subscribers", "import", bad); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "unbekannte Anrede") {
		t.Errorf("an unknown Anrede: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The same contacts in an Excel workbook, with --yes.
	book := excelize.NewFile()
	for i, line := range strings.Split(strings.TrimSpace(strings.ReplaceAll(officeCSV, "s.koehler@", "excel.koehler@")), "\n") {
		cells := strings.Split(line, ";")
		row := make([]any, len(cells))
		for j, c := range cells {
			row[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := book.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	xlsx := filepath.Join(t.TempDir(), "kontakte.xlsx")
	if err := book.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	out = e.ok(t, "subscribers", "import", xlsx, "--yes", "--confirmed", "--consent-note", "Messe 2026")
	if !strings.Contains(out, "Excel-Arbeitsmappe, Blatt „Sheet1“, 2 gültige Zeilen") || !strings.Contains(out, "„Straße“") {
		t.Errorf("import of the workbook:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "show", "excel.koehler@kyffhaeuser-logistik.example"); !strings.Contains(out, "03632 5550") || !strings.Contains(out, "bestätigt") {
		t.Errorf("the contact from the workbook:\n%s", out)
	}
	if r := e.run(t, "", "subscribers", "import", writeFile(t, "kaputt.xlsx", "kein Excel")); r.code == 0 || !strings.Contains(r.stderr, "nicht als Excel-Arbeitsmappe lesen") {
		t.Errorf("a broken workbook: exit %d\n%s", r.code, r.stderr)
	}
}

// "Anmeldeschluss naht" goes to those an invitation reached who have not
// registered (issue 15, point 2): not to the registered, not to who was
// never invited, and it says until when registration is open.
func TestLastCallToTheInvitedWhoHaveNotRegistered(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "--confirmed", "--consent-note", "Liste 2026", writeFile(t, "k.csv", allEventsCSV))
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	e.ok(t, "campaigns", "create", "invitation", "--event", "job-speeddating-2027")
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")
	e.ok(t, "events", "register", "job-speeddating-2027", "ausbildung@familie.example")
	e.ok(t, "subscribers", "add", "nie-eingeladen@familie.example", "--kind", "Familie", "--topics", "ausbildung",
		"--confirmed", "--consent-note", "Anruf")
	e.ok(t, "worker", "--until-empty")
	seen := outboxNames(t, e.outbox)

	r := e.run(t, "j\n", "events", "remind", "job-speeddating-2027", "--not-registered")
	if r.code != 0 || !strings.Contains(r.stdout, "an 1 Empfängerin oder Empfänger, die eingeladen, aber nicht angemeldet sind") ||
		!strings.Contains(r.stdout, "Anmeldeschluss naht (Kampagne 2)") {
		t.Fatalf("last call: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, seen)
	if len(mails) != 1 {
		t.Fatalf("%d mails, want the last call to the one invited who has not registered", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m, "<alle@familie.example>") || subjectOf(t, m) != "Anmeldeschluss naht: Job-Speeddating" ||
		!strings.Contains(m, "List-Unsubscribe") {
		t.Errorf("the last call:\n%s", m)
	}
	if out := e.ok(t, "campaigns", "list"); !strings.Contains(out, "Anmeldeschluss naht") {
		t.Errorf("list:\n%s", out)
	}
	if r := e.run(t, "", "events", "create", "-f", "../../examples/events/regionalkonferenz-2027.yaml", "--registration=false"); strings.Contains(r.stderr, "%!") {
		t.Errorf("an event error with a broken format:\n%s", r.stderr)
	}
	e.ok(t, "events", "create", "-f", "../../examples/events/regionalkonferenz-2027.yaml", "--registration=false", "--deadline", "")
	e.ok(t, "events", "publish", "regionalkonferenz-2027")
	if r := e.run(t, "", "events", "remind", "regionalkonferenz-2027", "--not-registered", "--yes"); r.code == 0 || !strings.Contains(r.stderr, "hat keine Anmeldung") {
		t.Errorf("last call for an event without registration: exit %d\n%s", r.code, r.stderr)
	}
}

// A person without an e-mail address is registered by staff with name and
// phone (issue 15, point 4): on the sign-in sheet, sent nothing, found by
// number, corrected and deleted like anyone.
func TestRegistrationWithoutAnAddress(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "events", "create", "-f", "../../examples/events/job-speeddating-2027.yaml", "--deadline", "")
	e.ok(t, "events", "publish", "job-speeddating-2027")
	if r := e.run(t, "", "events", "register", "job-speeddating-2027", "--name", "Erika Schulze"); r.code == 0 || !strings.Contains(r.stderr, "--name und --phone") {
		t.Errorf("without address and phone: exit %d\n%s", r.code, r.stderr)
	}
	out := e.ok(t, "events", "register", "job-speeddating-2027", "--name", "Erika Schulze", "--phone", "03631 987654", "--people", "2")
	if !strings.Contains(out, "Erika Schulze (Nr. 1) ist als Kontakt aufgenommen") || !strings.Contains(out, "Erika Schulze (Nr. 1) ist mit 2 Personen angemeldet") ||
		!strings.Contains(out, "bekommt die Person keine Mails") {
		t.Errorf("register without an address:\n%s", out)
	}
	if out := e.ok(t, "events", "registrations", "job-speeddating-2027"); !strings.Contains(out, "– (Tel. 03631 987654, Nr. 1)") {
		t.Errorf("the sign-in list:\n%s", out)
	}
	if csv := e.ok(t, "events", "registrations", "job-speeddating-2027", "--csv"); !strings.Contains(csv, "Erika Schulze;;;03631 987654;2;angemeldet") {
		t.Errorf("the sign-in sheet:\n%s", csv)
	}
	e.ok(t, "worker", "--until-empty")
	if n := countFiles(t, e.outbox); n != 0 {
		t.Errorf("%d mails to a person without an address", n)
	}
	if out := e.ok(t, "events", "remind", "job-speeddating-2027", "--yes"); !strings.Contains(out, "an 0 Empfängerinnen und Empfänger") {
		t.Errorf("a reminder counts the person without an address:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "update", "Nr. 1", "--phone", "03631 111111"); !strings.Contains(out, "Telefon") {
		t.Errorf("update by number:\n%s", out)
	}
	if out := e.ok(t, "subscribers", "show", "1"); !strings.Contains(out, "03631 111111") || !strings.Contains(out, "nur Veranstaltung") {
		t.Errorf("show by number:\n%s", out)
	}
	if out := e.ok(t, "events", "unregister", "job-speeddating-2027", "1"); !strings.Contains(out, "Die Anmeldung von Erika Schulze (Nr. 1) ist zurückgenommen") {
		t.Errorf("unregister by number:\n%s", out)
	}
	e.ok(t, "subscribers", "delete", "1", "--yes")
	if r := e.run(t, "", "subscribers", "show", "1"); r.code == 0 {
		t.Errorf("the deleted contact is still there")
	}
}

// "Anmeldeschluss naht" goes out by itself when the event file asks for it
// (last_call: 3d), once however often the worker looks (issue 15, point 2).
func TestAutomaticLastCall(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "--confirmed", "--consent-note", "Liste 2026", writeFile(t, "k.csv", allEventsCSV))
	day := func(d int) string { return time.Now().AddDate(0, 0, d).Format("2006-01-02") }
	file := "slug: sprechtag\ntitle: Sprechtag Ausbildung\nstart: " + day(10) + " 14:00\nend: " + day(10) + " 17:00\n" +
		"place: Landratsamt\nkinds: [Familie]\ntopics: [ausbildung]\nregistration: true\ndeadline: " + day(2) + " 23:59\n"
	e.ok(t, "events", "create", "-f", writeFile(t, "sprechtag.yaml", file))
	e.ok(t, "events", "publish", "sprechtag")
	e.ok(t, "campaigns", "create", "invitation", "--event", "sprechtag")
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")
	e.ok(t, "events", "register", "sprechtag", "ausbildung@familie.example")
	e.ok(t, "worker", "--until-empty")
	seen := outboxNames(t, e.outbox)

	// The file asks for it now, three days before the deadline, which
	// is due at once.
	e.ok(t, "events", "edit", "sprechtag", "-f", writeFile(t, "sprechtag-2.yaml", file+"last_call: 3 Tage\n"))
	if out := e.ok(t, "events", "show", "sprechtag"); !strings.Contains(out, "3d vor dem Anmeldeschluss") {
		t.Errorf("show lacks the last call:\n%s", out)
	}
	if out := e.ok(t, "events", "export", "sprechtag"); !strings.Contains(out, "last_call: 3d") {
		t.Errorf("export lacks the last call:\n%s", out)
	}

	a := &app{env: e.vars}
	t.Cleanup(a.close)
	wk, _, _, err := a.newWorker(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the sweep looks twice; the last call is made once
		if _, err := wk.Sweep(t.Context(), 0); err != nil {
			t.Fatal(err)
		}
	}
	e.ok(t, "worker", "--until-empty")
	mails := newMails(t, e.outbox, seen)
	if len(mails) != 1 || !strings.Contains(mails[0], "<alle@familie.example>") || subjectOf(t, mails[0]) != "Anmeldeschluss naht: Sprechtag Ausbildung" {
		t.Errorf("%d mails, want the last call to the one invited who has not registered", len(mails))
	}
	if out := e.ok(t, "campaigns", "list"); strings.Count(out, "Anmeldeschluss naht: Sprechtag") != 1 {
		t.Errorf("list:\n%s", out)
	}
	bad := writeFile(t, "ohne.yaml", "slug: ohne\ntitle: Ohne\nstart: "+day(10)+" 14:00\nend: "+day(10)+" 17:00\nplace: X\nlast_call: 3d\n")
	if r := e.run(t, "", "events", "create", "-f", bad); r.code == 0 || !strings.Contains(r.stderr, "gibt es nur mit Anmeldung") {
		t.Errorf("a last call without registration: exit %d\n%s", r.code, r.stderr)
	}
}

// A campaign greets formally where the Anrede is known, or everyone by
// name with --anrede neutral (issue 16, point 2).
func TestCampaignGreetingFromTheAnrede(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "--yes", "--confirmed", "--consent-note", "Messe 2026", writeFile(t, "k.csv", officeCSV))
	body := writeFile(t, "n.md", "Neues aus der Netzwerkstelle.")
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Förmlich", "--body", body, "--kinds", "Unternehmen")
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Neutral", "--body", body, "--kinds", "Unternehmen", "--anrede", "neutral")
	if r := e.run(t, "", "campaigns", "create", "newsletter", "--subject", "X", "--body", body, "--anrede", "locker"); r.code == 0 || !strings.Contains(r.stderr, "möglich sind förmlich") {
		t.Errorf("an unknown --anrede: exit %d\n%s", r.code, r.stderr)
	}
	if out := e.ok(t, "campaigns", "show", "2"); !strings.Contains(out, "neutral") {
		t.Errorf("show lacks the greeting:\n%s", out)
	}
	for id, want := range map[string]string{"1": "Sehr geehrte Frau Köhler,", "2": "Guten Tag Sabine Köhler,"} {
		dir := t.TempDir()
		e.ok(t, "campaigns", "preview", id, "--dir", dir)
		txt, _ := os.ReadFile(filepath.Join(dir, "kampagne-"+id+".txt"))
		if !strings.Contains(string(txt), want) {
			t.Errorf("campaign %s greets:\n%s\nwant %q", id, txt, want)
		}
	}
	e.ok(t, "campaigns", "edit", "2", "--anrede", "förmlich")
	dir := t.TempDir()
	e.ok(t, "campaigns", "preview", "2", "--dir", dir)
	if txt, _ := os.ReadFile(filepath.Join(dir, "kampagne-2.txt")); !strings.Contains(string(txt), "Sehr geehrte Frau Köhler,") {
		t.Errorf("after edit --anrede förmlich:\n%s", txt)
	}
}

// The answers to an event's questions appear in the list, the CSV (safe
// from formulas: the public typed them) and the printable sign-in sheet.
func TestAnswersInTheListAndTheSheet(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "add", "katrin@example.org", "--kind", "Familie", "--name", "Katrin Schmidt")
	c := newCampus(t, e)
	c.enter(t, "katrin@example.org", 2, map[string][]string{"f-fotos": {"yes"}, "f-allergien": {"=HYPERLINK(\"http://evil.example\")"},
		"t1-name": {"Lena"}, "t1-alter": {"13"}, "t1-essen": {"2"}, "t2-name": {"Max"}, "t2-alter": {"15"}, "t2-essen": {"1"}})
	out := e.ok(t, "events", "registrations", "talent-campus-2027")
	for _, want := range []string{"Angaben:", "1. Lena (Alter: 13, Mittagessen: vegetarisch)", "Max (Alter: 15, Mittagessen: mit Fleisch)",
		"Ich willige ein, dass während des Talen…: ja"} {
		if !strings.Contains(out, want) {
			t.Errorf("the list lacks %q:\n%s", want, out)
		}
	}
	csv := e.ok(t, "events", "registrations", "talent-campus-2027", "--csv")
	for _, want := range []string{"Namen der Teilnehmenden;Alter (je Person);Mittagessen (je Person)", `"Lena; Max";"13; 15";"vegetarisch; mit Fleisch"`} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
	if !strings.Contains(csv, "'=HYPERLINK") {
		t.Errorf("an answer is a formula in the CSV:\n%s", csv)
	}
	html := e.ok(t, "events", "registrations", "talent-campus-2027", "--html")
	if !strings.Contains(html, "<li>Lena (Alter: 13, Mittagessen: vegetarisch)</li>") {
		t.Errorf("the sign-in sheet lacks the children:\n%s", html)
	}
}

// After the event: staff tick who came on the sign-in sheet and give it
// back; the report counts what the rows say; after
// RUNDBRIEF_REGISTRATION_TTL the rows are gone and the report stays.
func TestAttendanceAndReport(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	ctx := t.Context()
	e.ok(t, "subscribers", "add", "katrin@example.org", "--kind", "Familie", "--name", "Katrin Schmidt")
	e.ok(t, "subscribers", "add", "jens@example.org", "--kind", "Familie", "--name", "Jens Vogel")
	e.ok(t, "subscribers", "add", "schule@example.org", "--kind", "Schule", "--name", "Herr Wagner")
	c := newCampus(t, e)
	db := c.db
	c.enter(t, "katrin@example.org", 2, map[string][]string{"f-fotos": {"yes"}, "t1-name": {"Lena"}, "t1-alter": {"13"}, "t1-essen": {"2"},
		"t2-name": {"Max"}, "t2-alter": {"15"}, "t2-essen": {"3"}})
	c.enter(t, "jens@example.org", 1, map[string][]string{"f-fotos": {"yes"}, "t1-name": {"Mia"}, "t1-alter": {"12"}, "t1-essen": {"2"}})
	c.enter(t, "schule@example.org", 3, map[string][]string{"f-fotos": {"yes"}, "t1-name": {"Ali"}, "t1-alter": {"14"}, "t1-essen": {"1"},
		"t2-name": {"Ben"}, "t2-alter": {"14"}, "t2-essen": {"1"}, "t3-name": {"Cem"}, "t3-alter": {"15"}, "t3-essen": {"2"}})
	e.ok(t, "events", "register", "talent-campus-2027", "--name", "Erika Schulze", "--phone", "03631 987654")

	// The sheet comes back with Katrin and Erika (no address) ticked.
	sheet := e.ok(t, "events", "registrations", "talent-campus-2027", "--csv")
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(sheet, "\ufeff")))
	r.Comma = ';'
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%v:\n%s", err, sheet)
	}
	col := slices.Index(rows[0], "Anwesend")
	for _, row := range rows[1:] {
		if len(row) != len(rows[0]) {
			t.Errorf("a row of %d cells under %d headings: %q\n%s", len(row), len(rows[0]), row, sheet)
		}
		if row[1] == "Katrin Schmidt" || row[1] == "Erika Schulze" {
			row[col] = "x"
		}
	}
	var b strings.Builder
	cw := csv.NewWriter(&b)
	cw.Comma = ';'
	cw.WriteAll(rows)
	out := e.ok(t, "events", "attend", "talent-campus-2027", "--csv", writeFile(t, "liste.csv", b.String()))
	if !strings.Contains(out, "2 Anmeldungen als anwesend markiert.") {
		t.Errorf("attend --csv:\n%s", out)
	}
	if r := e.run(t, "", "events", "attend", "talent-campus-2027", "schule@example.org", "fremd@example.org"); r.code == 0 ||
		!strings.Contains(r.stdout, "1 Anmeldung als anwesend markiert.") || !strings.Contains(r.stderr, "fremd@example.org") {
		t.Errorf("attend with someone not registered: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.ok(t, "events", "attend", "talent-campus-2027", "schule@example.org", "--undo")

	// The report's figures are the rows'.
	var want struct {
		Regs, People, Came, CamePeople, Vegan int
	}
	if err := db.GetContext(ctx, &want, `SELECT count(*) AS regs, sum(people) AS people,
		count(*) FILTER (WHERE attended_at IS NOT NULL) AS came, coalesce(sum(people) FILTER (WHERE attended_at IS NOT NULL), 0) AS camepeople,
		(SELECT count(*) FROM registrations r, jsonb_array_elements(r.answers->'participants') p WHERE p->'answers'->'essen' ? 'vegan') AS vegan
		FROM registrations WHERE status = 'registered'`); err != nil {
		t.Fatal(err)
	}
	if want.Regs != 4 || want.People != 7 || want.Came != 2 || want.CamePeople != 3 || want.Vegan != 1 {
		t.Fatalf("the rows: %+v", want)
	}
	report := func() string {
		t.Helper()
		return e.ok(t, "events", "report", "talent-campus-2027", "--csv")
	}
	before := report()
	for _, line := range []string{
		fmt.Sprintf("Gesamt;Anmeldungen;%d", want.Regs), fmt.Sprintf("Gesamt;Personen;%d", want.People),
		fmt.Sprintf("Gesamt;Anmeldungen anwesend;%d", want.Came), fmt.Sprintf("Gesamt;Personen anwesend;%d", want.CamePeople),
		"Art: Familie;Anmeldungen;2", "Art: Schule;Personen;3", "Art: Sonstige;Anmeldungen anwesend;1",
		fmt.Sprintf("Frage: Mittagessen;vegan;%d", want.Vegan), "Frage: Mittagessen;vegetarisch;3", "Frage: Alter;14;2",
		"Frage: Ich willige ein, dass während des Talen…;ja;3",
	} {
		if !strings.Contains(before, line) {
			t.Errorf("the report lacks %q:\n%s", line, before)
		}
	}
	if strings.Contains(before, "Lena") || strings.Contains(before, "katrin") {
		t.Errorf("the report names people:\n%s", before)
	}

	// The follow-up goes to those who came: Katrin (Erika has no
	// address; the school's mark was taken back), with the slides.
	danke := writeFile(t, "danke.md", "vielen Dank für Ihr Kommen. Sagen Sie uns in zwei Minuten, wie es war: https://umfrage.example/talent-campus")
	out = e.ok(t, "campaigns", "create", "followup", "--event", "talent-campus-2027", "--subject", "Danke für Ihr Kommen", "--body", danke,
		"--attach", "../../examples/programm-talent-campus.pdf")
	if !strings.Contains(out, "Nachbereitung: Talent-Campus") || !strings.Contains(out, "Zielgruppe: wer zur Veranstaltung gekommen ist (rundbrief events attend) – derzeit 1 ") {
		t.Errorf("campaigns create followup:\n%s", out)
	}
	if r := e.run(t, "", "campaigns", "create", "followup", "--event", "talent-campus-2027", "--subject", "x", "--body", danke, "--kinds", "Schule"); r.code == 0 {
		t.Error("a follow-up took an audience")
	}
	seen := outboxNames(t, e.outbox)
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")
	var thanked []string
	for f := range outboxNames(t, e.outbox) {
		if seen[f] {
			continue
		}
		raw, _ := os.ReadFile(f)
		if subjectOf(t, string(raw)) != "Danke für Ihr Kommen" {
			continue
		}
		m, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		thanked = append(thanked, m.Header.Get("To"))
		if m.Header.Get("List-Unsubscribe") != "" || !strings.Contains(string(raw), "programm-talent-campus.pdf") ||
			!strings.Contains(string(raw), "teilgenommen") {
			t.Errorf("the follow-up is a list mail, or lacks the slides or why it came:\n%.2000s", raw)
		}
	}
	if len(thanked) != 1 || !strings.Contains(thanked[0], "katrin@example.org") {
		t.Errorf("the follow-up went to %v, want Katrin only", thanked)
	}

	// 91 days after the event the rows go; the report stays.
	if _, err := db.ExecContext(ctx, `UPDATE events SET registration_deadline = NULL, starts_at = now() - interval '92 days', ends_at = now() - interval '91 days'`); err != nil {
		t.Fatal(err)
	}
	e.ok(t, "purge")
	var left int
	if err := db.GetContext(ctx, &left, `SELECT count(*) FROM registrations`); err != nil || left != 0 {
		t.Fatalf("%d registrations left after the purge (%v)", left, err)
	}
	after := report()
	if !sameFigures(before, after) {
		t.Errorf("the report changed with the purge:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if out := e.ok(t, "events", "report", "talent-campus-2027"); !strings.Contains(out, "Die Anmeldungen sind gelöscht") {
		t.Errorf("the report does not say the rows are gone:\n%s", out)
	}
}

// sameFigures compares two report CSVs without the event's date, which a
// test moves.
func sameFigures(a, b string) bool {
	strip := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			f := strings.Split(l, ";")
			if len(f) == 5 {
				out = append(out, f[2]+";"+f[3]+";"+f[4])
			}
		}
		return out
	}
	return slices.Equal(strip(a), strip(b))
}

// campus is the Talent-Campus published through the CLI of e, with the
// database, for registrations with answers as the public form makes them.
type campus struct {
	db  *sqlx.DB
	evs *events.Store
	ev  *events.Event
}

func newCampus(t *testing.T, e *cliEnv) *campus {
	t.Helper()
	a := &app{env: e.vars}
	t.Cleanup(a.close)
	db, err := a.database(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.ok(t, "events", "create", "-f", "../../examples/events/talent-campus-2027.yaml")
	e.ok(t, "events", "publish", "talent-campus-2027")
	evs := events.NewStore(db)
	ev, err := evs.Get(t.Context(), "talent-campus-2027")
	if err != nil {
		t.Fatal(err)
	}
	return &campus{db: db, evs: evs, ev: ev}
}

// enter registers the subscriber with email for n people with the answers
// a form sent.
func (c *campus) enter(t *testing.T, email string, n int, form map[string][]string) {
	t.Helper()
	answers, err := c.ev.ReadAnswers(form, n)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := c.db.GetContext(t.Context(), &id, `SELECT id FROM subscribers WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	if _, err := c.evs.Enter(t.Context(), events.Entry{EventID: c.ev.ID, SubscriberID: id, People: n, Answers: &answers, Source: events.ByWeb}, time.Now()); err != nil {
		t.Fatal(err)
	}
}
