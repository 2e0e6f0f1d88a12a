package templates

import (
	"fmt"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

var (
	weekdaysDE = [...]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}
	monthsDE   = [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
)

// When says when an event is, in its times' location: "Dienstag, 9. März
// 2027, 9:00 bis 15:00 Uhr", or from one day to another for an event that
// lasts several days.
func When(lang i18n.Lang, start, end time.Time) string {
	sy, sm, sd := start.Date()
	ey, em, ed := end.Date()
	if sy == ey && sm == em && sd == ed {
		if lang == i18n.English {
			return fmt.Sprintf("%s, %s to %s (German time)", day(lang, start), clock(lang, start), clock(lang, end))
		}
		return fmt.Sprintf("%s, %s bis %s Uhr", day(lang, start), hourMinute(start), hourMinute(end))
	}
	if lang == i18n.English {
		return fmt.Sprintf("%s, %s to %s, %s (German time)", day(lang, start), clock(lang, start), day(lang, end), clock(lang, end))
	}
	return fmt.Sprintf("%s, %s bis %s, %s", day(lang, start), clock(lang, start), day(lang, end), clock(lang, end))
}

// day is the date with its weekday: "Dienstag, 9. März 2027".
func day(lang i18n.Lang, t time.Time) string {
	if lang == i18n.English {
		return t.Format("Monday, 2 January 2006")
	}
	return fmt.Sprintf("%s, %d. %s %d", weekdaysDE[t.Weekday()], t.Day(), monthsDE[t.Month()-1], t.Year())
}

// clock is the time of day: "9:00 Uhr", "09:00".
func clock(lang i18n.Lang, t time.Time) string {
	if lang == i18n.English {
		return t.Format("15:04")
	}
	return hourMinute(t) + " Uhr"
}

// hourMinute is the time of day as an office writes it in prose: the
// hour without a leading zero, "9:00" (COPY.md).
func hourMinute(t time.Time) string { return fmt.Sprintf("%d:%02d", t.Hour(), t.Minute()) }

// Span is a stretch of time: one day of an event over several.
type Span struct{ Start, End time.Time }

// WhenDays says when an event over several days is, in its times'
// location: "5. bis 9. Juli 2027, jeweils 9:00 bis 15:00 Uhr" for days in
// a row at the same times, each day otherwise ("Freitag, 22. Oktober
// 2027, 9:00 bis 13:00 Uhr; Montag, …").
func WhenDays(lang i18n.Lang, days []Span) string {
	switch len(days) {
	case 0:
		return ""
	case 1:
		return When(lang, days[0].Start, days[0].End)
	}
	first, last := days[0], days[len(days)-1]
	regular := true
	for i, d := range days {
		if hourMinute(d.Start) != hourMinute(first.Start) || hourMinute(d.End) != hourMinute(first.End) || !sameDay(d.Start, d.End) ||
			(i > 0 && !sameDay(days[i-1].Start.AddDate(0, 0, 1), d.Start)) {
			regular = false
		}
	}
	if !regular {
		parts := make([]string, len(days))
		for i, d := range days {
			parts[i] = When(lang, d.Start, d.End)
		}
		return strings.Join(parts, "; ")
	}
	if lang == i18n.English {
		return fmt.Sprintf("%s to %s, %s to %s each day (German time)", dateOnly(lang, first.Start, last.Start), last.Start.Format("2 January 2006"),
			clock(lang, first.Start), clock(lang, first.End))
	}
	return fmt.Sprintf("%s bis %d. %s %d, jeweils %s bis %s Uhr", dateOnly(lang, first.Start, last.Start),
		last.Start.Day(), monthsDE[last.Start.Month()-1], last.Start.Year(), hourMinute(first.Start), hourMinute(first.End))
}

// dateOnly is the first date of a range, as short as the last date
// allows: "5." (same month), "30. Juni" (same year), "30. Dezember 2026".
func dateOnly(lang i18n.Lang, t, until time.Time) string {
	en := lang == i18n.English
	switch {
	case t.Year() != until.Year() && en:
		return t.Format("2 January 2006")
	case t.Year() != until.Year():
		return fmt.Sprintf("%d. %s %d", t.Day(), monthsDE[t.Month()-1], t.Year())
	case t.Month() != until.Month() && en:
		return t.Format("2 January")
	case t.Month() != until.Month():
		return fmt.Sprintf("%d. %s", t.Day(), monthsDE[t.Month()-1])
	case en:
		return fmt.Sprintf("%d", t.Day())
	default:
		return fmt.Sprintf("%d.", t.Day())
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// At is a moment as an office writes it: "Freitag, 25. Juni 2027, 23:59
// Uhr".
func At(lang i18n.Lang, t time.Time) string { return day(lang, t) + ", " + clock(lang, t) }

// Date is a day as an office writes it: "Donnerstag, 3. Dezember 2026".
func Date(lang i18n.Lang, t time.Time) string { return day(lang, t) }
