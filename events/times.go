package events

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayouts are the ways staff write a time: ISO with a space or a T, or
// the German way.
var timeLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04", "02.01.2006 15:04", "2.1.2006 15:04"}

// ParseTime reads a time in Europe/Berlin: "2027-03-18 09:00",
// "2027-03-18T09:00" or "18.03.2027 09:00", the hour with or without its
// leading zero ("9:00"), and as an office writes it: "18.03.2027, 9 Uhr",
// "18.03.2027 9.30 Uhr". A time that does not exist there (the hour
// skipped when summer time begins) is refused. A time that exists twice
// (the hour repeated when summer time ends, see Repeated) is the first of
// the two, in summer time. Its error is a FieldError without its Field.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	written := s
	s = clockTime(s)
	for _, layout := range timeLayouts {
		wall, err := time.Parse(layout, s) // the clock as written, read in UTC
		if err != nil {
			continue
		}
		t := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), 0, 0, Berlin())
		if !sameClock(t, wall) {
			return time.Time{}, FieldError{Problem: ProblemNoSuchTime, Value: written}
		}
		if first := t.Add(-time.Hour); sameClock(first, wall) {
			t = first
		}
		return t, nil
	}
	return time.Time{}, FieldError{Problem: ProblemTime, Value: written}
}

// clockTime rewrites a time written with "Uhr" ("18.03.2027, 9 Uhr",
// "18.03.2027 9.30 Uhr") as the layouts read it ("18.03.2027 9:00",
// "18.03.2027 9:30"); anything else comes back as it was.
func clockTime(s string) string {
	lower := strings.ToLower(s)
	if !strings.HasSuffix(lower, "uhr") {
		return s
	}
	s = strings.TrimSpace(s[:len(s)-len("uhr")])
	date, clock, ok := strings.Cut(strings.Replace(s, ",", " ", 1), " ")
	if !ok {
		return s
	}
	clock = strings.Replace(strings.TrimSpace(clock), ".", ":", 1)
	if !strings.Contains(clock, ":") {
		clock += ":00"
	}
	return strings.TrimSpace(date) + " " + clock
}

// Repeated reports whether the clock time of t in Europe/Berlin happens
// twice that day, because the clocks go back an hour when summer time
// ends: written as staff write times, t cannot be told from the other.
func Repeated(t time.Time) bool {
	t = t.In(Berlin())
	return sameClock(t.Add(-time.Hour), t) || sameClock(t.Add(time.Hour), t)
}

// sameClock reports whether a in Europe/Berlin shows the date and the
// clock time that b shows, to the minute.
func sameClock(a, b time.Time) bool {
	a = a.In(Berlin())
	return a.Year() == b.Year() && a.Month() == b.Month() && a.Day() == b.Day() && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// FormatTime writes t in Europe/Berlin as staff write it.
func FormatTime(t time.Time) string { return t.In(Berlin()).Format("2006-01-02 15:04") }

// offsetUnits are the words an offset may be written in, as staff write
// them: "7 Tage", "1 Tag", "36 Stunden", "2 Wochen".
var offsetUnits = map[string]time.Duration{
	"tag": 24 * time.Hour, "tage": 24 * time.Hour, "tagen": 24 * time.Hour,
	"stunde": time.Hour, "stunden": time.Hour, "std": time.Hour,
	"woche": 7 * 24 * time.Hour, "wochen": 7 * 24 * time.Hour,
	"day": 24 * time.Hour, "days": 24 * time.Hour, "hour": time.Hour, "hours": time.Hour,
	"week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseOffset reads a reminder offset: "7d", "1d", "36h", "2h", "1d12h",
// or in words: "7 Tage", "1 Tag 12 Stunden", "2 Wochen". Its error is a
// FieldError without its Field.
func ParseOffset(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if fields := strings.Fields(in); len(fields) >= 2 {
		return offsetInWords(in, fields)
	}
	rest := in
	var d time.Duration
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 {
			return 0, FieldError{Problem: ProblemOffset, Value: in}
		}
		d, rest = time.Duration(n)*24*time.Hour, rest[i+1:]
	}
	if rest != "" {
		h, ok := strings.CutSuffix(rest, "h")
		n, err := strconv.Atoi(h)
		if !ok || err != nil || n < 0 {
			return 0, FieldError{Problem: ProblemOffset, Value: in}
		}
		d += time.Duration(n) * time.Hour
	}
	if in == "" {
		return 0, FieldError{Problem: ProblemOffset}
	}
	return d, nil
}

// offsetInWords reads an offset written as pairs of a number and a unit
// ("1 Tag 12 Stunden").
func offsetInWords(in string, fields []string) (time.Duration, error) {
	if len(fields)%2 != 0 {
		return 0, FieldError{Problem: ProblemOffset, Value: in}
	}
	var d time.Duration
	for i := 0; i < len(fields); i += 2 {
		n, err := strconv.Atoi(fields[i])
		unit, ok := offsetUnits[strings.ToLower(fields[i+1])]
		if err != nil || n < 0 || !ok {
			return 0, FieldError{Problem: ProblemOffset, Value: in}
		}
		d += time.Duration(n) * unit
	}
	return d, nil
}

// FormatOffset writes an offset as ParseOffset reads it.
func FormatOffset(d time.Duration) string {
	days, hours := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	default:
		return fmt.Sprintf("%dh", hours)
	}
}
