package templates

import (
	"errors"
	"fmt"
	"html"
	"strconv"
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
	// RegistrationRequested asks to confirm a registration sent from the
	// public page; RegistrationLink names the registration page to someone
	// who sent it while registered already. Neither carries a calendar
	// file or a cancel link.
	RegistrationRequested RegistrationKind = "requested"
	RegistrationLink      RegistrationKind = "link"
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
	w := r.words(lang)
	title := defuse(strings.TrimSpace(inv.Title))
	party := w.c.Text(w.lang, "woerter.personen", "Anzahl", strconv.Itoa(reg.People))
	if reg.People == 1 {
		party = w.c.Text(w.lang, "woerter.person")
	}
	base := Invitation{Title: inv.Title, Start: inv.Start, End: inv.End, Place: inv.Place, OnlineURL: inv.OnlineURL, Organiser: inv.Organiser,
		Days: inv.Days, Contact: inv.Contact}
	c := invitationCopy(w, base)
	c.preheader = ""              // the first sentence after the greeting says what happened
	c.facts = eventFacts(w, base) // without the invitation's registration row
	c.why = w.t("fusszeile.warum_anmeldung")
	c.instructions = w.t("anmeldung.aendern")
	c.button = w.t("anmeldung.oeffnen")
	c.buttonVar = varRegisterURL
	cancel := w.t("anmeldung.doch_nicht")
	greet := func(key string, vars ...string) []string {
		return append([]string{placeholder(varGreeting)}, w.paras(key, vars...)...)
	}
	calendar, removed := true, ""
	switch reg.Kind {
	case RegistrationConfirmed:
		c.subject = w.t("anmeldung.bestaetigt_betreff", "Titel", title)
		c.intros = greet("anmeldung.bestaetigt_text", "Personen", party)
	case RegistrationMovedUp:
		c.subject = w.t("anmeldung.nachgerueckt_betreff", "Titel", title)
		c.intros = greet("anmeldung.nachgerueckt_text", "Personen", party)
	case RegistrationWaiting:
		calendar = false
		c.subject = w.t("anmeldung.warteliste_betreff", "Titel", title)
		c.intros = greet("anmeldung.warteliste_text", "Personen", party, "Platz", strconv.Itoa(reg.Position))
		cancel = w.t("anmeldung.warteliste_verlassen")
	case RegistrationCancelled:
		calendar = false
		c.subject = w.t("anmeldung.abgesagt_betreff", "Titel", title)
		c.intros = greet("anmeldung.abgesagt_text")
		c.instructions = w.t("anmeldung.wieder_anmelden")
		c.outros = w.paras("anmeldung.abgesagt_nachsatz")
		cancel = ""
		removed = w.t("kalender.entfernt_anmeldung")
	case RegistrationRequested:
		calendar, cancel = false, ""
		c.why = w.t("fusszeile.warum_anfrage")
		c.subject = w.t("anmeldung.angefragt_betreff", "Titel", title)
		c.intros = greet("anmeldung.angefragt_text", "Personen", party)
		c.instructions = w.t("anmeldung.angefragt_anleitung")
		c.button = w.t("anmeldung.angefragt_knopf")
		c.outros = w.paras("anmeldung.angefragt_nachsatz")
	case RegistrationLink:
		calendar, cancel = false, ""
		c.why = w.t("fusszeile.warum_anfrage")
		c.subject = w.t("anmeldung.link_betreff", "Titel", title)
		c.intros = greet("anmeldung.link_text")
		c.instructions = w.t("anmeldung.link_anleitung")
	default:
		return nil, fmt.Errorf("templates: unknown registration mail %q", reg.Kind)
	}
	b := &body{}
	if cancel != "" {
		b.html, b.text = cancelParagraph(w, cancel)
	}
	if calendar {
		cb := calendarBody(w, &body{}, inv.Calendar, len(inv.Days) > 1)
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
func cancelParagraph(w words, ask string) (htmlPart, textPart string) {
	label := w.t("anmeldung.absagen_link")
	return `<p>` + html.EscapeString(ask) + linkColour(`<a href="`+placeholder(varCancelURL)+`">`) + html.EscapeString(label) + `</a></p>`,
		ask + placeholder(varCancelURL)
}
