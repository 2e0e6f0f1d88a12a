package events_test

import (
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
)

var organizer = mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"}

func TestICSReadByASecondParser(t *testing.T) {
	spec := fromFile(t, "regionalkonferenz-2027.yaml")
	// A long description with commas, semicolons, umlauts and line breaks
	// must survive escaping and folding.
	spec.Description = strings.Repeat("Perspektiven der Fachkräftegewinnung; Nordthüringer Unternehmen, Schulen und Familien.\n", 5)
	e := &events.Event{ID: 42, Spec: spec, Status: events.StatusPublished, Sequence: 3}
	stamp := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

	for _, tc := range []struct {
		method     events.Method
		wantStatus string
	}{
		{events.MethodPublish, "CONFIRMED"},
		{events.MethodCancel, "CANCELLED"},
	} {
		t.Run(string(tc.method), func(t *testing.T) {
			cal, ev := icstest.Parse(t, e.ICS(tc.method, events.Calendar{Organizer: organizer, Stamp: stamp, URL: "https://rundbrief.example/events/x"}))
			for _, c := range []struct{ name, got, want string }{
				{"METHOD", icstest.Text(t, cal.Component, "METHOD"), string(tc.method)},
				{"UID", icstest.Text(t, ev.Component, "UID"), "event-42@knf.example"},
				{"SEQUENCE", icstest.Text(t, ev.Component, "SEQUENCE"), "3"},
				{"SUMMARY", icstest.Text(t, ev.Component, "SUMMARY"), spec.Title},
				{"DESCRIPTION", icstest.Text(t, ev.Component, "DESCRIPTION"), strings.TrimSpace(spec.Description) + "\n\nOnline: " + spec.OnlineURL},
				{"LOCATION", icstest.Text(t, ev.Component, "LOCATION"), spec.Place()},
				{"STATUS", icstest.Text(t, ev.Component, "STATUS"), tc.wantStatus},
				{"DTSTAMP", icstest.Text(t, ev.Component, "DTSTAMP"), "20261125T100000Z"},
				{"ORGANIZER", icstest.Text(t, ev.Component, "ORGANIZER"), "mailto:rundbrief@knf.example"},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			start, err := ev.DateTimeStart(time.UTC)
			if err != nil || !start.Equal(spec.Start) {
				t.Errorf("DTSTART = %v (%v), want %v", start, err, spec.Start)
			}
			end, err := ev.DateTimeEnd(time.UTC)
			if err != nil || !end.Equal(spec.End) {
				t.Errorf("DTEND = %v (%v), want %v", end, err, spec.End)
			}
			if cn := ev.Props.Get("ORGANIZER").Params.Get("CN"); cn != organizer.Name {
				t.Errorf("ORGANIZER CN = %q", cn)
			}
		})
	}
}

func TestGoogleCalendarURL(t *testing.T) {
	spec := fromFile(t, "talent-campus-2027.yaml")
	e := &events.Event{ID: 1, Spec: spec}
	u, err := url.Parse(e.GoogleCalendarURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// Five days, 9:00 to 15:00 each: the first day, repeated daily.
	first := spec.Sessions[0]
	wantDates := first.Start.UTC().Format("20060102T150405Z") + "/" + first.End.UTC().Format("20060102T150405Z")
	if u.Host != "calendar.google.com" || q.Get("action") != "TEMPLATE" || q.Get("text") != spec.Title ||
		q.Get("dates") != wantDates || q.Get("location") != spec.Place() || q.Get("recur") != "RRULE:FREQ=DAILY;COUNT=5" {
		t.Errorf("Google Calendar link %s: text %q dates %q location %q recur %q", u, q.Get("text"), q.Get("dates"), q.Get("location"), q.Get("recur"))
	}
}

func TestOutlookCalendarURL(t *testing.T) {
	e := &events.Event{ID: 1, Spec: fromFile(t, "job-speeddating-2027.yaml")}
	for _, tc := range []struct {
		work bool
		host string
	}{{false, "outlook.live.com"}, {true, "outlook.office.com"}} {
		u, err := url.Parse(e.OutlookCalendarURL(tc.work))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Host != tc.host || q.Get("rru") != "addevent" || q.Get("subject") != "Job-Speeddating" ||
			q.Get("startdt") != "2027-04-22T14:00:00+02:00" || q.Get("enddt") != "2027-04-22T17:00:00+02:00" || q.Get("location") != e.Place() {
			t.Errorf("Outlook link %s", u)
		}
	}
}

// The organiser's name is a parameter value (RFC 5545, section 3.2): a
// name with ';', ',' or ':' is put in double quotes, a double quote or a
// caret in it written as RFC 6868 says, and a strict parser reads it back
// as it was written, however long.
func TestICSOrganizerNameQuoted(t *testing.T) {
	t.Parallel()
	e := &events.Event{ID: 7, Spec: fromFile(t, "regionalkonferenz-2027.yaml"), Status: events.StatusPublished}
	for _, name := range []string{
		"KNF; Nordhausen",
		"Landratsamt Nordhausen, Netzwerkstelle",
		"KNF: Fachkräfte",
		`Netzwerkstelle "Fachkräfte" ^ Nordhausen`,
		strings.Repeat("Kommunale Netzwerkstelle Fachkräftesicherung; ", 4),
		"Netzwerkstelle Fachkräftesicherung",
	} {
		org := mail.Address{Name: name, Address: "rundbrief@knf.example"}
		data := e.ICS(events.MethodPublish, events.Calendar{Organizer: org, Stamp: time.Now()})
		_, ev := icstest.Parse(t, data)
		p := ev.Props.Get("ORGANIZER")
		if p == nil {
			t.Fatalf("%q: no ORGANIZER:\n%s", name, data)
		}
		// The second parser does not know RFC 6868; undo its three escapes.
		cn := strings.NewReplacer("^'", `"`, "^n", "\n", "^^", "^").Replace(p.Params.Get("CN"))
		if cn != name {
			t.Errorf("ORGANIZER CN = %q, want %q\n%s", cn, name, data)
		}
		if p.Value != "mailto:rundbrief@knf.example" {
			t.Errorf("ORGANIZER = %q", p.Value)
		}
	}
}
