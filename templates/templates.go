// Package templates is the KNF look and every message's copy, in German and
// English. It renders mail with hermes (github.com/matcornic/hermes/v2); no
// other package calls hermes, so the layout engine can be swapped here.
//
// Rendering is split in two, so a campaign of many thousand mails costs one
// hermes render per language and not one per recipient: a Layout is
// rendered once with placeholders where the recipient's details go, and
// Layout.Render fills them in, HTML-escaped in the HTML part. Filling in is
// string concatenation over pre-split segments.
package templates

import (
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/matcornic/hermes/v2"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/texts"
)

// Brand is the sender as subscribers see it: the name in the header, the
// Impressum line in every footer, and links to the legal pages.
type Brand struct {
	Name         string // e.g. "Netzwerkstelle Fachkräftesicherung Nordhausen"
	Link         string // where the name in the header links to
	Impressum    string // one line: office and postal address
	ImpressumURL string // optional, with PrivacyURL
	PrivacyURL   string // optional, with ImpressumURL
	// Logo is shown in every mail's header instead of the name (which
	// becomes its alt text); FooterLogos in every footer, such as the EU
	// emblem with "Kofinanziert von der Europäischen Union" that an
	// ESF-funded office must show. The mails carry them inline (compose);
	// nothing is fetched when a mail is opened.
	Logo        *Image
	FooterLogos []Image
}

// Image is a picture every mail carries inline: its Content-ID, its size
// in pixels, its alt text and, for a footer logo, a caption shown beside
// it (optional).
type Image struct {
	ContentID     string
	Alt, Caption  string
	Width, Height int
}

// logoHeight is how high the logos are shown, in CSS pixels.
const logoHeight = 48

// imgTag is im as an HTML img element, logoHeight high.
func (im Image) imgTag(alt string) string {
	w := max(1, im.Width*logoHeight/max(1, im.Height))
	return fmt.Sprintf(`<img src="cid:%s" alt="%s" width="%d" height="%d" style="border:0;height:%dpx;width:%dpx;max-width:100%%;vertical-align:middle">`,
		html.EscapeString(im.ContentID), html.EscapeString(alt), w, logoHeight, logoHeight, w)
}

func (b Brand) check() error {
	if strings.TrimSpace(b.Name) == "" || strings.TrimSpace(b.Impressum) == "" {
		return errors.New("templates: the brand needs a name and an Impressum line")
	}
	if (b.ImpressumURL == "") != (b.PrivacyURL == "") {
		return errors.New("templates: give both the Impressum and the privacy URL, or neither")
	}
	if l := b.Logo; l != nil && (l.ContentID == "" || l.Width <= 0 || l.Height <= 0) {
		return errors.New("templates: the logo needs its Content-ID and its size")
	}
	for _, im := range b.FooterLogos {
		if im.ContentID == "" || strings.TrimSpace(im.Alt) == "" || im.Width <= 0 || im.Height <= 0 {
			return errors.New("templates: a footer logo needs its Content-ID, its size and an alt text")
		}
	}
	for _, u := range []string{b.Link, b.ImpressumURL, b.PrivacyURL} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("templates: %q is not an absolute http(s) URL", u)
		}
	}
	return nil
}

// logoSrc is the header logo's address for hermes, which shows the name
// without one.
func logoSrc(b Brand) string {
	if b.Logo == nil {
		return ""
	}
	return "cid:" + b.Logo.ContentID
}

// Kind is a kind of message.
type Kind string

// The messages of rundbrief.
const (
	OptIn   Kind = "optin"   // asks to confirm a subscription; neutral, no unsubscribe links
	Welcome Kind = "welcome" // greets a confirmed subscriber with their preferences link
	// PreferencesLink sends a confirmed subscriber their preferences link
	// again, when they fill in the subscription form a second time.
	PreferencesLink Kind = "preferences"
	// PermissionRequest asks a contact the office knows for consent to
	// the newsletter (an import or an entry by staff without an attested
	// consent): who the office is, why the mail comes, and that nothing
	// happens without a click. Like OptIn, it has no unsubscribe links.
	PermissionRequest Kind = "permission"
)

// Renderer renders and caches the layouts of one installation. It is safe
// for concurrent use.
type Renderer struct {
	brand    Brand
	optInTTL time.Duration
	markdown markdown
	texts    *texts.Catalog

	mu    sync.Mutex
	cache map[layoutKey]*Layout
}

type layoutKey struct {
	kind Kind
	lang i18n.Lang
}

// Option sets something of a Renderer.
type Option func(*Renderer)

// WithTexts makes the mails say the texts of c (the office's own, see
// package texts) instead of the shipped ones.
func WithTexts(c *texts.Catalog) Option { return func(r *Renderer) { r.texts = c } }

// NewRenderer returns a renderer for brand. optInTTL is how long an opt-in
// link stays valid; the opt-in mail says so.
func NewRenderer(brand Brand, optInTTL time.Duration, opts ...Option) (*Renderer, error) {
	if err := brand.check(); err != nil {
		return nil, err
	}
	if optInTTL < time.Hour {
		return nil, fmt.Errorf("templates: an opt-in link valid for %s is too short to be useful", optInTTL)
	}
	r := &Renderer{brand: brand, optInTTL: optInTTL, markdown: newMarkdown(), cache: map[layoutKey]*Layout{}}
	for _, o := range opts {
		o(r)
	}
	if r.texts == nil {
		r.texts = texts.Default()
	}
	return r, nil
}

// words are the mail texts in lang.
func (r *Renderer) words(lang i18n.Lang) words { return words{r.texts, lang.Known()} }

// Layout returns the layout of kind in lang, rendering it on first use.
func (r *Renderer) Layout(kind Kind, lang i18n.Lang) (*Layout, error) {
	lang = lang.Known()
	key := layoutKey{kind, lang}
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.cache[key]; ok {
		return l, nil
	}
	var c messageCopy
	w := r.words(lang)
	switch kind {
	case OptIn:
		c = subscriptionCopy(w, "bestaetigung", varConfirmURL, r.optInTTL)
	case Welcome:
		c = subscriptionCopy(w, "willkommen", varPreferencesURL, r.optInTTL)
	case PreferencesLink:
		c = subscriptionCopy(w, "einstellungslink", varPreferencesURL, r.optInTTL)
	case PermissionRequest:
		c = subscriptionCopy(w, "erlaubnis", varConfirmURL, r.optInTTL)
	default:
		return nil, fmt.Errorf("templates: unknown message kind %q", kind)
	}
	footer := footerList
	switch kind {
	case OptIn, PermissionRequest:
		footer = footerOptIn
	case PreferencesLink:
		footer = footerTransactional
	}
	l, err := r.render(c, lang, footer)
	if err != nil {
		return nil, fmt.Errorf("templates: %s (%s): %w", kind, lang, err)
	}
	r.cache[key] = l
	return l, nil
}

// render runs hermes once over c and compiles the result, with the footer
// the mail's reason asks for.
func (r *Renderer) render(c messageCopy, lang i18n.Lang, footer footerKind) (*Layout, error) {
	// The subject becomes a header field: a line break in it would start
	// a header of the sender's choosing (RFC 5322, section 2.2).
	if i := strings.IndexFunc(c.subject, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		return nil, fmt.Errorf("templates: the subject %q holds a control character; use one line of text", c.subject)
	}
	w := r.words(lang)
	th, err := newTheme(lang, w, themeOptions{links: r.brand.ImpressumURL != "", footer: footer, why: c.why, body: c.body != nil,
		brand: r.brand})
	if err != nil {
		return nil, err
	}
	h := hermes.Hermes{
		Theme: th,
		Product: hermes.Product{
			Name:        r.brand.Name,
			Link:        r.brand.Link,
			Copyright:   r.brand.Impressum,
			Logo:        logoSrc(r.brand),
			TroubleText: c.trouble,
		},
	}
	email := hermes.Email{Body: hermes.Body{
		Title:     c.title,
		Intros:    c.intros,
		Outros:    c.outros,
		Signature: c.signature,
	}}
	if c.signature == "" {
		// hermes fills an empty signature with "Yours truly"; "-" is
		// none, which the theme leaves out.
		email.Body.Signature = "-"
	}
	for _, f := range c.facts {
		email.Body.Dictionary = append(email.Body.Dictionary, hermes.Entry{Key: f.label, Value: f.value})
	}
	if c.button != "" {
		link := c.buttonLink
		if c.buttonVar != "" {
			link = placeholder(c.buttonVar)
		}
		email.Body.Actions = []hermes.Action{{
			Instructions: c.instructions,
			Button:       hermes.Button{Text: c.button, Link: link, Color: colorAccent},
		}}
	}
	htmlPart, err := h.GenerateHTML(email)
	if err != nil {
		return nil, err
	}
	htmlPart = compactHTML(htmlPart)
	textPart, err := h.GeneratePlainText(email)
	if err != nil {
		return nil, err
	}
	static := map[string]string{
		varPreheader:    preheaderOf(c),
		varSubject:      c.subject,
		varImpressumURL: r.brand.ImpressumURL,
		varPrivacyURL:   r.brand.PrivacyURL,
	}
	var htmlBody, textBody map[string]string
	if c.body != nil {
		htmlBody = map[string]string{varBody: c.body.html}
		textBody = map[string]string{varBody: c.body.text}
	}
	l := &Layout{Subject: c.subject, Lang: lang, greet: greetings{
		ms: w.t("anrede.frau"), mr: w.t("anrede.herr"), name: w.t("anrede.name"), none: w.t("anrede.ohne_name"),
		noTopics: w.t("themen_keine"),
	}}
	if l.html, err = compile(htmlPart, static, htmlBody, html.EscapeString); err != nil {
		return nil, err
	}
	if l.text, err = compile(textPart, static, textBody, func(s string) string { return s }); err != nil {
		return nil, err
	}
	return l, nil
}

// preheaderOf is the first line an inbox shows of c after the subject: its
// own preheader, or the first sentence after the greeting, or its first
// facts, at most about 110 characters, cut at a word.
func preheaderOf(c messageCopy) string {
	s := c.preheader
	if s == "" {
		for _, in := range c.intros {
			if in != placeholder(varGreeting) && !strings.Contains(in, phOpen) {
				s = in
				break
			}
		}
	}
	if s == "" && c.body != nil {
		for _, line := range strings.Split(c.body.text, "\n") {
			if line = strings.TrimSpace(line); line != "" && !greetingLine.MatchString(line) && !strings.Contains(line, phOpen) &&
				strings.Trim(line, "=-_*#") != "" {
				s = line
				break
			}
		}
	}
	if s == "" && len(c.facts) > 0 {
		s = c.facts[0].value
	}
	s = cutAtWord(strings.Join(strings.Fields(s), " "), 110)
	// After the greeting a sentence begins in lower case ("wir laden
	// Sie …"); on its own it begins with a capital.
	if r, n := utf8.DecodeRuneInString(s); n > 0 && unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[n:]
	}
	return s
}

// cutAtWord is s, or its first words up to about n characters and "…".
func cutAtWord(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:–-") + " …"
}

// Salutation is a recipient's Anrede, as the subscribers package keeps it:
// "ms" (Frau), "mr" (Herr), or "" for none known.
type Salutation string

// The salutations a formal greeting knows.
const (
	SalutationMs Salutation = "ms"
	SalutationMr Salutation = "mr"
)

// Vars are a recipient's details that a Layout fills in.
type Vars struct {
	Name string // the greeting uses it; may be empty
	// Salutation is the person's Anrede; with Formal, the greeting is
	// "Sehr geehrte Frau Köhler," where it is known.
	Salutation     Salutation
	Formal         bool
	ConfirmURL     string   // opt-in
	PreferencesURL string   // welcome and every list mail
	UnsubscribeURL string   // welcome and every list mail
	Topics         []string // topic titles, in the mail's language
	RegisterURL    string   // an invitation to an event that takes registrations
	CancelURL      string   // a reminder or update to someone registered
}

// Mail is a rendered message for one recipient.
type Mail struct {
	Subject string
	HTML    string
	Text    string
}

// Layout is a message rendered once, with placeholders for the recipient.
type Layout struct {
	Subject string
	Lang    i18n.Lang
	html    compiled
	text    compiled
	greet   greetings
}

// greetings are the forms of the greeting ({Nachname}, {Name}) and the
// words for no topics, in the layout's language.
type greetings struct{ ms, mr, name, none, noTopics string }

// Render fills in v: HTML-escaped in the HTML part, as is in the text part.
func (l *Layout) Render(v Vars) Mail {
	vals := l.values(v)
	return Mail{Subject: l.Subject, HTML: l.html.fill(vals), Text: l.text.fill(vals)}
}

func (l *Layout) values(v Vars) map[string]string {
	return map[string]string{
		varGreeting:       greeting(l.greet, v),
		varConfirmURL:     v.ConfirmURL,
		varPreferencesURL: v.PreferencesURL,
		varUnsubscribeURL: v.UnsubscribeURL,
		varTopics:         topicList(l.greet, v.Topics),
		varRegisterURL:    v.RegisterURL,
		varCancelURL:      v.CancelURL,
	}
}

// Blanks is the layout with blank(name) in place of each per-recipient
// value, for a message that is encoded once and filled in per recipient
// (mailer.Bulk). A value has one name in the HTML part ("html_" and the
// variable) and one in the text part ("text_" and the variable), since
// the two are escaped differently; BlankValues gives both.
func (l *Layout) Blanks(blank func(name string) string) Mail {
	mark := func(prefix string, c compiled) string {
		vals := make(map[string]string, len(c.vars))
		for _, name := range c.vars {
			vals[name] = blank(prefix + name)
		}
		return compiled{literal: c.literal, vars: c.vars, size: c.size, escape: func(s string) string { return s }}.fill(vals)
	}
	return Mail{Subject: l.Subject, HTML: mark("html_", l.html), Text: mark("text_", l.text)}
}

// BlankNames are the names of the blanks of Blanks, each once.
func (l *Layout) BlankNames() []string {
	var names []string
	for _, name := range l.html.vars {
		names = append(names, "html_"+name)
	}
	for _, name := range l.text.vars {
		names = append(names, "text_"+name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// BlankValues adds v's values for the blanks of Blanks to dst, escaped
// as Render escapes them.
func (l *Layout) BlankValues(v Vars, dst map[string]string) {
	vals := l.values(v)
	for _, name := range l.html.vars {
		dst["html_"+name] = l.html.escape(vals[name])
	}
	for _, name := range l.text.vars {
		dst["text_"+name] = l.text.escape(vals[name])
	}
}

// greeting is how a mail to v opens (COPY.md): "Sehr geehrte Frau
// Köhler," when the Anrede is known and the mail is formal, "Guten Tag
// Vorname Nachname," otherwise, "Guten Tag," without a name — in the
// words of g.
func greeting(g greetings, v Vars) string {
	name := strings.TrimSpace(v.Name)
	if surname := formalName(name); v.Formal && surname != "" {
		switch v.Salutation {
		case SalutationMs:
			return strings.ReplaceAll(g.ms, "{Nachname}", surname)
		case SalutationMr:
			return strings.ReplaceAll(g.mr, "{Nachname}", surname)
		}
	}
	if name != "" {
		return strings.ReplaceAll(g.name, "{Name}", name)
	}
	return g.none
}

func topicList(g greetings, topics []string) string {
	if len(topics) == 0 {
		return g.noTopics
	}
	return strings.Join(topics, ", ")
}

// compactHTML drops the indentation and the empty lines of hermes' HTML:
// a third fewer bytes to encode and send for every recipient, and the
// same page, since the layout holds no preformatted text.
func compactHTML(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for line := range strings.Lines(s) {
		line = strings.TrimLeft(line, " \t")
		if strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// formalName is the part of name a formal greeting uses: the academic
// titles and the surname ("Dr. Aylin Demir" → "Dr. Demir"), or "" for a
// name of one word (a first name alone, or "Familie").
func formalName(name string) string {
	words := strings.Fields(name)
	if len(words) < 2 {
		return ""
	}
	var titles []string
	for _, w := range words[:len(words)-1] {
		if strings.HasSuffix(w, ".") { // "Dr.", "Prof.", "Dipl.-Ing."
			titles = append(titles, w)
		}
	}
	return strings.Join(append(titles, words[len(words)-1]), " ")
}
