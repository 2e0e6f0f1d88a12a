package events

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every shipped example parses, is in the future and names known kinds.
func TestExampleEvents(t *testing.T) {
	files, _ := filepath.Glob("../examples/events/*.yaml")
	if len(files) != 5 {
		t.Fatalf("%d example events, want the five KNF events", len(files))
	}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := ParseYAML(r)
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !spec.Start.After(time.Date(2026, 12, 1, 0, 0, 0, 0, Berlin())) {
			t.Errorf("%s starts %s; examples must lie in the future", f, spec.Start)
		}
		if spec.Slug+".yaml" != filepath.Base(f) {
			t.Errorf("%s has slug %q", f, spec.Slug)
		}
	}
}

func TestParseYAML(t *testing.T) {
	spec, err := ParseYAML(strings.NewReader(`
slug: Talent-Campus-2027
title: "  Talent-Campus  "
start: 2027-07-05 09:00
end: 09.07.2027 15:00
place: KVHS
kinds: [Familie, school, familie]
topics: [jugend, Jugend]
registration: true
capacity: 60
deadline: 2027-06-25 23:59
reminders: [1d, 14d, 7d, 7d]
`))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Slug != "talent-campus-2027" || spec.Title != "Talent-Campus" || spec.Capacity != 60 {
		t.Errorf("spec = %+v", spec)
	}
	if got := FormatTime(spec.Start) + " – " + FormatTime(spec.End); got != "2027-07-05 09:00 – 2027-07-09 15:00" {
		t.Errorf("times = %s", got)
	}
	if spec.Start.UTC().Hour() != 7 {
		t.Errorf("09:00 in July in Berlin is %s UTC, want 07:00", spec.Start.UTC())
	}
	if len(spec.Kinds) != 2 || spec.Kinds[0] != "family" || len(spec.Topics) != 1 {
		t.Errorf("kinds %v, topics %v", spec.Kinds, spec.Topics)
	}
	var offsets []string
	for _, r := range spec.Reminders {
		offsets = append(offsets, FormatOffset(r))
	}
	if strings.Join(offsets, ",") != "14d,7d,1d" {
		t.Errorf("reminders = %v", offsets)
	}
}

// Bad files get an error that names each bad field, or the line and the
// key or value at fault, as codes (cmd says them in German).
func TestParseYAMLErrorsNameTheField(t *testing.T) {
	base := "slug: x-2027\ntitle: X\nstart: 2027-05-01 10:00\nend: 2027-05-01 12:00\nplace: Rathaus\n"
	tests := []struct {
		name, yaml string
		field      string // the bad field, or "" for an error of the file
		line       int    // for an error of the file
		problem    Problem
		value      string
	}{
		{"unknown key", base + "ort: Rathaus\n", "", 6, ProblemUnknownKey, "ort"},
		{"wrong type", base + "capacity: viele\nregistration: true\n", "", 6, ProblemWrongType, "viele"},
		{"bad time", strings.Replace(base, "2027-05-01 10:00", "1. Mai 10 Uhr", 1), "start", 0, ProblemTime, "1. Mai 10 Uhr"},
		{"end before start", strings.Replace(base, "2027-05-01 12:00", "2027-05-01 09:00", 1), "end", 0, ProblemNotAfterStart, ""},
		{"skipped hour", strings.Replace(base, "2027-05-01 10:00", "2027-03-28 02:30", 1), "start", 0, ProblemNoSuchTime, "2027-03-28 02:30"},
		{"no place", strings.Replace(base, "place: Rathaus\n", "", 1), "place", 0, ProblemNoPlace, ""},
		{"bad kind", base + "kinds: [Verein]\n", "kinds", 0, ProblemKind, "Verein"},
		{"bad reminder", base + "reminders: [eine Woche, 30m]\n", "reminders", 0, ProblemOffset, "eine Woche"},
		{"deadline without registration", base + "deadline: 2027-04-30 12:00\n", "deadline", 0, ProblemNeedsRegistration, ""},
		{"bad online link", base + "online: meet.example/x\n", "online", 0, ProblemURL, "meet.example/x"},
		{"line break in title", strings.Replace(base, "title: X", "title: \"X\\r\\nBcc: y\"", 1), "title", 0, ProblemInvisible, ""},
		{"broken YAML", "slug: [x\n", "", 1, ProblemSyntax, ""},
		{"empty", "", "", 0, ProblemFileEmpty, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseYAML(strings.NewReader(tt.yaml))
			var fields InvalidFields
			var file FileErrors
			found := false
			switch {
			case errors.As(err, &fields):
				found = slices.ContainsFunc(fields, func(f FieldError) bool {
					return f.Field == tt.field && f.Problem == tt.problem && f.Value == tt.value
				})
			case errors.As(err, &file):
				found = tt.field == "" && errors.Is(err, ErrYAML) && slices.ContainsFunc(file, func(f FileError) bool {
					return f.Line == tt.line && f.Problem == tt.problem && (tt.value == "" || f.Value == tt.value)
				})
			}
			if !found {
				t.Errorf("error %v; want %s %s %q (line %d)", err, tt.field, tt.problem, tt.value, tt.line)
			}
		})
	}
}

func TestParseOffset(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 168 * time.Hour, "1d12h": 36 * time.Hour, "2h": 2 * time.Hour, " 14d ": 336 * time.Hour,
		// as staff write it (issue 15, point 10)
		"7 Tage": 168 * time.Hour, "1 Tag": 24 * time.Hour, "1 Tag 12 Stunden": 36 * time.Hour, "2 Wochen": 336 * time.Hour, "3 Stunden": 3 * time.Hour} {
		if got, err := ParseOffset(in); err != nil || got != want {
			t.Errorf("ParseOffset(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "7", "7w", "-1d", "1.5d", "2m", "7 Monate", "Tage 7", "1 Tag 12", "-1 Tag"} {
		if _, err := ParseOffset(in); err == nil {
			t.Errorf("ParseOffset(%q) accepted", in)
		}
	}
}

// No input makes the parser panic or accept control characters in a
// one-line field.
func FuzzParseYAML(f *testing.F) {
	files, _ := filepath.Glob("../examples/events/*.yaml")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(string(b))
	}
	f.Add("title: \"a\\nb\"\nslug: ab\n")
	f.Fuzz(func(t *testing.T, in string) {
		spec, err := ParseYAML(strings.NewReader(in))
		var fe InvalidFields
		if err != nil && !errors.Is(err, ErrYAML) && !errors.As(err, &fe) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if err == nil {
			for _, s := range []string{spec.Title, spec.PlaceName, spec.PlaceAddress, spec.Organiser, spec.OnlineURL} {
				if strings.ContainsAny(s, "\r\n") {
					t.Fatalf("accepted a line break in %q", s)
				}
			}
		}
	})
}

// An event written by WriteYAML reads back as the same event, for every
// example file (issue 15, point 8: events export, then events edit -f).
func TestWriteYAMLRoundTrip(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../examples/events/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example events")
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ParseYAML(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var buf bytes.Buffer
		if err := WriteYAML(&buf, want, nil); err != nil {
			t.Fatal(err)
		}
		got, err := ParseYAML(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s written back: %v\n%s", file, err, buf.String())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read back\n%+v\nwant\n%+v\nfile:\n%s", file, got, want, buf.String())
		}
	}
}
