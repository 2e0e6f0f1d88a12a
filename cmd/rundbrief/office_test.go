package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
