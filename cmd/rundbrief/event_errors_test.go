package main

import (
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/events"
)

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
		events.ProblemReminder, events.ProblemTime, events.ProblemNoSuchTime, events.ProblemOffset} {
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
