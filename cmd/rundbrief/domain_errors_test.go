package main

import (
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/campaigns"
)

// A header rundbrief cannot read is named in German with its columns,
// without the package's English words.
func TestImportHeaderErrorsInGerman(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	for _, tc := range []struct {
		csv  string
		want string
	}{
		{"Name;Art\nJörg;Schule\n", "die Datei hat keine Spalte „E-Mail“ (etwa „E-Mail“ oder „email“); die Kopfzeile hat: „Name“, „Art“"},
		{"E-Mail;Email\na@example.org;b@example.org\n", "zwei Spalten meinen dasselbe Feld: „E-Mail“ und „Email“"},
	} {
		r := e.run(t, "", "subscribers", "import", writeFile(t, "kontakte.csv", tc.csv))
		all := r.stdout + r.stderr
		if r.code != 1 || !strings.Contains(all, tc.want) || strings.Contains(all, "subscribers:") || strings.Contains(all, "header has") {
			t.Errorf("exit %d, output:\n%s\nwant %q", r.code, all, tc.want)
		}
	}
}

// Every problem of a campaign has its German words, and the message names
// the field.
func TestCampaignErrorsInGerman(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  *campaigns.InvalidError
		want string
	}{
		{&campaigns.InvalidError{Field: "subject", Problem: campaigns.ProblemMissing}, "die Kampagne ist fehlerhaft: subject: fehlt oder ist leer"},
		{&campaigns.InvalidError{Field: "body-en", Problem: campaigns.ProblemTooLong, Limit: campaigns.MaxBody}, "body-en: ist zu lang (höchstens 100000 Zeichen)"},
		{&campaigns.InvalidError{Field: "kind", Problem: campaigns.ProblemKind, Value: "flyer"}, "kind: „flyer“: möglich sind"},
		{&campaigns.InvalidError{Field: "at", Problem: campaigns.ProblemNotFuture, Value: "2026-12-01 09:00"}, "at: 2026-12-01 09:00 liegt nicht in der Zukunft"},
		{&campaigns.InvalidError{Field: "event", Problem: campaigns.ProblemEventGiven}, "event: ein Rundbrief gehört zu keiner Veranstaltung"},
	} {
		if got := campaignError(tc.err).Error(); !strings.Contains(got, tc.want) {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
	for _, p := range []campaigns.Problem{campaigns.ProblemMissing, campaigns.ProblemTooLong, campaigns.ProblemInvisible,
		campaigns.ProblemWordsOfEvent, campaigns.ProblemNoHours, campaigns.ProblemEventGiven, campaigns.ProblemNoEvent,
		campaigns.ProblemKind, campaigns.ProblemNotFuture} {
		if _, ok := campaignProblemWords[p]; !ok {
			t.Errorf("no German words for %s", p)
		}
	}
}
