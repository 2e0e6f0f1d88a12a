package templates

import (
	"fmt"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
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

// optInCopy is the opt-in request. It must stay neutral (no advertising, no
// logo): German courts treat promotional content in a confirmation request
// as unsolicited advertising.
func optInCopy(lang i18n.Lang, ttl time.Duration) messageCopy {
	if lang == i18n.English {
		return messageCopy{
			subject: "Please confirm your subscription",
			title:   "Please confirm your subscription",
			intros: []string{
				placeholder(varGreeting),
				"You – or someone using your e-mail address – asked to receive e-mails from the " +
					"Kommunale Netzwerkstelle Fachkräftesicherung of the district of Nordhausen: invitations " +
					"to events and news about vocational training, skilled workers and families in the region.",
			},
			instructions: "Please confirm with one click – only then will we add you to our mailing list:",
			button:       "Confirm subscription",
			buttonVar:    varConfirmURL,
			outros: []string{
				fmt.Sprintf("The link is valid for %s.", validity(lang, ttl)),
				"If you did not sign up, you need not do anything: without your confirmation you will not receive any further e-mails from us.",
			},
			signature: "Kind regards",
			trouble:   "If the button “{ACTION}” does not work, copy this link into the address bar of your browser:",
		}
	}
	return messageCopy{
		subject: "Bitte bestätigen Sie Ihr Abonnement des Rundbriefs",
		title:   "Bitte bestätigen Sie Ihr Abonnement",
		intros: []string{
			placeholder(varGreeting),
			"Sie – oder jemand mit Ihrer E-Mail-Adresse – möchten E-Mails der Kommunalen Netzwerkstelle " +
				"Fachkräftesicherung im Landkreis Nordhausen erhalten: Einladungen zu Veranstaltungen und " +
				"Neuigkeiten rund um Ausbildung, Fachkräfte und Familie in der Region.",
		},
		instructions: "Bitte bestätigen Sie Ihr Abonnement mit einem Klick – erst dann nehmen wir Sie in unseren Verteiler auf:",
		button:       "Abonnement bestätigen",
		buttonVar:    varConfirmURL,
		outros: []string{
			fmt.Sprintf("Der Link ist %s gültig.", validity(lang, ttl)),
			"Falls Sie den Rundbrief nicht bestellt haben, müssen Sie nichts tun: Ohne Ihre Bestätigung erhalten Sie keine weiteren E-Mails von uns.",
		},
		signature: "Mit freundlichen Grüßen",
		trouble:   "Falls die Schaltfläche „{ACTION}“ nicht funktioniert, kopieren Sie diesen Link in die Adresszeile Ihres Browsers:",
	}
}

// permissionCopy asks a contact the office knows for consent to the
// newsletter: it says who the office is and why the mail comes, and
// that nothing happens without a click (re-permission).
func permissionCopy(lang i18n.Lang, ttl time.Duration) messageCopy {
	if lang == i18n.English {
		return messageCopy{
			subject: "May we send you the newsletter of the Netzwerkstelle Fachkräftesicherung?",
			title:   "May we write to you?",
			intros: []string{
				placeholder(varGreeting),
				"we are the Kommunale Netzwerkstelle Fachkräftesicherung at the district office of Nordhausen. " +
					"We bring companies, schools and families in the district together so that skilled workers stay in the region – " +
					"with events and with our newsletter.",
				"You receive this e-mail because we know your address from working with you. We would like to send you " +
					"invitations and news from now on – but only if you wish.",
			},
			instructions: "If you would like to receive the newsletter, please confirm with one click:",
			button:       "Yes, subscribe to the newsletter",
			buttonVar:    varConfirmURL,
			outros: []string{
				fmt.Sprintf("The link is valid for %s.", validity(lang, ttl)),
				"Without your click nothing happens: we will not write to you again, and your address leaves our list when the link expires.",
			},
			signature: "Kind regards",
			trouble:   "If the button “{ACTION}” does not work, copy this link into the address bar of your browser:",
			why:       "You receive this e-mail once, because the Netzwerkstelle asks for your consent. Without your confirmation we will not write to you again.",
		}
	}
	return messageCopy{
		subject: "Möchten Sie den Rundbrief der Netzwerkstelle Fachkräftesicherung erhalten?",
		title:   "Dürfen wir Ihnen schreiben?",
		intros: []string{
			placeholder(varGreeting),
			"wir sind die Kommunale Netzwerkstelle Fachkräftesicherung im Landratsamt Nordhausen. Wir bringen Unternehmen, " +
				"Schulen und Familien im Landkreis zusammen, damit Fachkräfte in der Region bleiben – mit Veranstaltungen " +
				"und mit unserem Rundbrief.",
			"Sie erhalten diese E-Mail, weil wir Ihre Adresse aus der Zusammenarbeit mit Ihnen kennen. Wir möchten Ihnen " +
				"künftig Einladungen und Neuigkeiten schicken – aber nur, wenn Sie das wünschen.",
		},
		instructions: "Wenn Sie den Rundbrief erhalten möchten, bestätigen Sie das bitte mit einem Klick:",
		button:       "Ja, Rundbrief abonnieren",
		buttonVar:    varConfirmURL,
		outros: []string{
			fmt.Sprintf("Der Link ist %s gültig.", validity(lang, ttl)),
			"Ohne Ihren Klick geschieht nichts: Wir schreiben Ihnen nicht wieder, und Ihre Adresse wird nach Ablauf der Frist aus unserem Verteiler gelöscht.",
		},
		signature: "Mit freundlichen Grüßen",
		trouble:   "Falls die Schaltfläche „{ACTION}“ nicht funktioniert, kopieren Sie diesen Link in die Adresszeile Ihres Browsers:",
		why:       "Sie erhalten diese E-Mail einmalig, weil die Netzwerkstelle Sie um Ihre Einwilligung bittet. Ohne Ihre Bestätigung schreiben wir Ihnen nicht wieder.",
	}
}

// welcomeCopy greets a subscriber who has confirmed and gives them the
// preferences link they can come back to.
func welcomeCopy(lang i18n.Lang) messageCopy {
	if lang == i18n.English {
		return messageCopy{
			subject: "Welcome to the newsletter of the Netzwerkstelle Fachkräftesicherung",
			title:   "Welcome!",
			intros: []string{
				placeholder(varGreeting),
				"Thank you for confirming your subscription. From now on we will let you know about events and offers " +
					"of the Kommunale Netzwerkstelle Fachkräftesicherung in the district of Nordhausen.",
				"Your topics: " + placeholder(varTopics) + ".",
			},
			instructions: "You can change your topics and details, or unsubscribe, at any time:",
			button:       "Open my preferences",
			buttonVar:    varPreferencesURL,
			outros: []string{
				"Keep this e-mail: the link is your personal access. Please do not pass it on.",
			},
			signature: "Kind regards",
			trouble:   "If the button “{ACTION}” does not work, copy this link into the address bar of your browser:",
		}
	}
	return messageCopy{
		subject: "Willkommen beim Rundbrief der Netzwerkstelle Fachkräftesicherung",
		title:   "Herzlich willkommen!",
		intros: []string{
			placeholder(varGreeting),
			"vielen Dank für Ihre Bestätigung. Ab jetzt informieren wir Sie über Veranstaltungen und Angebote " +
				"der Kommunalen Netzwerkstelle Fachkräftesicherung im Landkreis Nordhausen.",
			"Ihre Themen: " + placeholder(varTopics) + ".",
		},
		instructions: "Ihre Themen und Angaben können Sie jederzeit ändern – oder den Rundbrief abbestellen:",
		button:       "Meine Einstellungen öffnen",
		buttonVar:    varPreferencesURL,
		outros: []string{
			"Bitte bewahren Sie diese E-Mail auf: Der Link ist Ihr persönlicher Zugang. Geben Sie ihn nicht weiter.",
		},
		signature: "Mit freundlichen Grüßen",
		trouble:   "Falls die Schaltfläche „{ACTION}“ nicht funktioniert, kopieren Sie diesen Link in die Adresszeile Ihres Browsers:",
	}
}

// preferencesLinkCopy answers a confirmed subscriber who filled in the
// subscription form again: they are subscribed already, and here is their
// link. It says so neutrally, since the form may have been filled in by
// someone else.
func preferencesLinkCopy(lang i18n.Lang) messageCopy {
	if lang == i18n.English {
		return messageCopy{
			subject: "Your link to your newsletter preferences",
			title:   "You are already subscribed",
			intros: []string{
				placeholder(varGreeting),
				"Your e-mail address was just entered in the subscription form of the Netzwerkstelle Fachkräftesicherung. " +
					"You are already subscribed, so nothing has changed.",
				"Your topics: " + placeholder(varTopics) + ".",
			},
			instructions: "To change your topics or details, or to unsubscribe, open your preferences:",
			button:       "Open my preferences",
			buttonVar:    varPreferencesURL,
			outros: []string{
				"If it was not you who entered your address, you need not do anything.",
			},
			signature: "Kind regards",
			trouble:   "If the button “{ACTION}” does not work, copy this link into the address bar of your browser:",
			why:       "You receive this e-mail because your address was entered in the form to subscribe to our newsletter.",
		}
	}
	return messageCopy{
		why:     "Sie erhalten diese E-Mail, weil Ihre Adresse in das Formular zum Abonnieren unseres Rundbriefs eingetragen wurde.",
		subject: "Ihr Link zu Ihren Rundbrief-Einstellungen",
		title:   "Sie haben den Rundbrief bereits abonniert",
		intros: []string{
			placeholder(varGreeting),
			"Ihre E-Mail-Adresse wurde soeben im Anmeldeformular der Netzwerkstelle Fachkräftesicherung eingetragen. " +
				"Sie erhalten unseren Rundbrief bereits – es hat sich nichts geändert.",
			"Ihre Themen: " + placeholder(varTopics) + ".",
		},
		instructions: "Ihre Themen und Angaben ändern oder den Rundbrief abbestellen können Sie in Ihren Einstellungen:",
		button:       "Meine Einstellungen öffnen",
		buttonVar:    varPreferencesURL,
		outros: []string{
			"Falls nicht Sie Ihre Adresse eingetragen haben, müssen Sie nichts tun.",
		},
		signature: "Mit freundlichen Grüßen",
		trouble:   "Falls die Schaltfläche „{ACTION}“ nicht funktioniert, kopieren Sie diesen Link in die Adresszeile Ihres Browsers:",
	}
}

// validity says how long a link is valid: "7 Tage", "1 Tag", "12 Stunden".
func validity(lang i18n.Lang, d time.Duration) string {
	if days := int(d / (24 * time.Hour)); d%(24*time.Hour) == 0 && days > 0 {
		switch {
		case lang == i18n.English && days == 1:
			return "1 day"
		case lang == i18n.English:
			return fmt.Sprintf("%d days", days)
		case days == 1:
			return "1 Tag"
		default:
			return fmt.Sprintf("%d Tage", days)
		}
	}
	hours := int(d.Round(time.Hour) / time.Hour)
	if lang == i18n.English {
		return fmt.Sprintf("%d hours", hours)
	}
	return fmt.Sprintf("%d Stunden", hours)
}
