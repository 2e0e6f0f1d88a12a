package compose

import (
	"net/mail"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// invitationOf is what a mail about e says in lang: its words (English
// where the event has them), its facts in Europe/Berlin, whom it is for
// (the event's own words, or audience described), the contact person, the
// page where "Mehr erfahren" leads and the calendar links.
func invitationOf(e *events.Event, lang i18n.Lang, audience, moreURL string) templates.Invitation {
	en := lang == i18n.English
	title, description := e.InLanguage(en)
	if own := e.ForWhomIn(en); own != "" {
		audience = own
	}
	inv := templates.Invitation{
		Title: title, Description: description, Start: e.Start.In(events.Berlin()), End: e.End.In(events.Berlin()),
		Place: e.Place(), OnlineURL: e.OnlineURL, Audience: audience,
		Organiser: templates.Organiser(lang, e.Organiser, e.Partners), Registration: e.Registration, MoreURL: moreURL,
		Calendar: templates.CalendarLinks{Google: e.GoogleCalendarURL(), Outlook: e.OutlookCalendarURL(false), Office365: e.OutlookCalendarURL(true)},
		Contact:  templates.Contact{Name: e.Contact.Name, Phone: e.Contact.Phone, Email: e.Contact.Email},
	}
	for _, d := range e.Sessions {
		inv.Days = append(inv.Days, templates.Span{Start: d.Start.In(events.Berlin()), End: d.End.In(events.Berlin())})
	}
	if e.Deadline != nil {
		d := e.Deadline.In(events.Berlin())
		inv.Deadline = &d
	}
	return inv
}

// eventLangs are the languages mails about e are written in: English
// only where the event has its words in English; without them English
// subscribers get the German mail whole rather than a mix of languages.
func eventLangs(e *events.Event) []i18n.Lang {
	if e.English() {
		return i18n.All()
	}
	return []i18n.Lang{i18n.German}
}

// replyTo is where answers to a mail about e go: the event's contact
// person, or the office's Reply-To (none: to From).
func (c *Composer) replyTo(e *events.Event) mail.Address {
	if e != nil && e.Contact.Email != "" {
		return mail.Address{Name: e.Contact.Name, Address: e.Contact.Email}
	}
	return c.ReplyTo
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
