package templates

import (
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// NoticeKind is a mail to the people of an event after the invitation.
type NoticeKind string

// The notices about an event.
const (
	NoticeReminder     NoticeKind = "reminder"     // shortly before the start
	NoticeUpdate       NoticeKind = "update"       // time or place changed
	NoticeCancellation NoticeKind = "cancellation" // called off
)

// Notice is a reminder, update or cancellation of an event.
type Notice struct {
	Kind  NoticeKind
	Event Invitation // the facts; Registration says the recipients registered
	// Until says when the event begins, for a reminder: "in 7 Tagen",
	// "morgen" (see Until).
	Until string
	// Note is what changed (update) or the reason (cancellation).
	Note string
}

// Notice renders n in lang once, for all its recipients. For registered
// recipients it links to their registration (Vars.RegisterURL) and their
// cancel page (Vars.CancelURL); otherwise to the event page.
func (r *Renderer) Notice(n Notice, lang i18n.Lang) (*Layout, error) {
	inv := n.Event
	if strings.TrimSpace(inv.Title) == "" || inv.Start.IsZero() {
		return nil, errors.New("templates: a notice needs its event")
	}
	en := lang == i18n.English
	title := defuse(strings.TrimSpace(inv.Title))
	note := defuse(strings.TrimSpace(n.Note))
	registered := inv.Registration
	base := inv
	base.Registration, base.Deadline, base.Audience = false, nil, ""
	c := invitationCopy(lang, base)
	c.preheader = ""                 // the first sentence after the greeting says what happened
	c.facts = eventFacts(lang, base) // without the invitation's registration row
	c.outros = nil
	if registered {
		c.why = pick(en, "You receive this e-mail because you registered for this event.",
			"Sie erhalten diese E-Mail, weil Sie sich für diese Veranstaltung angemeldet haben.")
		c.instructions = pick(en, "Your registration:", "Ihre Anmeldung:")
		c.button, c.buttonVar, c.buttonLink = pick(en, "Open my registration", "Meine Anmeldung öffnen"), varRegisterURL, ""
	}
	b := &body{}
	add := func(h, t string) {
		b.html += h
		if b.text != "" && t != "" {
			b.text += "\n\n"
		}
		b.text += t
	}
	cancelAsk := pick(en, "If you cannot come, please cancel, so that your place goes to someone on the waiting list: ",
		"Falls Sie nicht kommen können, sagen Sie bitte ab – Ihr Platz geht dann an die Warteliste: ")
	switch n.Kind {
	case NoticeReminder:
		c.subject = pick(en, "Reminder: ", "Erinnerung: ") + title + " – " + n.Until
		c.intros = []string{placeholder(varGreeting), pick(en,
			"a friendly reminder: the event begins "+n.Until+".",
			"wir möchten Sie erinnern: Die Veranstaltung beginnt "+n.Until+".")}
		if note != "" {
			c.intros = append(c.intros, note)
		}
		c.outros = []string{pick(en, "We look forward to seeing you!", "Wir freuen uns auf Sie!")}
		if registered {
			add(cancelParagraph(lang, cancelAsk))
		}
		cb := calendarBody(lang, &body{}, inv.Calendar, len(inv.Days) > 1)
		add(cb.html, cb.text)
	case NoticeUpdate:
		c.subject = pick(en, "Changed: ", "Geändert: ") + title
		c.intros = []string{placeholder(varGreeting), pick(en, "please note: the event has changed.", "bitte beachten Sie: Die Veranstaltung hat sich geändert.")}
		if note != "" {
			c.intros = append(c.intros, note)
		}
		if registered {
			c.intros = append(c.intros, pick(en, "Your registration stands, as does a place on the waiting list.",
				"Ihre Anmeldung gilt weiter, ebenso ein Platz auf der Warteliste."))
			add(cancelParagraph(lang, pick(en, "If you can no longer come, please cancel: ", "Falls Sie nun nicht kommen können, sagen Sie bitte ab: ")))
		}
		file := pick(en, "The attached calendar file (.ics) moves the date in your calendar if you added it with the calendar file of an earlier e-mail.",
			"Die angehängte Kalenderdatei (.ics) verschiebt den Termin in Ihrem Kalender, wenn Sie ihn mit der Kalenderdatei einer früheren E-Mail eingetragen haben.")
		add(`<p>`+html.EscapeString(file)+`</p>`, file)
		byLink := pick(en, "No e-mail can change an entry you added with a link to Google Calendar or Outlook: please delete it and add the new date.",
			"Einen Eintrag, den Sie über einen Link in Google Kalender oder Outlook angelegt haben, kann keine E-Mail ändern: Bitte löschen Sie ihn und tragen Sie den neuen Termin ein.")
		h, t := webCalendars(lang, inv.Calendar, len(inv.Days) > 1)
		add(`<p>`+html.EscapeString(byLink)+h+`</p>`, byLink+t)
	case NoticeCancellation:
		c.subject = pick(en, "Cancelled: ", "Abgesagt: ") + title
		c.intros = []string{placeholder(varGreeting), pick(en,
			"unfortunately we have to cancel the event “"+title+"”.",
			"leider müssen wir die Veranstaltung „"+title+"“ absagen.")}
		if note != "" {
			c.intros = append(c.intros, pick(en, "Reason: ", "Grund: ")+note)
		}
		c.outros = []string{pick(en, "We apologise and hope to see you at another event.",
			"Wir bitten um Ihr Verständnis und hoffen, Sie bei einer anderen Veranstaltung zu sehen.")}
		c.button, c.buttonVar, c.buttonLink, c.instructions = "", "", "", ""
		file := pick(en, "The attached calendar file (.ics) removes the date from your calendar if you added it with a calendar file. Please delete an entry you added with a link to Google Calendar or Outlook yourself.",
			"Die angehängte Kalenderdatei (.ics) entfernt den Termin aus Ihrem Kalender, wenn Sie ihn mit einer Kalenderdatei eingetragen haben. Einen Eintrag, den Sie über einen Link in Google Kalender oder Outlook angelegt haben, löschen Sie bitte selbst.")
		add(`<p>`+html.EscapeString(file)+`</p>`, file)
	default:
		return nil, fmt.Errorf("templates: unknown notice %q", n.Kind)
	}
	c.body = b
	// To the people registered, a notice is about their registration;
	// to an audience, it is list mail.
	footer := footerList
	if registered {
		footer = footerTransactional
	}
	l, err := r.render(c, lang, footer)
	if err != nil {
		return nil, fmt.Errorf("templates: %s (%s): %w", n.Kind, lang, err)
	}
	return l, nil
}

// Until says how long until start, from now, for a reminder: "heute",
// "morgen", "übermorgen", "in 7 Tagen", "in 3 Stunden" (in the time zone
// of start).
func Until(lang i18n.Lang, now, start time.Time) string {
	en := lang == i18n.English
	d := start.Sub(now)
	if d < 12*time.Hour {
		h := max(int(d.Round(time.Hour)/time.Hour), 1)
		if h == 1 {
			return pick(en, "in one hour", "in einer Stunde")
		}
		return pick(en, fmt.Sprintf("in %d hours", h), fmt.Sprintf("in %d Stunden", h))
	}
	n := now.In(start.Location())
	y, m, dd := n.Date()
	days := int(time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC).
		Sub(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	switch days {
	case 0:
		return pick(en, "today", "heute")
	case 1:
		return pick(en, "tomorrow", "morgen")
	case 2:
		return pick(en, "the day after tomorrow", "übermorgen")
	}
	return pick(en, fmt.Sprintf("in %d days", days), fmt.Sprintf("in %d Tagen", days))
}
