package events

import (
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// An event over several days goes into calendars as one recurring event,
// so that an update or a cancellation (same UID) moves or removes every
// day of it at once (RFC 5545, section 3.8.5):
//
//   - days at the same clock time and of the same length, every day or on
//     the same weekdays week after week (the Talent-Campus, Monday to
//     Friday; the Codeweek, two weeks of weekdays) are an RRULE, the one
//     form Outlook, Google Calendar and Apple Calendar all expand;
//   - other days are RDATEs, and a day of another length gets its own
//     VEVENT with the same UID and a RECURRENCE-ID that names it.
//     Apple Calendar and Thunderbird take this whole; Outlook shows only
//     the first day, which is why the mails list every day in the facts.
//
// Times are in UTC throughout; a series whose days fall on both sides of
// a change to or from summer time has two UTC clock times and is written
// as RDATEs, which keeps every day at its local time.

// utcLayout is an iCalendar DATE-TIME in UTC.
const utcLayout = "20060102T150405Z"

// recurrence returns the RRULE of sessions, or "" when they are no
// regular series.
func recurrence(sessions []Session) string {
	first := sessions[0]
	length := first.End.Sub(first.Start)
	clock := first.Start.UTC().Format("150405")
	days := map[time.Weekday]bool{}
	for _, x := range sessions {
		if x.End.Sub(x.Start) != length || x.Start.UTC().Format("150405") != clock {
			return ""
		}
		days[x.Start.UTC().Weekday()] = true
	}
	n := strconv.Itoa(len(sessions))
	if followsDays(sessions, func(time.Weekday) bool { return true }) {
		return "FREQ=DAILY;COUNT=" + n
	}
	if followsDays(sessions, func(d time.Weekday) bool { return days[d] }) {
		var by []string
		for d := time.Monday; ; d = (d + 1) % 7 {
			if days[d] {
				by = append(by, strings.ToUpper(d.String()[:2]))
			}
			if d == time.Sunday {
				break
			}
		}
		return "FREQ=WEEKLY;BYDAY=" + strings.Join(by, ",") + ";COUNT=" + n
	}
	return ""
}

// followsDays reports whether sessions fall on the days that pass,
// counting from the first, with none left out.
func followsDays(sessions []Session, pass func(time.Weekday) bool) bool {
	day := sessions[0].Start.UTC()
	for _, x := range sessions[1:] {
		for day = day.AddDate(0, 0, 1); !pass(day.Weekday()); day = day.AddDate(0, 0, 1) {
		}
		if !x.Start.UTC().Equal(day) {
			return false
		}
	}
	return true
}

// addSessions makes ev, the event's first day, recur on the others; it
// returns the days that need a VEVENT of their own (another length).
func addSessions(ev *ics.VEvent, sessions []Session) []Session {
	if rule := recurrence(sessions); rule != "" {
		ev.AddRrule(rule)
		return nil
	}
	length := sessions[0].End.Sub(sessions[0].Start)
	var dates []string
	var own []Session
	for _, x := range sessions[1:] {
		dates = append(dates, x.Start.UTC().Format(utcLayout))
		if x.End.Sub(x.Start) != length {
			own = append(own, x)
		}
	}
	ev.AddRdate(strings.Join(dates, ","))
	return own
}
