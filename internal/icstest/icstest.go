// Package icstest checks iCalendar files (RFC 5545) in tests with a second,
// independent parser (github.com/emersion/go-ical), so that what rundbrief
// writes with one library is read back by another, as a calendar would.
package icstest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// Parse checks the form of data — every line ends in CRLF and is at most 75
// octets, continuation lines start with a space — parses it and returns
// the calendar and its one event.
func Parse(t testing.TB, data []byte) (*ical.Calendar, *ical.Event) {
	t.Helper()
	cal := parse(t, data)
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("iCalendar file has %d events, want 1", len(evs))
	}
	return cal, &evs[0]
}

// ParseCalendar checks the form of data as Parse does and returns the
// calendar, with any number of events.
func ParseCalendar(t testing.TB, data []byte) *ical.Calendar {
	t.Helper()
	return parse(t, data)
}

func parse(t testing.TB, data []byte) *ical.Calendar {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("iCalendar file does not end in CRLF:\n%s", data)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") || len(line) > 75 {
			t.Fatalf("line %d has a bare CR or LF or is longer than 75 octets: %q", i+1, line)
		}
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("iCalendar file does not parse: %v\n%s", err, data)
	}
	return cal
}

// Occurrence is one entry a calendar makes of an event.
type Occurrence struct{ Start, End time.Time }

// Occurrences are the entries a calendar makes of data's event, in loc,
// in order: the first VEVENT of its UID, repeated by its RRULE and RDATEs
// (expanded by github.com/teambition/rrule-go), and each repetition
// replaced by the VEVENT whose RECURRENCE-ID names it. Every VEVENT must
// share the one UID.
func Occurrences(t testing.TB, data []byte, loc *time.Location) []Occurrence {
	t.Helper()
	evs := parse(t, data).Events()
	if len(evs) == 0 {
		t.Fatal("iCalendar file has no event")
	}
	master := evs[0]
	uid := Text(t, master.Component, "UID")
	start, err := master.DateTimeStart(loc)
	if err != nil {
		t.Fatalf("DTSTART: %v", err)
	}
	end, err := master.DateTimeEnd(loc)
	if err != nil {
		t.Fatalf("DTEND: %v", err)
	}
	length := end.Sub(start)
	starts := []time.Time{start}
	set, err := master.RecurrenceSet(loc)
	if err != nil {
		t.Fatalf("RRULE: %v", err)
	}
	if set != nil {
		starts = set.All()
	}
	// go-ical's RecurrenceSet reads no RDATE; they are read here.
	for _, p := range master.Props.Values("RDATE") {
		for _, v := range strings.Split(p.Value, ",") {
			d, err := time.ParseInLocation("20060102T150405Z", v, time.UTC)
			if err != nil {
				t.Fatalf("RDATE %q: %v", v, err)
			}
			starts = append(starts, d.In(loc))
		}
	}
	out := make([]Occurrence, len(starts))
	for i, s := range starts {
		out[i] = Occurrence{s, s.Add(length)}
	}
	for _, ev := range evs[1:] {
		if got := Text(t, ev.Component, "UID"); got != uid {
			t.Fatalf("a second VEVENT has UID %q, want %q", got, uid)
		}
		rid, err := ev.Props.DateTime("RECURRENCE-ID", loc)
		if err != nil {
			t.Fatalf("a second VEVENT without RECURRENCE-ID: %v", err)
		}
		i := slices.IndexFunc(out, func(o Occurrence) bool { return o.Start.Equal(rid) })
		if i < 0 {
			t.Fatalf("RECURRENCE-ID %s names no repetition", rid)
		}
		s, _ := ev.DateTimeStart(loc)
		e, _ := ev.DateTimeEnd(loc)
		out[i] = Occurrence{s, e}
	}
	slices.SortFunc(out, func(a, b Occurrence) int { return a.Start.Compare(b.Start) })
	for i := range out {
		out[i] = Occurrence{out[i].Start.In(loc), out[i].End.In(loc)}
	}
	return out
}

// Text is the value of the property name of c, "" when it has none.
func Text(t testing.TB, c *ical.Component, name string) string {
	t.Helper()
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	if p.ValueType() == ical.ValueText || p.ValueType() == ical.ValueDefault {
		if s, err := p.Text(); err == nil {
			return s
		}
	}
	return p.Value
}
