package templates

import (
	"cmp"
	"fmt"
	"html"
	"strings"

	"github.com/matcornic/hermes/v2"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// Colours of the KNF look. Each meets WCAG 2.1 AA contrast (4.5:1) against
// the white or light grey it stands on; hermes' own greys do not.
const (
	colorAccent = "#005A8C" // buttons and links: 7.0:1 on white
	colorText   = "#4A4D52" // body text: 8.6:1 on white
	colorFooter = "#5F6368" // footer text: 6.3:1 on white
)

// theme is the KNF look: hermes' default layout with the html element in the
// mail's language, a title, German signature style (no comma after the
// closing), accessible colours, and a footer with the Impressum, the privacy
// notice and, in list mail, the preferences and unsubscribe links.
//
// It implements hermes.Theme. Links in the footer are placeholders, filled
// when a layout is compiled (the installation's URLs) or personalised (the
// recipient's).
type theme struct {
	html, text string
}

func (t *theme) Name() string              { return "knf" }
func (t *theme) HTMLTemplate() string      { return t.html }
func (t *theme) PlainTextTemplate() string { return t.text }

// footerCopy is the footer's wording in one language.
type footerCopy struct {
	impressum, privacy, preferences, unsubscribe string
	whyList, whyOptIn                            string
}

func footerFor(w words) footerCopy {
	return footerCopy{
		impressum: w.t("fusszeile.impressum"), privacy: w.t("fusszeile.datenschutz"),
		preferences: w.t("fusszeile.einstellungen"), unsubscribe: w.t("fusszeile.abbestellen"),
		whyList: w.t("fusszeile.warum_rundbrief"), whyOptIn: w.t("fusszeile.warum_formular"),
	}
}

// themeOptions say what a theme holds besides hermes' own parts.
// footerKind is what a mail's footer offers, by why the mail comes.
type footerKind int

const (
	// footerOptIn: the opt-in request; no links, since the person is not
	// subscribed and ignoring the mail is the way to say no.
	footerOptIn footerKind = iota
	// footerList: a mail to a subscriber as a subscriber (newsletter,
	// invitation, welcome), with preferences and unsubscribe links.
	footerList
	// footerTransactional: a mail the person asked for (about their
	// registration, their preferences link); it says why it comes and
	// offers nothing that would end a subscription.
	footerTransactional
)

type themeOptions struct {
	// links: the installation has Impressum and privacy URLs.
	links bool
	// footer: what the footer offers.
	footer footerKind
	// why replaces the footer's "you receive this e-mail because you
	// subscribed", for mail that comes for another reason.
	why string
	// body: the mail has a body of its own (a rendered Markdown text) after
	// the facts and before the button, in the varBody slot.
	body bool
	// brand: the logos in the header and the footer.
	brand Brand
}

// newTheme builds the theme for one language and kind of mail.
func newTheme(lang i18n.Lang, w words, o themeOptions) (*theme, error) {
	links := o.links
	fc := footerFor(w)
	e := html.EscapeString

	var footer strings.Builder
	if logos := o.brand.FooterLogos; len(logos) > 0 {
		footer.WriteString(`<p class="sub center" style="margin: 0 0 12px;">`)
		for i, im := range logos {
			if i > 0 {
				footer.WriteString(" ")
			}
			footer.WriteString(`<span style="display: inline-block; margin: 0 8px 8px; vertical-align: middle;">` + im.imgTag(im.Alt))
			if im.Caption != "" {
				footer.WriteString(` <span style="vertical-align: middle;">` + e(im.Caption) + `</span>`)
			}
			footer.WriteString(`</span>`)
		}
		footer.WriteString("</p>\n                    ")
	}
	footer.WriteString(`<p class="sub center">{{.Hermes.Product.Copyright}}</p>`)
	if links {
		fmt.Fprintf(&footer, `
                    <p class="sub center"><a href="%s">%s</a> · <a href="%s">%s</a></p>`,
			placeholder(varImpressumURL), e(fc.impressum), placeholder(varPrivacyURL), e(fc.privacy))
	}
	switch o.footer {
	case footerList:
		fmt.Fprintf(&footer, `
                    <p class="sub center">%s<br /><a href="%s">%s</a> · <a href="%s">%s</a></p>`,
			e(cmp.Or(o.why, fc.whyList)), placeholder(varPreferencesURL), e(fc.preferences), placeholder(varUnsubscribeURL), e(fc.unsubscribe))
	case footerTransactional:
		fmt.Fprintf(&footer, `
                    <p class="sub center">%s</p>`, e(o.why))
	default:
		fmt.Fprintf(&footer, `
                    <p class="sub center">%s</p>`, e(cmp.Or(o.why, fc.whyOptIn)))
	}

	src := (&hermes.Default{}).HTMLTemplate()
	for _, r := range []struct{ old, new string }{
		{`<html xmlns="http://www.w3.org/1999/xhtml">`,
			fmt.Sprintf(`<html xmlns="http://www.w3.org/1999/xhtml" lang="%s" xml:lang="%s">`, lang, lang)},
		{`<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />`,
			`<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <title>` + placeholder(varSubject) + `</title>`},
		// A mail whose own text closes with a greeting has no
		// signature of ours: greeting and closing appear once.
		{`<p>
                      {{.Email.Body.Signature}},
                      <br />
                      {{.Hermes.Product.Name}}
                    </p>`, `{{ if ne .Email.Body.Signature "-" }}<p>
                      {{.Email.Body.Signature}}
                      <br />
                      {{.Hermes.Product.Name}}
                    </p>{{ end }}`},
		{`<p class="sub center">
                      {{.Hermes.Product.Copyright}}
                    </p>`, footer.String()},
		// The facts of an event are a table of label and value, read
		// row by row, not hermes' definition list.
		{`<img src="{{.Hermes.Product.Logo | url }}" class="email-logo" />`, logoTag(o.brand)},
		// The preheader: what an inbox shows after the subject, hidden
		// in the mail (display none, and sized to nothing for the
		// programs that ignore it).
		{`<body dir="{{.Hermes.TextDirection}}">`, `<body dir="{{.Hermes.TextDirection}}">
<div style="display: none; font-size: 1px; line-height: 1px; max-height: 0; max-width: 0; opacity: 0; overflow: hidden; mso-hide: all;">` + placeholder(varPreheader) + `</div>`},
		{`<dl class="body-dictionary">
                            {{ range $entry := . }}
                              <dt>{{ $entry.Key }}:</dt>
                              <dd>{{ $entry.Value }}</dd>
                            {{ end }}
                          </dl>`, factsTable},
		{`<!-- Action -->`, bodySlot(o.body) + `<!-- Action -->`},
	} {
		if n := strings.Count(src, r.old); n != 1 {
			return nil, fmt.Errorf("templates: hermes theme changed: %q occurs %d times, want once", r.old, n)
		}
		src = strings.Replace(src, r.old, r.new, 1)
	}
	src = presentationTables(src)
	src = strings.NewReplacer(
		"#3869D4", colorAccent, "#3869d4", colorAccent,
		"#74787E", colorText, "#74787e", colorText,
		"#AEAEAE", colorFooter, "#aeaeae", colorFooter,
	).Replace(src)

	if o.why != "" {
		fc.whyList = o.why
	}
	return &theme{html: src, text: plainTextTemplate(fc, o)}, nil
}

// logoTag is the header's logo: the brand's name as its alt text.
func logoTag(b Brand) string {
	if b.Logo == nil {
		return ""
	}
	return b.Logo.imgTag(cmp.Or(b.Logo.Alt, b.Name))
}

// factsTable shows hermes' Dictionary as a two-column table with a header
// cell per row, so that screen readers read "Wann: …".
const factsTable = `<table class="facts" role="table" width="100%" cellpadding="0" cellspacing="0" style="margin: 0 0 21px; border-collapse: collapse;">
                            {{ range $entry := . }}
                              <tr>
                                <th scope="row" align="left" valign="top" style="padding: 6px 12px 6px 0; width: 130px; color: ` + colorText + `; font-weight: bold; text-align: left; vertical-align: top; border-top: 1px solid #EDEFF2;">{{ $entry.Key }}</th>
                                <td valign="top" style="padding: 6px 0; color: ` + colorText + `; vertical-align: top; border-top: 1px solid #EDEFF2;">{{ $entry.Value }}</td>
                              </tr>
                            {{ end }}
                          </table>`

// bodySlot is where a mail's own body goes, filled in when the layout is
// compiled.
func bodySlot(on bool) string {
	if !on {
		return ""
	}
	return `<div class="body-text">` + placeholder(varBody) + `</div>
                      `
}

// plainTextTemplate is the text part's template. hermes turns it into text
// with html2text, so it is written as simple HTML; links are written out, as
// a text mail cannot hide them behind words.
func plainTextTemplate(fc footerCopy, o themeOptions) string {
	links := o.links
	var b strings.Builder
	b.WriteString(`<h2>{{ .Email.Body.Title }}</h2>
{{ range .Email.Body.Intros }}<p>{{ . }}</p>
{{ end }}{{ with .Email.Body.Dictionary }}<p>{{ range . }}{{ .Key }}: {{ .Value }}<br />{{ end }}</p>
{{ end }}`)
	if o.body {
		b.WriteString("<p>" + placeholder(varBody) + "</p>\n")
	}
	b.WriteString(`{{ range .Email.Body.Actions }}<p>{{ .Instructions }}</p>
<p>{{ .Button.Link }}</p>
{{ end }}{{ range .Email.Body.Outros }}<p>{{ . }}</p>
{{ end }}{{ if ne .Email.Body.Signature "-" }}<p>{{ .Email.Body.Signature }}<br />{{ .Hermes.Product.Name }}</p>{{ end }}
<p>-- <br />`)
	for _, im := range o.brand.FooterLogos {
		b.WriteString(html.EscapeString(cmp.Or(im.Caption, im.Alt)) + "<br />")
	}
	b.WriteString(`{{ .Hermes.Product.Copyright }}`)
	if links {
		fmt.Fprintf(&b, "<br />%s: %s<br />%s: %s", fc.impressum, placeholder(varImpressumURL), fc.privacy, placeholder(varPrivacyURL))
	}
	b.WriteString("</p>\n")
	switch o.footer {
	case footerList:
		fmt.Fprintf(&b, "<p>%s<br />%s: %s<br />%s: %s</p>\n", cmp.Or(o.why, fc.whyList),
			fc.preferences, placeholder(varPreferencesURL), fc.unsubscribe, placeholder(varUnsubscribeURL))
	case footerTransactional:
		fmt.Fprintf(&b, "<p>%s</p>\n", o.why)
	default:
		fmt.Fprintf(&b, "<p>%s</p>\n", cmp.Or(o.why, fc.whyOptIn))
	}
	return b.String()
}

// presentationTables marks the layout's tables role="presentation", so
// that screen readers do not announce the mail's frame as data tables; a
// table that has a role already (the facts, role="table") keeps it. The
// tables of staff's Markdown come into the body slot later and stay data
// tables.
func presentationTables(src string) string {
	var b strings.Builder
	for {
		i := strings.Index(src, "<table")
		if i < 0 {
			b.WriteString(src)
			return b.String()
		}
		end := strings.IndexByte(src[i:], '>')
		if end < 0 {
			b.WriteString(src)
			return b.String()
		}
		tag := src[i : i+end]
		b.WriteString(src[:i])
		if strings.Contains(tag, "role=") {
			b.WriteString(tag)
		} else {
			b.WriteString(`<table role="presentation"` + tag[len("<table"):])
		}
		src = src[i+end:]
	}
}
