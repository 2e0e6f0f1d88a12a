package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/internal/imaptest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// report is the sample report testdata/name of the bounces package, sent
// back for the mail whose envelope sender was returnPath.
func report(t *testing.T, name, returnPath string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../bounces/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("{{BOUNCE}}"), []byte(returnPath))
}

// A campaign goes through a relay that accepts everything; hours later
// the relay's reports arrive in the bounce mailbox: 50 hard bounces, a
// complaint, a soft bounce, an out-of-office reply and a colleague's
// mail. One pass over the mailbox marks the 50 bounced and suppressed and
// the complainant unsubscribed; the rest changes nothing, and the next
// campaign goes to the others only.
func TestBouncesFromTheMailbox(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{})
	box := imaptest.Start(t)
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org",
		"RUNDBRIEF_BOUNCE_ADDRESS=bounces@lra-nordhausen.example.org", "RUNDBRIEF_BOUNCE_IMAP_URL="+box.URL("move=Erledigt"))
	const n = 60
	e.importConfirmed(t, contacts(t, n))
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief Januar", "--body", writeFile(t, "b.md", "Frohes neues Jahr!"))
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")

	// Every mail left with its own envelope sender on the bounce domain.
	sender := map[string]string{} // recipient → envelope sender
	for _, m := range relay.Messages() {
		if !strings.HasPrefix(m.From, "bounces+d") || !strings.HasSuffix(m.From, "@lra-nordhausen.example.org") {
			t.Fatalf("envelope sender %q, want a bounce address", m.From)
		}
		sender[m.To[0]] = m.From
	}
	if len(sender) != n {
		t.Fatalf("%d mails with distinct recipients, want %d", len(sender), n)
	}
	person := func(i int) string { return fmt.Sprintf("person-%05d@betrieb.example", i) }
	var mails [][]byte
	for i := range 50 {
		mails = append(mails, report(t, "postfix-hard.eml", sender[person(i)]))
	}
	mails = append(mails,
		report(t, "arf-complaint.eml", sender[person(50)]),
		report(t, "postfix-delayed.eml", sender[person(51)]),
		report(t, "outlook-autoreply.eml", sender[person(52)]),
		report(t, "colleague.eml", ""))
	box.Append(t, "Erledigt")
	box.Append(t, "INBOX", mails...)

	out := e.ok(t, "bounces", "fetch")
	if !strings.Contains(out, "54 neue Mails gelesen, 52 Meldungen zu unseren Mails verarbeitet.") {
		t.Errorf("bounces fetch:\n%s", out)
	}
	if out := e.ok(t, "bounces", "fetch"); !strings.Contains(out, "0 neue Mails gelesen") {
		t.Errorf("second fetch read mail again:\n%s", out)
	}
	if got := len(box.Mails(t, "Erledigt")); got != 52 {
		t.Errorf("%d reports moved to Erledigt, want 52", got)
	}
	if got := len(box.Mails(t, "INBOX")); got != 2 {
		t.Errorf("%d mails left in the inbox, want the auto-reply and the colleague's", got)
	}

	status := map[string]subscribers.Status{}
	for _, s := range e.listJSON(t) {
		status[s.Email] = s.Status
	}
	for i := range n {
		want := subscribers.StatusConfirmed
		switch {
		case i < 50:
			want = subscribers.StatusBounced
		case i == 50:
			want = subscribers.StatusUnsubscribed
		}
		if status[person(i)] != want {
			t.Errorf("%s is %s, want %s", person(i), status[person(i)], want)
		}
	}

	var progress struct {
		Progress struct {
			Sent    int `json:"sent"`
			Bounced int `json:"bounced"`
		} `json:"progress"`
	}
	if err := json.Unmarshal([]byte(e.ok(t, "campaigns", "status", "1", "--json")), &progress); err != nil {
		t.Fatal(err)
	}
	if progress.Progress.Sent != n-50 || progress.Progress.Bounced != 50 {
		t.Errorf("campaign 1 after the reports: %+v, want %d sent and 50 bounced", progress.Progress, n-50)
	}

	out = e.ok(t, "bounces", "list")
	for _, want := range []string{"52 Meldungen seit", "50 dauerhaft unzustellbar", "1 vorübergehend unzustellbar", "1 Beschwerde (als Spam gemeldet)", "5.1.1", "Mail 1 einer Kampagne"} {
		if !strings.Contains(out, want) {
			t.Errorf("bounces list lacks %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{"Recipient address rejected", "User unknown", "mx.betrieb.example"} {
		if strings.Contains(out, leak) {
			t.Errorf("bounces list shows the report's text %q", leak)
		}
	}
	out = e.ok(t, "subscribers", "show", person(7))
	if !strings.Contains(out, "Unzustellbarkeitsmeldungen und Beschwerden:") || !strings.Contains(out, "dauerhaft unzustellbar  5.1.1") {
		t.Errorf("subscribers show of a bounced person:\n%s", out)
	}
	out = e.ok(t, "subscribers", "show", person(50))
	if !strings.Contains(out, "Beschwerde beim Mail-Anbieter (als Spam gemeldet); abbestellt und gesperrt") {
		t.Errorf("subscribers show of the complainant:\n%s", out)
	}
	var details struct {
		Bounces []subscribers.BounceEntry `json:"bounces"`
	}
	if err := json.Unmarshal([]byte(e.ok(t, "subscribers", "show", person(51), "--json")), &details); err != nil {
		t.Fatal(err)
	}
	if len(details.Bounces) != 1 || details.Bounces[0].Class != subscribers.BounceSoft || details.Bounces[0].Status != "4.2.2" {
		t.Errorf("soft bounce in show --json: %+v", details.Bounces)
	}

	// The next campaign skips the 50 and the complainant.
	before := len(relay.Messages())
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief Februar", "--body", writeFile(t, "c.md", "Neues im Februar."))
	e.ok(t, "campaigns", "send", "2", "--yes")
	e.ok(t, "worker", "--until-empty")
	got := map[string]bool{}
	for _, m := range relay.Messages()[before:] {
		got[m.To[0]] = true
	}
	if len(got) != n-51 {
		t.Errorf("the next campaign went to %d people, want %d", len(got), n-51)
	}
	for i := range 51 {
		if got[person(i)] {
			t.Errorf("the next campaign went to %s", person(i))
		}
	}

	// The relay's pipe: a report handed over twice acts once; anything
	// else is dropped with exit 0; without the database the relay is told
	// to try again (75).
	dsn := string(report(t, "postfix-hard.eml", sender[person(3)]))
	if r := e.run(t, dsn, "bounces", "receive"); r.code != 0 || !strings.Contains(r.stdout, "schon verarbeitet, nichts geändert") {
		t.Errorf("receive of a known report: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := e.run(t, "Subject: Hallo\r\n\r\nNur eine Frage.\r\n", "bounces", "receive"); r.code != 0 || !strings.Contains(r.stdout, "verworfen") {
		t.Errorf("receive of a plain mail: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	forged := strings.Replace(dsn, "bounces+d", "bounces+d9", -1)
	if r := e.run(t, forged, "bounces", "receive"); r.code != 0 || !strings.Contains(r.stdout, "zu keiner unserer Mails") {
		t.Errorf("receive of a forged report: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	down := e.with("RUNDBRIEF_DATABASE_URL=postgres://127.0.0.1:1/rundbrief?sslmode=disable&connect_timeout=2")
	if r := down.run(t, dsn, "bounces", "receive"); r.code != exitTempFail || !strings.Contains(r.stderr, "später noch einmal") {
		t.Errorf("receive without a database: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
