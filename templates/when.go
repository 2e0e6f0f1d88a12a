package templates

import (
	"fmt"
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
		return fmt.Sprintf("%s, %s bis %s Uhr", day(lang, start), start.Format("15:04"), end.Format("15:04"))
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
	return t.Format("15:04") + " Uhr"
}
