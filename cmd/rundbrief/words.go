package main

import (
	"fmt"
	"strings"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// The German words staff read for the codes the domain packages use. The
// domain packages carry codes only (see DESIGN.md); the words live here,
// one table per kind of code, one word for one thing (COPY.md).

// parseWord reads a code that staff typed as the code itself or as its
// word in words ("Entwurf" or "draft"), in any case.
func parseWord[T ~string](words map[T]string, s string) (T, bool) {
	s = strings.TrimSpace(s)
	for code, w := range words {
		if strings.EqualFold(s, string(code)) || strings.EqualFold(s, w) {
			return code, true
		}
	}
	return "", false
}

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

// subscriberStatusWords name where a subscriber stands.
var subscriberStatusWords = map[subscribers.Status]string{
	subscribers.StatusPending:      "unbestätigt",
	subscribers.StatusConfirmed:    "bestätigt",
	subscribers.StatusUnsubscribed: "abbestellt",
	subscribers.StatusBounced:      "unzustellbar",
	subscribers.StatusContact:      "nur Veranstaltung",
}

// sourceWords name where a subscriber or a consent came from.
var sourceWords = map[subscribers.Source]string{
	subscribers.SourceWeb:     "Webformular",
	subscribers.SourceImport:  "Import",
	subscribers.SourceStaff:   "Netzwerkstelle",
	subscribers.SourceRequest: "Anfrage der Netzwerkstelle",
	subscribers.SourceSystem:  "rundbrief",
}

// consentWords name the entries of the consent log.
var consentWords = map[subscribers.ConsentAction]string{
	subscribers.ActionSubscribed:     "Abonnement beantragt",
	subscribers.ActionOptInSent:      "Bestätigungsmail versandt",
	subscribers.ActionConfirmed:      "bestätigt",
	subscribers.ActionTopicsChange:   "Themen geändert",
	subscribers.ActionUnsubscribed:   "abbestellt",
	subscribers.ActionBounced:        "unzustellbar",
	subscribers.ActionContact:        "als Kontakt aufgenommen (Anmeldung zu einer Veranstaltung, kein Rundbrief)",
	subscribers.ActionOptInExpired:   "nicht bestätigt; als Kontakt behalten, weil zu einer Veranstaltung angemeldet",
	subscribers.ActionDetailsChanged: "Angaben berichtigt",
	subscribers.ActionEmailChanged:   "E-Mail-Adresse geändert",
	subscribers.ActionComplained:     "Beschwerde beim Mail-Anbieter (als Spam gemeldet); abbestellt und gesperrt",
}

// eventStatusWords name where an event stands.
var eventStatusWords = map[events.Status]string{
	events.StatusDraft:     "Entwurf",
	events.StatusPublished: "veröffentlicht",
	events.StatusCancelled: "abgesagt",
}

// registrationWords name where a registration stands.
var registrationWords = map[events.RegistrationStatus]string{
	events.Requested:  "unbestätigt",
	events.Registered: "angemeldet",
	events.Waiting:    "Warteliste",
	events.Cancelled:  "abgesagt",
}

// campaignKindWords name the kinds of campaign.
var campaignKindWords = map[campaigns.Kind]string{
	campaigns.KindInvitation:   "Einladung",
	campaigns.KindNewsletter:   "Rundbrief",
	campaigns.KindFollowUp:     "Nachbereitung",
	campaigns.KindReminder:     "Erinnerung",
	campaigns.KindUpdate:       "Änderung",
	campaigns.KindCancellation: "Absage",
	campaigns.KindLastCall:     "Anmeldeschluss naht",
}

// greetingWords name how a campaign greets.
var greetingWords = map[campaigns.Greeting]string{
	campaigns.GreetingFormal:  "förmlich",
	campaigns.GreetingNeutral: "neutral",
}

// parseGreeting reads --anrede: "förmlich", "formal", "neutral"; the
// problem is the campaigns package's to say.
func parseGreeting(s string) campaigns.Greeting {
	if g, ok := parseWord(greetingWords, s); ok {
		return g
	}
	if strings.EqualFold(strings.TrimSpace(s), "foermlich") {
		return campaigns.GreetingFormal
	}
	return campaigns.Greeting(s)
}

// campaignStatusWords name where a campaign stands.
var campaignStatusWords = map[campaigns.Status]string{
	campaigns.StatusDraft:     "Entwurf",
	campaigns.StatusScheduled: "geplant",
	campaigns.StatusSending:   "wird versandt",
	campaigns.StatusPaused:    "angehalten",
	campaigns.StatusDone:      "abgeschlossen",
	campaigns.StatusCancelled: "abgebrochen",
}

// titleOf is what staff see of campaign c in lists.
func titleOf(c *campaigns.Campaign) string { return campaignTitle(c.Kind, c.Subject, c.EventTitle) }

// campaignTitle is what staff see of a campaign in lists: a newsletter's
// subject, or the kind and the event's title ("Einladung: Talent-Campus").
func campaignTitle(kind campaigns.Kind, subject, eventTitle string) string {
	if kind.AboutEvent() {
		return word(campaignKindWords, kind) + ": " + eventTitle
	}
	return subject
}

// campaignProblemWords say each problem of a campaign in German. %[1]s is
// the value at fault, %[2]d the limit.
var campaignProblemWords = map[campaigns.Problem]string{
	campaigns.ProblemMissing:           "fehlt oder ist leer",
	campaigns.ProblemTooLong:           "ist zu lang (höchstens %[2]d Zeichen)",
	campaigns.ProblemInvisible:         "enthält einen Zeilenumbruch, ein Steuerzeichen oder ein unsichtbares Zeichen",
	campaigns.ProblemWordsOfEvent:      "eine Kampagne zu einer Veranstaltung nimmt ihren Text aus der Veranstaltung; einen Text gibt es nur beim Rundbrief, einen eigenen Betreff beim Rundbrief und bei der Einladung",
	campaigns.ProblemArchive:           "ins Archiv kommen nur Rundbriefe und Einladungen",
	campaigns.ProblemIntroOfInvitation: "einen eigenen Absatz (--intro) gibt es nur bei Einladungen",
	campaigns.ProblemFileType:          "„%[1]s“ ist keine PDF-, JPEG-, PNG- oder Kalenderdatei (.ics); andere Dateien können Mailprogramme blockieren",
	campaigns.ProblemFilesSize:         "alle Dateien zusammen sind größer als 5 MB; jede Empfängerin und jeder Empfänger bekommt sie – bitte verkleinern oder einen Link angeben",
	campaigns.ProblemPicture:           "„%[1]s“ ist kein lesbares JPEG- oder PNG-Bild (Bilder gibt es nur im Rundbrief)",
	campaigns.ProblemTooManyFiles:      "höchstens %[2]d Dateien je Kampagne",
	campaigns.ProblemNewOnly:           "--new-only gilt nur für Einladungen",
	campaigns.ProblemNoteOfNotice:      "--note gilt nur für Erinnerungen, Änderungen und Absagen; ein Rundbrief hat seinen Text, eine Einladung den ihrer Veranstaltung",
	campaigns.ProblemGreeting:          "„%[1]s“: möglich sind förmlich (Sehr geehrte Frau …, wo die Anrede bekannt ist) und neutral (Guten Tag Vorname Nachname)",
	campaigns.ProblemToRegistered:      "diese Aussendung geht an die Angemeldeten der Veranstaltung; ihre Zielgruppe lässt sich nicht ändern",
	campaigns.ProblemNoHours:           "der Abstand einer Erinnerung zum Beginn kann nicht negativ sein",
	campaigns.ProblemEventGiven:        "ein Rundbrief gehört zu keiner Veranstaltung",
	campaigns.ProblemNoEvent:           "diese Kampagne gehört zu keiner Veranstaltung",
	campaigns.ProblemKind:              "„%[1]s“: möglich sind Einladung (invitation) und Rundbrief (newsletter)",
	campaigns.ProblemNotFuture:         "%[1]s liegt nicht in der Zukunft",
}

// campaignProblemLine says what breaks a rule of a campaign, in German:
// "subject: fehlt oder ist leer".
func campaignProblemLine(e *campaigns.InvalidError) string {
	w, ok := campaignProblemWords[e.Problem]
	if !ok {
		w = string(e.Problem) + " %[1]s"
	}
	if strings.Contains(w, "%[") {
		w = fmt.Sprintf(w, e.Value, e.Limit)
	}
	return e.Field + ": " + strings.TrimSpace(w)
}
