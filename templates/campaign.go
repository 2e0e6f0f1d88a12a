package templates

import (
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// Invitation is what an invitation to an event says. Times are shown in
// their own location: pass them in Europe/Berlin.
type Invitation struct {
	Title       string
	Description string // Markdown
	Start, End  time.Time
	Place       string // place and address; "" for an event that is only online
	OnlineURL   string
	Audience    string // who the event is for, in the mail's language
	Organiser   string // with the partners, if any
	// Registration says people register; the button then links to each
	// recipient's registration page (Vars.RegisterURL).
	Registration bool
	Deadline     *time.Time // registration closes then; nil: until the start
	// MoreURL is where the "Mehr erfahren" button of an event without
	// registration leads; with neither, there is no button.
	MoreURL     string
	CalendarURL string // a Google Calendar link
	// LastCall makes the invitation a reminder that registration closes
	// soon ("Anmeldeschluss naht"), for those invited who have not
	// registered; Note is a sentence of the staff's in it.
	LastCall bool
	Note     string
}

// Newsletter is a newsletter: a subject and a Markdown body.
type Newsletter struct {
	Subject string
	Body    string // Markdown
}

// Invitation renders inv in lang once, for many recipients. The .ics file
// goes with the message, not the layout.
func (r *Renderer) Invitation(inv Invitation, lang i18n.Lang) (*Layout, error) {
	if strings.TrimSpace(inv.Title) == "" || inv.Start.IsZero() || !inv.End.After(inv.Start) {
		return nil, errors.New("templates: an invitation needs a title, a start and an end after it")
	}
	desc, err := r.markdown.body(defuse(inv.Description))
	if err != nil {
		return nil, err
	}
	c := invitationCopy(lang, inv)
	if inv.LastCall {
		lastCall(&c, lang, inv)
	}
	c.body = calendarBody(lang, desc, inv.CalendarURL)
	l, err := r.render(c, lang, footerList)
	if err != nil {
		return nil, fmt.Errorf("templates: invitation (%s): %w", lang, err)
	}
	return l, nil
}

// Newsletter renders n in lang once, for many recipients.
func (r *Renderer) Newsletter(n Newsletter, lang i18n.Lang) (*Layout, error) {
	if strings.TrimSpace(n.Subject) == "" || strings.TrimSpace(n.Body) == "" {
		return nil, errors.New("templates: a newsletter needs a subject and a body")
	}
	b, err := r.markdown.body(defuse(n.Body))
	if err != nil {
		return nil, err
	}
	subject := defuse(strings.TrimSpace(n.Subject))
	c := messageCopy{
		subject:   subject,
		title:     subject,
		intros:    []string{placeholder(varGreeting)},
		body:      b,
		signature: signature(lang),
		trouble:   trouble(lang),
	}
	// Staff's text that brings its own greeting or closing gets none of
	// ours: each appears once.
	if ownGreeting(n.Body) {
		c.intros = nil
	}
	if ownClosing(n.Body) {
		c.signature = ""
	}
	l, err := r.render(c, lang, footerList)
	if err != nil {
		return nil, fmt.Errorf("templates: newsletter (%s): %w", lang, err)
	}
	return l, nil
}

// defuse keeps staff's text from being read as a placeholder: a word
// joiner (U+2060, invisible) goes after "rbvar".
func defuse(s string) string { return strings.ReplaceAll(s, phOpen, "rbvar\u2060-") }

func invitationCopy(lang i18n.Lang, inv Invitation) messageCopy {
	en := lang == i18n.English
	title := defuse(strings.TrimSpace(inv.Title))
	c := messageCopy{
		subject:   pick(en, "Invitation: ", "Einladung: ") + title,
		title:     title,
		intros:    []string{placeholder(varGreeting), pick(en, "we warmly invite you to this event.", "herzlich laden wir Sie zu dieser Veranstaltung ein.")},
		outros:    []string{pick(en, "We look forward to seeing you!", "Wir freuen uns auf Sie!")},
		signature: signature(lang),
		trouble:   trouble(lang),
	}
	c.facts = eventFacts(lang, inv)
	reg := func(label, value string) { c.facts = append(c.facts, fact{label, value}) }
	switch {
	case inv.Registration && inv.Deadline != nil:
		reg(pick(en, "Register by", "Anmeldung bis"), day(lang, *inv.Deadline)+", "+clock(lang, *inv.Deadline))
	case inv.Registration:
		reg(pick(en, "Registration", "Anmeldung"), pick(en, "required, until the event starts", "erforderlich, bis zum Beginn"))
	default:
		reg(pick(en, "Registration", "Anmeldung"), pick(en, "not required", "nicht erforderlich"))
	}
	switch {
	case inv.Registration:
		c.instructions = pick(en, "Please register – it takes a minute:", "Bitte melden Sie sich an – es dauert nur eine Minute:")
		c.button = pick(en, "Register now", "Jetzt anmelden")
		c.buttonVar = varRegisterURL
	case inv.MoreURL != "":
		c.instructions = pick(en, "All details of the event:", "Alle Einzelheiten zur Veranstaltung:")
		c.button = pick(en, "Learn more", "Mehr erfahren")
		c.buttonLink = inv.MoreURL
	}
	return c
}

// lastCall turns c, an invitation's copy, into the reminder that
// registration closes soon.
func lastCall(c *messageCopy, lang i18n.Lang, inv Invitation) {
	en := lang == i18n.English
	title := defuse(strings.TrimSpace(inv.Title))
	c.subject = pick(en, "Registration closes soon: ", "Anmeldeschluss naht: ") + title
	until := pick(en, "until the event begins", "bis zum Beginn")
	if inv.Deadline != nil {
		until = pick(en, "until ", "bis ") + day(lang, *inv.Deadline) + ", " + clock(lang, *inv.Deadline)
	}
	c.intros = []string{placeholder(varGreeting), pick(en,
		"a short reminder: you can register for “"+title+"” only "+until+". If you would like to take part, please register now.",
		"eine kurze Erinnerung: Zu „"+title+"“ können Sie sich nur noch "+until+" anmelden. Wenn Sie teilnehmen möchten, melden Sie sich bitte jetzt an.")}
	if note := defuse(strings.TrimSpace(inv.Note)); note != "" {
		c.intros = append(c.intros, note)
	}
}

// eventFacts are the facts every mail about an event shows: when, where,
// online, for whom, organised by. Empty ones are left out.
func eventFacts(lang i18n.Lang, inv Invitation) []fact {
	en := lang == i18n.English
	var facts []fact
	add := func(label, value string) {
		if value = strings.TrimSpace(value); value != "" {
			facts = append(facts, fact{label, defuse(value)})
		}
	}
	add(pick(en, "When", "Wann"), When(lang, inv.Start, inv.End))
	add(pick(en, "Where", "Wo"), inv.Place)
	add("Online", inv.OnlineURL)
	add(pick(en, "For", "Für wen"), inv.Audience)
	add(pick(en, "Organised by", "Veranstalter"), inv.Organiser)
	return facts
}

// calendarBody is the event's description followed by the calendar links.
func calendarBody(lang i18n.Lang, desc *body, calendarURL string) *body {
	en := lang == i18n.English
	file := pick(en, "The attached calendar file (.ics) adds the date to Outlook, Apple Calendar or Thunderbird.",
		"Mit der angehängten Kalenderdatei (.ics) tragen Sie den Termin in Outlook, Apple Kalender oder Thunderbird ein.")
	google := pick(en, "Add to Google Calendar", "In Google Kalender eintragen")
	b := &body{html: desc.html, text: desc.text}
	if b.text != "" {
		b.text += "\n\n"
	}
	b.text += file
	b.html += `<p>` + html.EscapeString(file)
	if calendarURL != "" {
		b.html += linkColour(` <a href="`+html.EscapeString(calendarURL)+`">`) + html.EscapeString(google) + `</a>`
		b.text += "\n" + google + ": " + calendarURL
	}
	b.html += `</p>`
	return b
}

func signature(lang i18n.Lang) string {
	return pick(lang == i18n.English, "Kind regards", "Mit freundlichen Grüßen")
}

func trouble(lang i18n.Lang) string {
	return pick(lang == i18n.English,
		"If the button “{ACTION}” does not work, copy this link into the address bar of your browser:",
		"Falls die Schaltfläche „{ACTION}“ nicht funktioniert, kopieren Sie diesen Link in die Adresszeile Ihres Browsers:")
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

var (
	// greetingLine is how a letter opens, in German or English.
	greetingLine = regexp.MustCompile(`(?i)^(liebe|lieber|liebes|sehr geehrte|sehr geehrter|guten tag|hallo|dear|hello)\b`)
	// closingLine is how a letter closes.
	closingLine = regexp.MustCompile(`(?i)^(mit )?(freundlichen|herzlichen|besten|vielen|viele|beste|herzliche|liebe|schöne) grüße?n?\b|^(kind|best|warm) (regards|wishes)\b|^yours (sincerely|faithfully)\b`)
)

// ownGreeting reports whether a newsletter's Markdown opens with a
// greeting of its own ("Liebe Partnerinnen und Partner,").
func ownGreeting(body string) bool {
	for _, line := range strings.Split(body, "\n") {
		if line = strings.TrimSpace(strings.TrimLeft(line, "#>*_ ")); line != "" {
			return greetingLine.MatchString(line)
		}
	}
	return false
}

// ownClosing reports whether one of a newsletter's last three lines is a
// closing of its own ("Mit freundlichen Grüßen").
func ownClosing(body string) bool {
	lines := strings.Split(strings.TrimSpace(body), "\n")
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-3; i-- {
		if closingLine.MatchString(strings.TrimSpace(strings.TrimLeft(lines[i], "#>*_ "))) {
			return true
		}
	}
	return false
}
