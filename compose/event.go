package compose

import (
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// invitationOf is what a mail about e says in lang: its facts in
// Europe/Berlin, audience (in words) and the page where "Mehr erfahren"
// leads.
func invitationOf(e *events.Event, lang i18n.Lang, audience, moreURL string) templates.Invitation {
	inv := templates.Invitation{
		Title: e.Title, Description: e.Description, Start: e.Start.In(events.Berlin()), End: e.End.In(events.Berlin()),
		Place: e.Place(), OnlineURL: e.OnlineURL, Audience: audience,
		Organiser: templates.Organiser(lang, e.Organiser, e.Partners), Registration: e.Registration, MoreURL: moreURL,
		CalendarURL: e.GoogleCalendarURL(),
	}
	if e.Deadline != nil {
		d := e.Deadline.In(events.Berlin())
		inv.Deadline = &d
	}
	return inv
}

// calendarFile is e's .ics for method, stamped now, as an attachment
// named after the event.
func (c *Composer) calendarFile(e *events.Event, method events.Method, now time.Time) mailer.Attachment {
	return mailer.Attachment{
		Name:        e.Slug + ".ics",
		ContentType: "text/calendar; method=" + string(method) + "; charset=UTF-8",
		Data:        e.ICS(method, events.Calendar{Organizer: c.From, Stamp: now, URL: c.Links.Event(e.Slug)}),
	}
}
