package templates

import (
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// RegistrationKind is a mail about one person's registration for an event.
type RegistrationKind string

// The mails about a registration. They are transactional: they go to
// whoever registered, whether or not they still receive the newsletter.
const (
	RegistrationConfirmed RegistrationKind = "registered" // places held; with the calendar file
	RegistrationWaiting   RegistrationKind = "waiting"    // on the waitlist, at a place
	RegistrationMovedUp   RegistrationKind = "moved_up"   // "Ein Platz ist frei geworden"; with the calendar file
	RegistrationCancelled RegistrationKind = "cancelled"  // the cancellation is received
)

// Registration is what a mail about a registration says besides the
// event's facts.
type Registration struct {
	Event    Invitation // the event's facts; Registration and MoreURL are ignored
	Kind     RegistrationKind
	People   int
	Position int // on the waitlist
}

// Registration renders the mail about one registration. Unlike a campaign
// it is rendered for its one recipient, so the number of people and the
// waitlist place are part of the layout; Layout.Render fills in the
// greeting, the registration page (Vars.RegisterURL), the cancel page
// (Vars.CancelURL) and the footer links.
func (r *Renderer) Registration(reg Registration, lang i18n.Lang) (*Layout, error) {
	inv := reg.Event
	if strings.TrimSpace(inv.Title) == "" || inv.Start.IsZero() || reg.People < 1 {
		return nil, errors.New("templates: a registration mail needs the event and the number of people")
	}
	en := lang == i18n.English
	title := defuse(strings.TrimSpace(inv.Title))
	party := pick(en, fmt.Sprintf("%d people", reg.People), fmt.Sprintf("%d Personen", reg.People))
	if reg.People == 1 {
		party = pick(en, "1 person", "1 Person")
	}
	base := Invitation{Title: inv.Title, Start: inv.Start, End: inv.End, Place: inv.Place, OnlineURL: inv.OnlineURL, Organiser: inv.Organiser,
		Days: inv.Days, Contact: inv.Contact}
	c := invitationCopy(lang, base)
	c.preheader = ""                 // the first sentence after the greeting says what happened
	c.facts = eventFacts(lang, base) // without the invitation's registration row
	c.why = pick(en, "You receive this e-mail because you registered for this event.",
		"Sie erhalten diese E-Mail, weil Sie sich für diese Veranstaltung angemeldet haben.")
	c.instructions = pick(en, "To change the number of people or cancel, open your registration:",
		"Personenzahl ändern oder absagen können Sie hier:")
	c.button = pick(en, "Open my registration", "Meine Anmeldung öffnen")
	c.buttonVar = varRegisterURL
	cancel := pick(en, "If you cannot come after all, please cancel, so that your place goes to someone on the waiting list: ",
		"Falls Sie doch nicht kommen können, sagen Sie bitte ab – Ihr Platz geht dann an die Warteliste: ")
	calendar, removed := true, ""
	switch reg.Kind {
	case RegistrationConfirmed:
		c.subject = pick(en, "Registration confirmed: ", "Anmeldung bestätigt: ") + title
		c.intros = []string{placeholder(varGreeting), pick(en,
			"thank you for registering. You are registered for "+party+".",
			"vielen Dank für Ihre Anmeldung. Sie sind mit "+party+" angemeldet.")}
	case RegistrationMovedUp:
		c.subject = pick(en, "A place has become free: ", "Ein Platz ist frei geworden: ") + title
		c.intros = []string{placeholder(varGreeting), pick(en,
			"good news: a place has become free, and you have moved up from the waiting list. You are now registered for "+party+".",
			"gute Nachricht: Ein Platz ist frei geworden, und Sie sind von der Warteliste nachgerückt. Sie sind jetzt mit "+party+" angemeldet.")}
	case RegistrationWaiting:
		calendar = false
		c.subject = pick(en, "Waiting list: ", "Warteliste: ") + title
		c.intros = []string{placeholder(varGreeting), pick(en,
			fmt.Sprintf("the event is fully booked. You are on the waiting list with %s, in place %d. If a place becomes free, you move up automatically and we will write to you.", party, reg.Position),
			fmt.Sprintf("die Veranstaltung ist leider ausgebucht. Sie stehen mit %s auf Platz %d der Warteliste. Wird ein Platz frei, rücken Sie automatisch nach – wir schreiben Ihnen dann.", party, reg.Position))}
		cancel = pick(en, "If you no longer wish to wait, please leave the waiting list: ",
			"Falls Sie nicht mehr warten möchten, nehmen Sie sich bitte von der Warteliste: ")
	case RegistrationCancelled:
		calendar = false
		c.subject = pick(en, "Cancellation received: ", "Absage erhalten: ") + title
		c.intros = []string{placeholder(varGreeting), pick(en,
			"we have received your cancellation; your place goes to the waiting list. You can register again as long as registration is open.",
			"Ihre Absage ist bei uns eingegangen; Ihr Platz geht an die Warteliste. Solange die Anmeldung offen ist, können Sie sich wieder anmelden.")}
		c.instructions = pick(en, "To register again:", "Wieder anmelden:")
		c.outros = []string{pick(en, "Perhaps next time.", "Vielleicht beim nächsten Mal.")}
		cancel = ""
		removed = pick(en, "The attached calendar file (.ics) removes the date from your calendar if you added it with the calendar file of your confirmation. Please delete an entry you added with a link to Google Calendar or Outlook yourself.",
			"Die angehängte Kalenderdatei (.ics) entfernt den Termin aus Ihrem Kalender, wenn Sie ihn mit der Kalenderdatei Ihrer Bestätigung eingetragen haben. Einen Eintrag, den Sie über einen Link in Google Kalender oder Outlook angelegt haben, löschen Sie bitte selbst.")
	default:
		return nil, fmt.Errorf("templates: unknown registration mail %q", reg.Kind)
	}
	b := &body{}
	if cancel != "" {
		b.html, b.text = cancelParagraph(lang, cancel)
	}
	if calendar {
		cb := calendarBody(lang, &body{}, inv.Calendar, len(inv.Days) > 1)
		b.html += cb.html
		if b.text != "" {
			b.text += "\n\n"
		}
		b.text += cb.text
	}
	if removed != "" {
		b.html, b.text = `<p>`+html.EscapeString(removed)+`</p>`, removed
	}
	if b.html != "" {
		c.body = b
	}
	l, err := r.render(c, lang, footerTransactional)
	if err != nil {
		return nil, fmt.Errorf("templates: registration mail (%s, %s): %w", reg.Kind, lang, err)
	}
	return l, nil
}

// cancelParagraph asks to cancel, with the recipient's cancel link.
func cancelParagraph(lang i18n.Lang, ask string) (htmlPart, textPart string) {
	label := pick(lang == i18n.English, "cancel my registration", "Anmeldung absagen")
	return `<p>` + html.EscapeString(ask) + linkColour(`<a href="`+placeholder(varCancelURL)+`">`) + html.EscapeString(label) + `</a></p>`,
		ask + placeholder(varCancelURL)
}
