package templates

import (
	"strconv"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/texts"
)

// messageCopy is the wording of one message in one language. Intros and
// outros may hold placeholders for the recipient's details.
type messageCopy struct {
	subject      string
	title        string
	intros       []string
	instructions string
	button       string
	buttonVar    string // the variable the button links to
	buttonLink   string // or a fixed link, when buttonVar is empty
	outros       []string
	signature    string
	trouble      string // hermes' TroubleText; keeps {ACTION}

	facts []fact // shown as a table after the intros
	// why replaces the footer's reason for the mail; "" keeps "you
	// subscribed".
	why string
	// body is the mail's own text after the facts: HTML for the HTML
	// part, plain text for the text part. Filled in as it is.
	body *body
	// preheader is the line an inbox shows after the subject, hidden in
	// the mail itself; "" makes one from the copy (see preheaderOf).
	preheader string
}

// fact is one row of the facts table: "Wann" and its value.
type fact struct{ label, value string }

// body is a text of the mail's own, rendered for each part.
type body struct{ html, text string }

// words are the mail texts of one language from the catalog (package
// texts): w.t("einladung.knopf") is mails.einladung.knopf.
type words struct {
	c    *texts.Catalog
	lang i18n.Lang
}

// t is the text of key (under "mails.") with vars filled in.
func (w words) t(key string, vars ...string) string { return w.c.Text(w.lang, "mails."+key, vars...) }

// paras are the paragraphs of key's text (split at blank lines).
func (w words) paras(key string, vars ...string) []string { return paragraphs(w.t(key, vars...)) }

// subscriptionCopy is one of the mails about the subscription, from the
// texts of section (bestaetigung, erlaubnis, willkommen,
// einstellungslink): a title, paragraphs after the greeting, a button to
// buttonVar, paragraphs after it. The opt-in request (bestaetigung) must
// stay neutral (no advertising, no logo text): German courts treat
// promotional content in a confirmation request as unsolicited
// advertising.
func subscriptionCopy(w words, section, buttonVar string, ttl time.Duration) messageCopy {
	vars := []string{"Gültigkeit", validity(w, ttl), "Themen", placeholder(varTopics)}
	c := messageCopy{
		subject:      w.t(section + ".betreff"),
		title:        w.t(section + ".titel"),
		intros:       append([]string{placeholder(varGreeting)}, w.paras(section+".text", vars...)...),
		instructions: w.t(section + ".anleitung"),
		button:       w.t(section + ".knopf"),
		buttonVar:    buttonVar,
		outros:       w.paras(section+".nachsatz", vars...),
		signature:    signature(w),
		trouble:      trouble(w),
	}
	if w.c.Has("mails." + section + ".warum") {
		c.why = w.t(section + ".warum")
	}
	return c
}

// validity says how long a link is valid: "7 Tage", "1 Tag", "12 Stunden".
func validity(w words, d time.Duration) string {
	if days := int(d / (24 * time.Hour)); d%(24*time.Hour) == 0 && days > 0 {
		if days == 1 {
			return w.t("gueltig.tag")
		}
		return w.t("gueltig.tage", "Anzahl", strconv.Itoa(days))
	}
	return w.t("gueltig.stunden", "Anzahl", strconv.Itoa(int(d.Round(time.Hour)/time.Hour)))
}
