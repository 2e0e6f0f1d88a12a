// Package icstest checks iCalendar files (RFC 5545) in tests with a second,
// independent parser (github.com/emersion/go-ical), so that what rundbrief
// writes with one library is read back by another, as a calendar would.
package icstest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-ical"
)

// Parse checks the form of data — every line ends in CRLF and is at most 75
// octets, continuation lines start with a space — parses it and returns
// the calendar and its one event.
func Parse(t testing.TB, data []byte) (*ical.Calendar, *ical.Event) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("iCalendar file does not end in CRLF:\n%s", data)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Fatalf("line %d is %d octets long, more than 75: %q", i+1, len(line), line)
		}
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("iCalendar file does not parse: %v\n%s", err, data)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("iCalendar file has %d events, want 1", len(evs))
	}
	return cal, &evs[0]
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
