package templates

import (
	"errors"
	"fmt"
	"html"
	"strconv"
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
	w := r.words(lang)
	title := defuse(strings.TrimSpace(inv.Title))
	note := defuse(strings.TrimSpace(n.Note))
	registered := inv.Registration
	base := inv
	base.Registration, base.Deadline, base.Audience = false, nil, ""
	c := invitationCopy(w, base)
	c.preheader = ""              // the first sentence after the greeting says what happened
	c.facts = eventFacts(w, base) // without the invitation's registration row
	c.outros = nil
	if registered {
		c.why = w.t("fusszeile.warum_anmeldung")
		c.instructions = w.t("anmeldung.ihre_anmeldung")
		c.button, c.buttonVar, c.buttonLink = w.t("anmeldung.oeffnen"), varRegisterURL, ""
	}
	b := &body{}
	add := func(h, t string) {
		b.html += h
		if b.text != "" && t != "" {
			b.text += "\n\n"
		}
		b.text += t
	}
	greet := func(key string, vars ...string) []string {
		return append([]string{placeholder(varGreeting)}, w.paras(key, vars...)...)
	}
	switch n.Kind {
	case NoticeReminder:
		c.subject = w.t("erinnerung.betreff", "Titel", title, "Wann", n.Until)
		c.intros = greet("erinnerung.text", "Wann", n.Until)
		if note != "" {
			c.intros = append(c.intros, note)
		}
		c.outros = w.paras("erinnerung.nachsatz")
		if registered {
			add(cancelParagraph(w, w.t("erinnerung.absagen")))
		}
		cb := calendarBody(w, &body{}, inv.Calendar, len(inv.Days) > 1)
		add(cb.html, cb.text)
	case NoticeUpdate:
		c.subject = w.t("aenderung.betreff", "Titel", title)
		c.intros = greet("aenderung.text")
		if note != "" {
			c.intros = append(c.intros, note)
		}
		if registered {
			c.intros = append(c.intros, w.paras("aenderung.anmeldung_gilt")...)
			add(cancelParagraph(w, w.t("aenderung.absagen")))
		}
		file := w.t("kalender.verschiebt")
		add(`<p>`+html.EscapeString(file)+`</p>`, file)
		byLink := w.t("kalender.link_eintrag")
		h, t := webCalendars(w, inv.Calendar, len(inv.Days) > 1)
		add(`<p>`+html.EscapeString(byLink)+h+`</p>`, byLink+t)
	case NoticeCancellation:
		c.subject = w.t("absage.betreff", "Titel", title)
		c.intros = greet("absage.text", "Titel", title)
		if note != "" {
			c.intros = append(c.intros, w.t("absage.grund", "Grund", note))
		}
		c.outros = w.paras("absage.nachsatz")
		c.button, c.buttonVar, c.buttonLink, c.instructions = "", "", "", ""
		file := w.t("kalender.entfernt")
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
// of start), in the texts' words.
func (r *Renderer) Until(lang i18n.Lang, now, start time.Time) string {
	w := r.words(lang)
	d := start.Sub(now)
	if d < 12*time.Hour {
		h := max(int(d.Round(time.Hour)/time.Hour), 1)
		if h == 1 {
			return w.t("erinnerung.in_einer_stunde")
		}
		return w.t("erinnerung.in_stunden", "Anzahl", strconv.Itoa(h))
	}
	n := now.In(start.Location())
	y, m, dd := n.Date()
	days := int(time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC).
		Sub(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	switch days {
	case 0:
		return w.t("erinnerung.heute")
	case 1:
		return w.t("erinnerung.morgen")
	case 2:
		return w.t("erinnerung.uebermorgen")
	}
	return w.t("erinnerung.in_tagen", "Anzahl", strconv.Itoa(days))
}
