package templates

import (
	"fmt"
	"html"
	"strings"

	"github.com/matcornic/hermes/v2"
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

func footerFor(lang Lang) footerCopy {
	if lang == English {
		return footerCopy{
			impressum: "Legal notice", privacy: "Privacy", preferences: "Change preferences", unsubscribe: "Unsubscribe",
			whyList:  "You receive this e-mail because you subscribed to the newsletter of the Netzwerkstelle Fachkräftesicherung.",
			whyOptIn: "You receive this e-mail because your address was entered for our newsletter. Without your confirmation we will not write to you again.",
		}
	}
	return footerCopy{
		impressum: "Impressum", privacy: "Datenschutz", preferences: "Einstellungen ändern", unsubscribe: "Abmelden",
		whyList:  "Sie erhalten diese E-Mail, weil Sie den Rundbrief der Netzwerkstelle Fachkräftesicherung abonniert haben.",
		whyOptIn: "Sie erhalten diese E-Mail, weil Ihre Adresse für unseren Rundbrief angemeldet wurde. Ohne Ihre Bestätigung schreiben wir Ihnen nicht wieder.",
	}
}

// newTheme builds the theme for one language and kind of mail. links says
// whether the installation has Impressum and privacy URLs; list whether the
// mail goes to a subscriber (and so carries preferences and unsubscribe
// links) or is the opt-in request.
func newTheme(lang Lang, links, list bool) (*theme, error) {
	fc := footerFor(lang)
	e := html.EscapeString

	var footer strings.Builder
	footer.WriteString(`<p class="sub center">{{.Hermes.Product.Copyright}}</p>`)
	if links {
		fmt.Fprintf(&footer, `
                    <p class="sub center"><a href="%s">%s</a> · <a href="%s">%s</a></p>`,
			placeholder(varImpressumURL), e(fc.impressum), placeholder(varPrivacyURL), e(fc.privacy))
	}
	if list {
		fmt.Fprintf(&footer, `
                    <p class="sub center">%s<br /><a href="%s">%s</a> · <a href="%s">%s</a></p>`,
			e(fc.whyList), placeholder(varPreferencesURL), e(fc.preferences), placeholder(varUnsubscribeURL), e(fc.unsubscribe))
	} else {
		fmt.Fprintf(&footer, `
                    <p class="sub center">%s</p>`, e(fc.whyOptIn))
	}

	src := (&hermes.Default{}).HTMLTemplate()
	for _, r := range []struct{ old, new string }{
		{`<html xmlns="http://www.w3.org/1999/xhtml">`,
			fmt.Sprintf(`<html xmlns="http://www.w3.org/1999/xhtml" lang="%s" xml:lang="%s">`, lang, lang)},
		{`<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />`,
			`<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
  <title>` + placeholder(varSubject) + `</title>`},
		{`{{.Email.Body.Signature}},`, `{{.Email.Body.Signature}}`},
		{`<p class="sub center">
                      {{.Hermes.Product.Copyright}}
                    </p>`, footer.String()},
	} {
		if n := strings.Count(src, r.old); n != 1 {
			return nil, fmt.Errorf("templates: hermes theme changed: %q occurs %d times, want once", r.old, n)
		}
		src = strings.Replace(src, r.old, r.new, 1)
	}
	src = strings.NewReplacer(
		"#3869D4", colorAccent, "#3869d4", colorAccent,
		"#74787E", colorText, "#74787e", colorText,
		"#AEAEAE", colorFooter, "#aeaeae", colorFooter,
	).Replace(src)

	return &theme{html: src, text: plainTextTemplate(fc, links, list)}, nil
}

// plainTextTemplate is the text part's template. hermes turns it into text
// with html2text, so it is written as simple HTML; links are written out, as
// a text mail cannot hide them behind words.
func plainTextTemplate(fc footerCopy, links, list bool) string {
	var b strings.Builder
	b.WriteString(`<h2>{{ .Email.Body.Title }}</h2>
{{ range .Email.Body.Intros }}<p>{{ . }}</p>
{{ end }}{{ range .Email.Body.Actions }}<p>{{ .Instructions }}</p>
<p>{{ .Button.Link }}</p>
{{ end }}{{ range .Email.Body.Outros }}<p>{{ . }}</p>
{{ end }}<p>{{ .Email.Body.Signature }}<br />{{ .Hermes.Product.Name }}</p>
<p>-- <br />{{ .Hermes.Product.Copyright }}`)
	if links {
		fmt.Fprintf(&b, "<br />%s: %s<br />%s: %s", fc.impressum, placeholder(varImpressumURL), fc.privacy, placeholder(varPrivacyURL))
	}
	b.WriteString("</p>\n")
	if list {
		fmt.Fprintf(&b, "<p>%s<br />%s: %s<br />%s: %s</p>\n", fc.whyList,
			fc.preferences, placeholder(varPreferencesURL), fc.unsubscribe, placeholder(varUnsubscribeURL))
	} else {
		fmt.Fprintf(&b, "<p>%s</p>\n", fc.whyOptIn)
	}
	return b.String()
}
