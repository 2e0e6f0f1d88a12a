package main

import (
	"strings"
	"testing"
)

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
