package events_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
)

func TestParseSession(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2027-07-05 9:00 bis 15:00", "2027-07-05 09:00 bis 15:00"},
		{"2027-07-05 09:00-15:30", "2027-07-05 09:00 bis 15:30"},
		{"05.07.2027 9:00–15:00", "2027-07-05 09:00 bis 15:00"},
		{"5.7.2027, 9 bis 15 Uhr", "2027-07-05 09:00 bis 15:00"},
		{"5.7.2027 9.30 bis 12.15 Uhr", "2027-07-05 09:30 bis 12:15"},
		{"2027-07-05 9:00 - 24:00", "2027-07-05 09:00 bis 00:00"},
	} {
		got, err := events.ParseSession(tc.in)
		if err != nil || events.FormatSession(got) != tc.want {
			t.Errorf("ParseSession(%q) = %q, %v; want %q", tc.in, events.FormatSession(got), err, tc.want)
		}
	}
	for _, bad := range []string{"", "2027-07-05", "2027-07-05 9:00", "morgen 9 bis 15", "2027-07-05 9:00 bis 25:00", "2027-07-05 9:00 bis 15:75"} {
		var fe events.FieldError
		if _, err := events.ParseSession(bad); !errors.As(err, &fe) || fe.Problem != events.ProblemSession {
			t.Errorf("ParseSession(%q) = %v, want ProblemSession", bad, err)
		}
	}
}

// An event file with termine, für_wen, kontakt and English words reads
// into a spec whose start and end are the first and last session, and
// writes back to the same.
func TestEventDetailsFromTheFile(t *testing.T) {
	spec := fromFile(t, "talent-campus-2027.yaml")
	if len(spec.Sessions) != 5 || events.FormatTime(spec.Start) != "2027-07-05 09:00" || events.FormatTime(spec.End) != "2027-07-09 15:00" {
		t.Fatalf("sessions %v, start %s, end %s", spec.Sessions, spec.Start, spec.End)
	}
	if spec.ForWhom != "Jugendliche von 12 bis 18 Jahren" || spec.Contact.Name != "Anja Berger" || spec.Contact.Email != "fachkraefte@example.org" ||
		!spec.English() || !strings.HasPrefix(spec.DescriptionEN, "Five days") {
		t.Errorf("details %+v", spec)
	}
	var b strings.Builder
	if err := events.WriteYAML(&b, spec, nil); err != nil {
		t.Fatal(err)
	}
	again, err := events.ParseYAML(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(again.Sessions) != 5 || !again.Sessions[4].End.Equal(spec.End) || again.Contact != spec.Contact || again.TitleEN != spec.TitleEN {
		t.Errorf("written and read again: %+v\n%s", again, b.String())
	}
}

func TestEventDetailsChecked(t *testing.T) {
	base := fromFile(t, "job-speeddating-2027.yaml")
	base.TitleEN, base.DescriptionEN = "", ""
	day := func(d, from, to int) events.Session {
		return events.Session{Start: time.Date(2027, 4, d, from, 0, 0, 0, events.Berlin()), End: time.Date(2027, 4, d, to, 0, 0, 0, events.Berlin())}
	}
	for _, tc := range []struct {
		name  string
		edit  func(*events.Spec)
		field string
		want  events.Problem
	}{
		{"contact address", func(s *events.Spec) { s.Contact.Email = "berger at example.org" }, "kontakt.email", events.ProblemEmail},
		{"English description without title", func(s *events.Spec) { s.DescriptionEN = "Ten minutes" }, "title_en", events.ProblemMissing},
		{"English title without description", func(s *events.Spec) { s.TitleEN = "Job speed dating" }, "description_en", events.ProblemMissing},
		{"overlapping sessions", func(s *events.Spec) {
			s.Start, s.End = time.Time{}, time.Time{}
			s.Deadline = nil
			s.Sessions = []events.Session{day(20, 9, 12), day(20, 11, 15)}
		}, "termine", events.ProblemSessions},
		{"sessions and another start", func(s *events.Spec) {
			s.Deadline = nil
			s.Sessions = []events.Session{day(20, 9, 12), day(21, 9, 12)}
		}, "termine", events.ProblemSessions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			tc.edit(&s)
			_, err := s.Check()
			var fields events.InvalidFields
			if !errors.As(err, &fields) || fields[0].Field != tc.field || fields[0].Problem != tc.want {
				t.Errorf("Check = %v, want %s: %s", err, tc.field, tc.want)
			}
		})
	}
}

// A three-day event gives three entries in a calendar that reads the file
// with the independent parser: one recurring event, at the right times in
// Europe/Berlin, whatever the form the days take.
func TestSessionsInTheCalendar(t *testing.T) {
	at := func(month time.Month, d, h, m int) time.Time {
		return time.Date(2027, month, d, h, m, 0, 0, events.Berlin())
	}
	session := func(month time.Month, d, fromH, toH int) events.Session {
		return events.Session{Start: at(month, d, fromH, 0), End: at(month, d, toH, 0)}
	}
	for _, tc := range []struct {
		name     string
		sessions []events.Session
		rule     string // RRULE or RDATE
	}{
		{"three days in a row", []events.Session{session(7, 5, 9, 15), session(7, 6, 9, 15), session(7, 7, 9, 15)}, "RRULE:FREQ=DAILY;COUNT=3"},
		{"Friday, Monday, Tuesday", []events.Session{session(10, 22, 9, 13), session(10, 25, 9, 13), session(10, 26, 9, 13)}, "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,FR;COUNT=3"},
		{"days of different length", []events.Session{session(7, 5, 9, 15), session(7, 6, 9, 12), session(7, 8, 10, 16)}, "RDATE:"},
		{"across the end of summer time", []events.Session{session(10, 30, 9, 15), session(10, 31, 9, 15), session(11, 1, 9, 15)}, "RDATE:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := fromFile(t, "regionalkonferenz-2027.yaml")
			spec.Start, spec.End, spec.Deadline, spec.Sessions = time.Time{}, time.Time{}, nil, tc.sessions
			spec, err := spec.Check()
			if err != nil {
				t.Fatal(err)
			}
			e := &events.Event{ID: 7, Spec: spec, Status: events.StatusPublished, CalendarUID: "f00d"}
			data := e.ICS(events.MethodPublish, events.Calendar{Organizer: organizer, Stamp: time.Now()})
			if !strings.Contains(string(data), "\r\n"+tc.rule) {
				t.Errorf("no %s in\n%s", tc.rule, data)
			}
			got := icstest.Occurrences(t, data, events.Berlin())
			if len(got) != len(tc.sessions) {
				t.Fatalf("%d entries, want %d:\n%s", len(got), len(tc.sessions), data)
			}
			for i, o := range got {
				want := tc.sessions[i]
				if !o.Start.Equal(want.Start) || !o.End.Equal(want.End) || o.Start.Hour() != want.Start.In(events.Berlin()).Hour() {
					t.Errorf("entry %d: %s – %s, want %s – %s", i+1, o.Start, o.End, want.Start, want.End)
				}
			}
		})
	}
}

// Sessions survive the database, and moving one is a change of time that
// calendars must learn of.
func TestSessionsStoredAndMoved(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	spec := fromFile(t, "talent-campus-2027.yaml")
	e, err := s.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Sessions) != 5 || e.Sessions[2].Start.Location() != events.Berlin() || e.Contact != spec.Contact || e.ForWhomEN != spec.ForWhomEN {
		t.Fatalf("stored %+v", e)
	}
	spec.Sessions[2].End = spec.Sessions[2].End.Add(-time.Hour)
	_, change, err := s.Update(ctx, e.Slug, spec)
	if err != nil || !change.Time {
		t.Errorf("Update = %+v, %v; want a change of time", change, err)
	}
}
