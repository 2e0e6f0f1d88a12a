package events

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
)

// Method is the iCalendar METHOD of a calendar file (RFC 5546): what the
// receiving calendar should do with the event.
type Method string

// The methods rundbrief sends.
const (
	// MethodPublish offers the event for the recipient's calendar; it is
	// what an invitation to a public event carries.
	MethodPublish Method = "PUBLISH"
	// MethodCancel removes the event from calendars that hold it.
	MethodCancel Method = "CANCEL"
)

// Calendar is what an iCalendar file needs besides the event.
type Calendar struct {
	// Organizer is the sender: ORGANIZER;CN=Name:mailto:address. Its
	// domain is the right-hand side of the UID.
	Organizer mail.Address
	// Stamp is DTSTAMP, when the file was made.
	Stamp time.Time
	// URL is a page about the event, if there is one.
	URL string
}

// UID is the event's iCalendar UID. It stays the same for the life of the
// event, so that an update or cancellation replaces the entry a calendar
// made from the invitation: a random value stored with the event, unique
// across installations; an event from before it had one keeps the form
// its invitations carried, "event-<id>@domain".
func (e *Event) UID(organizer mail.Address) string {
	domain := "rundbrief.invalid"
	if at := strings.LastIndexByte(organizer.Address, '@'); at >= 0 {
		domain = strings.ToLower(organizer.Address[at+1:])
	}
	if e.CalendarUID != "" {
		return e.CalendarUID + "@" + domain
	}
	return fmt.Sprintf("event-%d@%s", e.ID, domain)
}

// ICS returns the event as an iCalendar file (RFC 5545) for method: one
// VEVENT with a stable UID, the event's SEQUENCE, times in UTC, and lines
// ending in CRLF and folded at 75 octets; an event over several days
// recurs on each of them (see addSessions).
func (e *Event) ICS(method Method, c Calendar) []byte {
	cal := ics.NewCalendarFor("Netzwerkstelle Fachkräftesicherung//rundbrief")
	cal.SetMethod(ics.Method(method))
	e.addTo(cal, method, c)
	return serialize(cal, c.Organizer)
}

// Feed is the events evs as one iCalendar file to subscribe to (a
// calendar's "subscribe by URL", webcal://): METHOD:PUBLISH, each event
// as ICS writes it (a cancelled one as cancelled), with name the
// calendar's name. url gives each event's page.
func Feed(evs []*Event, name string, c Calendar, url func(*Event) string) []byte {
	cal := ics.NewCalendarFor("Netzwerkstelle Fachkräftesicherung//rundbrief")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(name)
	cal.SetXWRTimezone("Europe/Berlin")
	for _, e := range evs {
		ec := c
		if url != nil {
			ec.URL = url(e)
		}
		e.addTo(cal, MethodPublish, ec)
	}
	return serialize(cal, c.Organizer)
}

// addTo adds the event's VEVENTs to cal.
func (e *Event) addTo(cal *ics.Calendar, method Method, c Calendar) {
	days := e.Days()
	fill := func(ev *ics.VEvent, x Session) {
		ev.SetDtStampTime(c.Stamp.UTC())
		ev.SetSequence(e.Sequence)
		ev.SetStartAt(x.Start.UTC())
		ev.SetEndAt(x.End.UTC())
		ev.SetSummary(e.Title)
		if d := e.calendarDescription(); d != "" {
			ev.SetDescription(d)
		}
		if loc := e.calendarLocation(); loc != "" {
			ev.SetLocation(loc)
		}
		switch {
		case c.URL != "":
			ev.SetURL(c.URL)
		case e.OnlineURL != "":
			ev.SetURL(e.OnlineURL)
		}
		if method == MethodCancel || e.Status == StatusCancelled {
			ev.SetStatus(ics.ObjectStatusCancelled)
		} else {
			ev.SetStatus(ics.ObjectStatusConfirmed)
		}
	}
	uid := e.UID(c.Organizer)
	ev := cal.AddEvent(uid)
	fill(ev, days[0])
	if len(days) > 1 {
		for _, x := range addSessions(ev, days) {
			own := cal.AddEvent(uid)
			own.SetProperty(ics.ComponentPropertyRecurrenceId, x.Start.UTC().Format(utcLayout))
			fill(own, x)
		}
	}
}

// serialize writes cal with lines ending in CRLF. golang-ical escapes
// parameter values with backslashes, as if they were text; RFC 5545 has
// no escapes there, and strict parsers refuse "CN=KNF\; Nordhausen". The
// ORGANIZER lines are written here instead.
func serialize(cal *ics.Calendar, organizer mail.Address) []byte {
	out := cal.Serialize(ics.WithNewLineWindows)
	return []byte(strings.ReplaceAll(out, "END:VEVENT\r\n", foldLine(organizerLine(organizer))+"END:VEVENT\r\n"))
}

// organizerLine is ORGANIZER;CN=name:mailto:address, unfolded.
func organizerLine(a mail.Address) string {
	line := "ORGANIZER"
	if a.Name != "" {
		line += ";CN=" + paramValue(a.Name)
	}
	return line + ":mailto:" + a.Address
}

// paramValue writes s as an iCalendar parameter value (RFC 5545, section
// 3.1): in double quotes when it holds ';', ',' or ':', which end a
// parameter otherwise; a double quote, a line break and the caret itself
// written as RFC 6868 says (^', ^n, ^^), since a parameter value has no
// other way to hold them; control characters left out.
func paramValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '^':
			b.WriteString("^^")
		case r == '"':
			b.WriteString("^'")
		case r == '\n':
			b.WriteString("^n")
		case isControl(r):
		default:
			b.WriteRune(r)
		}
	}
	v := b.String()
	if strings.ContainsAny(v, ";,:") {
		return `"` + v + `"`
	}
	return v
}

// foldLine folds a content line at 75 octets (RFC 5545, section 3.1),
// never inside a UTF-8 sequence: each continuation line starts with a
// space. The line ends in CRLF.
func foldLine(line string) string {
	var b strings.Builder
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the space counts
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return b.String()
}

// calendarLocation is the place and address, or the online link for an
// event that is only online.
func (e *Event) calendarLocation() string {
	if p := e.Place(); p != "" {
		return p
	}
	return e.OnlineURL
}

// calendarDescription is the description as plain text, with the online
// link, which calendars make clickable.
func (e *Event) calendarDescription() string {
	parts := nonEmpty(strings.TrimSpace(e.Description))
	if e.OnlineURL != "" {
		parts = append(parts, "Online: "+e.OnlineURL)
	}
	return strings.Join(parts, "\n\n")
}

// GoogleCalendarURL is a link that opens Google Calendar with the event
// filled in, for people whose mail program ignores the attached file. An
// event over several days repeats there as in the calendar file: its
// RRULE or RDATE goes along as "recur", which Google takes (its
// "Add to calendar" links read recurrence lines of RFC 5545).
func (e *Event) GoogleCalendarURL() string {
	days := e.Days()
	q := []string{
		"action=TEMPLATE",
		"text=" + queryEscape(e.Title),
		"dates=" + days[0].Start.UTC().Format(utcLayout) + "/" + days[0].End.UTC().Format(utcLayout),
		"details=" + queryEscape(truncateRunes(e.calendarDescription(), 1000)),
		"location=" + queryEscape(e.calendarLocation()),
		"ctz=Europe/Berlin",
	}
	if len(days) > 1 {
		q = append(q, "recur="+queryEscape(recurrenceLine(days)))
	}
	return "https://calendar.google.com/calendar/render?" + strings.Join(q, "&")
}

// recurrenceLine is the RRULE or, for irregular days, the RDATE line of
// days, as the calendar file has it (without the RECURRENCE-ID overrides
// of days of another length, which a link cannot carry).
func recurrenceLine(days []Session) string {
	if rule := recurrence(days); rule != "" {
		return "RRULE:" + rule
	}
	var dates []string
	for _, x := range days[1:] {
		dates = append(dates, x.Start.UTC().Format(utcLayout))
	}
	return "RDATE:" + strings.Join(dates, ",")
}

// OutlookCalendarURL is a link that opens Outlook on the web with the
// event's first day filled in: outlook.live.com for personal accounts
// (Outlook.com), outlook.office.com for work accounts (Microsoft 365).
// Outlook's links take no repetition; for an event over several days the
// mails say that the calendar file brings every day.
func (e *Event) OutlookCalendarURL(work bool) string {
	host := "outlook.live.com"
	if work {
		host = "outlook.office.com"
	}
	first := e.Days()[0]
	q := strings.Join([]string{
		"path=%2Fcalendar%2Faction%2Fcompose",
		"rru=addevent",
		"subject=" + queryEscape(e.Title),
		"startdt=" + queryEscape(first.Start.In(Berlin()).Format(time.RFC3339)),
		"enddt=" + queryEscape(first.End.In(Berlin()).Format(time.RFC3339)),
		"body=" + queryEscape(truncateRunes(e.calendarDescription(), 1000)),
		"location=" + queryEscape(e.calendarLocation()),
	}, "&")
	return "https://" + host + "/calendar/0/deeplink/compose?" + q
}

func queryEscape(s string) string { return url.QueryEscape(s) }

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
