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
	MoreURL  string
	Calendar CalendarLinks
	// Days are the days of an event over several, in order; empty for an
	// event in one piece (Start to End).
	Days    []Span
	Contact Contact // the person to ask; the zero Contact for none
	// Subject replaces the invitation's subject; Intro (plain text,
	// paragraphs split by a blank line) the sentence above the facts. A
	// campaign's own words; empty for the default. An Intro that opens
	// with its own greeting ("Liebe Eltern,") gets none of ours.
	Subject string
	Intro   string
	// LastCall makes the invitation a reminder that registration closes
	// soon ("Anmeldeschluss naht"), for those invited who have not
	// registered; Note is a sentence of the staff's in it.
	LastCall bool
	Note     string
}

// CalendarLinks open web calendars with the event filled in, for people
// whose mail program ignores the attached file. Outlook's take only the
// first day of an event over several.
type CalendarLinks struct {
	Google, Outlook, Office365 string
}

// Contact is the person to ask about an event.
type Contact struct {
	Name, Phone, Email string
}

// Newsletter is a newsletter: a subject and a Markdown body.
type Newsletter struct {
	Subject string
	Body    string // Markdown
	// Pictures are the pictures the mail carries, by Content-ID: the
	// body shows them as ![Alt](cid:ID).
	Pictures map[string]Picture
	// WebURL is the newsletter's page in the archive; the mail links to
	// it ("Im Browser ansehen"). Empty for none.
	WebURL string
	// FollowUp makes it the follow-up of an event, to those who came: a
	// mail about their registration, without the links of the list.
	FollowUp bool
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
	w := r.words(lang)
	c := invitationCopy(w, inv)
	if inv.LastCall {
		lastCall(&c, w, inv)
	}
	c.body = calendarBody(w, desc, inv.Calendar, len(inv.Days) > 1)
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
	md := r.markdown
	if len(n.Pictures) > 0 {
		md = newMarkdownWith(n.Pictures)
	}
	b, err := md.body(defuse(n.Body))
	if err != nil {
		return nil, err
	}
	subject := defuse(strings.TrimSpace(n.Subject))
	c := messageCopy{
		subject:   subject,
		title:     subject,
		intros:    []string{placeholder(varGreeting)},
		body:      b,
		signature: signature(r.words(lang)),
		trouble:   trouble(r.words(lang)),
	}
	// Staff's text that brings its own greeting or closing gets none of
	// ours: each appears once.
	if ownGreeting(n.Body) {
		c.intros = nil
	}
	if ownClosing(n.Body) {
		c.signature = ""
	}
	if n.WebURL != "" {
		// The preheader is the text's first line, not the link above it.
		c.preheader = preheaderOf(c)
		label := r.words(lang).t("im_browser")
		c.body = &body{
			html: `<p style="font-size: 13px; text-align: right; margin: 0 0 12px;">` + linkColour(`<a href="`+html.EscapeString(n.WebURL)+`">`) +
				html.EscapeString(label) + `</a></p>` + b.html,
			text: label + ": " + n.WebURL + "\n\n" + b.text,
		}
	}
	footer := footerList
	if n.FollowUp {
		footer, c.why = footerTransactional, r.words(lang).t("fusszeile.warum_teilnahme")
	}
	l, err := r.render(c, lang, footer)
	if err != nil {
		return nil, fmt.Errorf("templates: newsletter (%s): %w", lang, err)
	}
	return l, nil
}

// defuse keeps staff's text from being read as a placeholder: a word
// joiner (U+2060, invisible) goes after "rbvar".
func defuse(s string) string { return strings.ReplaceAll(s, phOpen, "rbvar\u2060-") }

func invitationCopy(w words, inv Invitation) messageCopy {
	title := defuse(strings.TrimSpace(inv.Title))
	c := messageCopy{
		subject:   invitationSubject(w, title),
		title:     title,
		intros:    append([]string{placeholder(varGreeting)}, w.paras("einladung.text")...),
		outros:    w.paras("einladung.nachsatz"),
		signature: signature(w),
		trouble:   trouble(w),
	}
	if subject := defuse(strings.TrimSpace(inv.Subject)); subject != "" {
		c.subject = subject
	}
	if intro := paragraphs(defuse(inv.Intro)); len(intro) > 0 {
		c.intros = intro
		if !ownGreeting(inv.Intro) {
			c.intros = append([]string{placeholder(varGreeting)}, intro...)
		}
	}
	c.facts = eventFacts(w, inv)
	// The inbox shows when and where after the subject.
	c.preheader = strings.Join(nonEmptyStrings(c.facts[0].value, inv.Place), " · ")
	reg := func(label, value string) { c.facts = append(c.facts, fact{label, value}) }
	switch {
	case inv.Registration && inv.Deadline != nil:
		reg(w.t("fakten.anmeldung_bis"), At(w.lang, *inv.Deadline))
	case inv.Registration:
		reg(w.t("fakten.anmeldung"), w.t("fakten.anmeldung_bis_beginn"))
	default:
		reg(w.t("fakten.anmeldung"), w.t("fakten.anmeldung_keine"))
	}
	switch {
	case inv.Registration:
		c.instructions = w.t("einladung.anleitung")
		c.button = w.t("einladung.knopf")
		c.buttonVar = varRegisterURL
	case inv.MoreURL != "":
		c.instructions = w.t("einladung.anleitung_ohne_anmeldung")
		c.button = w.t("einladung.knopf_ohne_anmeldung")
		c.buttonLink = inv.MoreURL
	}
	return c
}

// lastCall turns c, an invitation's copy, into the reminder that
// registration closes soon.
func lastCall(c *messageCopy, w words, inv Invitation) {
	title := defuse(strings.TrimSpace(inv.Title))
	c.subject = w.t("anmeldeschluss_naht.betreff", "Titel", title)
	if subject := defuse(strings.TrimSpace(inv.Subject)); subject != "" {
		c.subject = subject
	}
	until := w.t("anmeldeschluss_naht.bis_beginn")
	if inv.Deadline != nil {
		until = w.t("anmeldeschluss_naht.bis", "Zeitpunkt", At(w.lang, *inv.Deadline))
	}
	c.intros = append([]string{placeholder(varGreeting)}, w.paras("anmeldeschluss_naht.text", "Titel", title, "Bis", until)...)
	if note := defuse(strings.TrimSpace(inv.Note)); note != "" {
		c.intros = append(c.intros, note)
	}
}

// eventFacts are the facts every mail about an event shows: when, where,
// online, for whom, organised by, whom to ask. Empty ones are left out.
func eventFacts(w words, inv Invitation) []fact {
	var facts []fact
	add := func(label, value string) {
		if value = strings.TrimSpace(value); value != "" {
			facts = append(facts, fact{label, defuse(value)})
		}
	}
	when := When(w.lang, inv.Start, inv.End)
	if len(inv.Days) > 1 {
		when = WhenDays(w.lang, inv.Days)
	}
	add(w.t("fakten.wann"), when)
	add(w.t("fakten.wo"), inv.Place)
	add(w.t("fakten.online"), inv.OnlineURL)
	add(w.t("fakten.fuer_wen"), inv.Audience)
	add(w.t("fakten.veranstalter"), inv.Organiser)
	add(w.t("fakten.ansprechperson"), contactLine(w, inv.Contact))
	return facts
}

// contactLine is the contact person in one line: "Anja Berger, Telefon
// 03631 911-0, fachkraefte@example.org".
func contactLine(w words, c Contact) string {
	var parts []string
	if c.Name != "" {
		parts = append(parts, c.Name)
	}
	if c.Phone != "" {
		parts = append(parts, w.t("fakten.telefon", "Nummer", c.Phone))
	}
	if c.Email != "" {
		parts = append(parts, c.Email)
	}
	return strings.Join(parts, ", ")
}

// invitationSubject is an invitation's subject: "Einladung: Job-Speeddating",
// or with the title in quotes where it has a colon of its own
// ("Einladung zu „Talent-Campus: Hip-Hop, …“"), never two colons.
func invitationSubject(w words, title string) string {
	if strings.Contains(title, ":") {
		return w.t("einladung.betreff_mit_doppelpunkt", "Titel", title)
	}
	return w.t("einladung.betreff", "Titel", title)
}

// paragraphs splits staff's plain text at blank lines into paragraphs,
// each on one line.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// calendarBody is the event's description followed by the calendar file
// and links. Outlook's links take only the first day of an event over
// several days; the mail says so.
func calendarBody(w words, desc *body, links CalendarLinks, days bool) *body {
	file := w.t("kalender.datei")
	if days {
		file = w.t("kalender.datei_tage")
	}
	b := &body{html: desc.html, text: desc.text}
	if b.text != "" {
		b.text += "\n\n"
	}
	h, t := webCalendars(w, links, days)
	b.html += `<p>` + html.EscapeString(file) + h + `</p>`
	b.text += file + t
	return b
}

// webCalendars are the links to web calendars, to follow a sentence: a
// line break and the links, in HTML and in text; "" for none.
func webCalendars(w words, links CalendarLinks, days bool) (htmlPart, textPart string) {
	type link struct{ label, url string }
	var web []link
	for _, l := range []link{{w.t("kalender.google"), links.Google}, {"Outlook.com", links.Outlook}, {"Microsoft 365", links.Office365}} {
		if l.url != "" {
			web = append(web, l)
		}
	}
	if len(web) == 0 {
		return "", ""
	}
	lead := w.t("kalender.webkalender")
	htmlPart, textPart = `<br>`+html.EscapeString(lead), "\n"+lead
	for i, l := range web {
		sep := " "
		if i > 0 {
			sep = " · "
		}
		htmlPart += html.EscapeString(sep) + linkColour(`<a href="`+html.EscapeString(l.url)+`">`) + html.EscapeString(l.label) + `</a>`
		textPart += "\n- " + l.label + ": " + l.url
	}
	if days && (links.Outlook != "" || links.Office365 != "") {
		note := w.t("kalender.nur_erster_tag")
		htmlPart += `<br>` + html.EscapeString(note)
		textPart += "\n" + note
	}
	return htmlPart, textPart
}

// signature is how a mail closes, before the office's name.
func signature(w words) string { return w.t("gruss") }

// trouble is hermes' line for a button that does not work; hermes fills
// in {ACTION}.
func trouble(w words) string { return w.t("schaltflaeche_geht_nicht", "Aktion", "{ACTION}") }

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

func nonEmptyStrings(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
