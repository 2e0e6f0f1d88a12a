package main

import (
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// The German words staff read for the codes the domain packages use. The
// domain packages carry codes only (see DESIGN.md); the words live here,
// one table per kind of code, one word for one thing (COPY.md).

// word is the word for v in words, or v itself for a code without one.
func word[T ~string](words map[T]string, v T) string {
	if w, ok := words[v]; ok {
		return w
	}
	return string(v)
}

// mailStatusWords name where an outgoing mail stands, of every kind.
var mailStatusWords = map[maillog.Status]string{
	maillog.Queued:    "wartet",
	maillog.Sending:   "wird gesendet",
	maillog.Sent:      "versandt",
	maillog.Failed:    "fehlgeschlagen",
	maillog.Bounced:   "unzustellbar",
	maillog.Skipped:   "übersprungen",
	maillog.Cancelled: "abgebrochen",
}

// subscriptionMailWords name the mails about a subscription.
var subscriptionMailWords = map[subscribers.MailKind]string{
	subscribers.MailOptIn:       "Bestätigungsmail",
	subscribers.MailWelcome:     "Willkommensmail",
	subscribers.MailPreferences: "Link zu den Einstellungen",
}
