package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// No error of PostgreSQL reaches staff as the driver wrote it.
func TestForStaffExplainsDatabaseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&pq.Error{Code: "23514", Constraint: "events_online_url_format", Message: "new row violates check constraint"}, "verstößt"},
		{&pq.Error{Code: "23505", Constraint: "events_slug_key"}, "gibt es schon"},
		{&pq.Error{Code: "23503"}, "nicht (mehr) gibt"},
		{&pq.Error{Code: "57P01"}, "RUNDBRIEF_DATABASE_URL"},
		{&pq.Error{Code: "40P01"}, "erneut ausführen"},
		{&pq.Error{Code: "42P01"}, "Code 42P01"},
	} {
		err := forStaff(fmt.Errorf("events: create: %w", tc.err))
		if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "pq:") || strings.Contains(msg, "events:") {
			t.Errorf("%s: %q, want German with %q", tc.err.(*pq.Error).Code, msg, tc.want)
		}
	}
	plain := fmt.Errorf("die Datei fehlt")
	if forStaff(plain) != plain {
		t.Error("an error that is not PostgreSQL's was changed")
	}
}

// An error that a package wrote for developers reaches staff behind a
// German sentence that says whom to tell.
func TestForStaffFramesDeveloperErrors(t *testing.T) {
	t.Parallel()
	err := forStaff(fmt.Errorf("campaigns: render: %w", fmt.Errorf("boom")))
	if msg := err.Error(); !strings.HasPrefix(msg, "etwas Unerwartetes ist geschehen") || !strings.Contains(msg, "technische Betreuung") {
		t.Errorf("staff read %q", msg)
	}
	german := fmt.Errorf("die Datei kontakte.csv lässt sich nicht öffnen")
	if forStaff(german) != german {
		t.Error("a German error was framed")
	}
}

// Every problem of an event and of an event file has its German words,
// and a bad file's message names the line or the field.
func TestEventErrorsInGerman(t *testing.T) {
	t.Parallel()
	base := "slug: x-2027\ntitle: X\nstart: 2027-05-01 10:00\nend: 2027-05-01 12:00\nplace: Rathaus\n"
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", base + "ort: Rathaus\n", []string{"keine gültige Veranstaltung", "Zeile 6", "unbekanntes Feld „ort“"}},
		{"wrong type", base + "capacity: viele\nregistration: true\n", []string{"Zeile 6", "„viele“", "ganze Zahl"}},
		{"bad time", strings.Replace(base, "2027-05-01 10:00", "1. Mai 10 Uhr", 1), []string{"start:", "keine Zeit wie 2027-03-18 09:00"}},
		{"end before start", strings.Replace(base, "2027-05-01 12:00", "2027-05-01 09:00", 1), []string{"  end: liegt nicht nach dem Beginn"}},
		{"skipped hour", strings.Replace(base, "2027-05-01 10:00", "2027-03-28 02:30", 1), []string{"start:", "Zeitumstellung"}},
		{"no place", strings.Replace(base, "place: Rathaus\n", "", 1), []string{"place:", "Online-Link"}},
		{"bad kind", base + "kinds: [Verein]\n", []string{"kinds: „Verein“: möglich sind"}},
		{"bad reminder", base + "reminders: [eine Woche, 30m]\n", []string{"reminders: „eine Woche“ ist keine Dauer"}},
		{"deadline without registration", base + "deadline: 2027-04-30 12:00\n", []string{"deadline:", "registration: true"}},
		{"bad online link", base + "online: meet.example/x\n", []string{"online:", "keine vollständige Adresse"}},
		{"line break in title", strings.Replace(base, "title: X", "title: \"X\\r\\nBcc: y\"", 1), []string{"title:", "Zeilenumbruch"}},
		{"broken YAML", "slug: [x\n", []string{"Zeile 1"}},
		{"empty", "", []string{"leer"}},
		{"too large", strings.Repeat("# Kommentar\n", 30000), []string{"die Datei ist größer als 256 KiB"}},
	}
	for _, tt := range tests {
		_, err := events.ParseYAML(strings.NewReader(tt.yaml))
		msg := eventError(err).Error()
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tt.name, msg, w)
			}
		}
		if strings.Contains(msg, "events:") || strings.Contains(msg, "unknown_") || strings.Contains(msg, "bad_") {
			t.Errorf("%s: %q shows a code", tt.name, msg)
		}
	}
	for _, p := range []events.Problem{events.ProblemMissing, events.ProblemTooLong, events.ProblemInvisible, events.ProblemSlug,
		events.ProblemURL, events.ProblemNoPlace, events.ProblemNotAfterStart, events.ProblemAfterStart, events.ProblemPartner,
		events.ProblemKind, events.ProblemTopic, events.ProblemNegative, events.ProblemNeedsRegistration, events.ProblemPartySize,
		events.ProblemReminder, events.ProblemTime, events.ProblemNoSuchTime, events.ProblemOffset, events.ProblemEmail, events.ProblemSession, events.ProblemSessions, events.ProblemLastCallDeadline,
		events.ProblemQuestionID, events.ProblemQuestionKind, events.ProblemOptions, events.ProblemRange, events.ProblemNames, events.ProblemTooMany, events.ProblemFollowUpAfter} {
		if _, ok := eventProblemWords[p]; !ok {
			t.Errorf("no German words for %s", p)
		}
	}
	for _, p := range []events.Problem{events.ProblemFileTooLarge, events.ProblemFileEmpty, events.ProblemUnknownKey, events.ProblemWrongType, events.ProblemSyntax} {
		if _, ok := eventFileWords[p]; !ok {
			t.Errorf("no German words for %s", p)
		}
	}
}

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
		campaigns.ProblemWordsOfEvent, campaigns.ProblemNoHours, campaigns.ProblemNewOnly, campaigns.ProblemNoteOfNotice, campaigns.ProblemIntroOfInvitation, campaigns.ProblemArchive, campaigns.ProblemFileType, campaigns.ProblemFilesSize, campaigns.ProblemPicture, campaigns.ProblemTooManyFiles, campaigns.ProblemToRegistered, campaigns.ProblemGreeting, campaigns.ProblemEventGiven, campaigns.ProblemNoEvent,
		campaigns.ProblemKind, campaigns.ProblemNotFuture} {
		if _, ok := campaignProblemWords[p]; !ok {
			t.Errorf("no German words for %s", p)
		}
	}
}

// Every error the subscribers package refuses a value with has German
// words here, also when wrapped; other errors have none.
func TestSubscriberErrorsInGerman(t *testing.T) {
	t.Parallel()
	for _, c := range subscriberErrorWords {
		wrapped := fmt.Errorf("zeile 3: %w", c.err)
		if got := explainSubscriberError(wrapped); got != c.words || got == "" || strings.Contains(got, "subscribers:") {
			t.Errorf("%v: %q", c.err, got)
		}
	}
	if _, err := subscribers.NormalizeEmail("max.mustermann@"); !strings.Contains(explainSubscriberError(err), "keine gültige E-Mail-Adresse") {
		t.Errorf("a bad address: %q", explainSubscriberError(err))
	}
	if got := explainSubscriberError(fmt.Errorf("pq: connection refused")); got != "" {
		t.Errorf("a database error got words: %q", got)
	}
}
