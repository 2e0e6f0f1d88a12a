package compose

import (
	"fmt"
	"net/mail"
	"time"

	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Subscription is the mail of kind about sub's subscription, in sub's
// language, at now. topics are the known topics, for the titles of sub's
// own in a welcome or preferences mail.
func (c *Composer) Subscription(kind subscribers.MailKind, sub *subscribers.Subscriber, topics []subscribers.Topic, now time.Time) (*mailer.Message, error) {
	lang := sub.Language.Known()
	vars := templates.Vars{Name: sub.Name, Salutation: templates.Salutation(sub.Salutation), Formal: true}
	headers := automatic()
	var tk templates.Kind
	switch kind {
	case subscribers.MailOptIn:
		// The opt-in request carries no unsubscribe link: the person is not
		// subscribed yet, and ignoring the mail is the way to say no.
		tk = templates.OptIn
		if sub.RequestedVia == subscribers.SourceRequest {
			tk = templates.PermissionRequest
		}
		vars.ConfirmURL = c.Links.Confirm(c.Keys.Token(subscribers.PurposeConfirm, sub.ID, now.Add(c.OptInTTL)))
	case subscribers.MailWelcome, subscribers.MailPreferences:
		tk = templates.Welcome
		if kind == subscribers.MailPreferences {
			tk = templates.PreferencesLink
		}
		token := c.preferencesToken(sub.ID)
		vars.PreferencesURL = c.Links.Preferences(token)
		vars.UnsubscribeURL = c.Links.Unsubscribe(token)
		vars.Topics = subscribers.TopicTitles(topics, sub.Topics, lang)
		// The preferences link is sent to whoever types the address
		// into the form: it is the answer to that request, not list
		// mail, and carries no list headers.
		if kind == subscribers.MailWelcome {
			headers = append(headers, mailer.ListHeaders(c.From, vars.UnsubscribeURL)...)
		}
	default:
		return nil, fmt.Errorf("compose: no subscription mail of kind %q", kind)
	}
	layout, err := c.Templates.Layout(tk, lang)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	r := layout.Render(vars)
	return &mailer.Message{
		From:      c.From,
		To:        mail.Address{Name: sub.Name, Address: sub.Email},
		Subject:   r.Subject,
		Text:      r.Text,
		HTML:      r.HTML,
		Headers:   headers,
		Inline:    c.Logos,
		MessageID: mailer.NewMessageID(c.From),
		Date:      now,
	}, nil
}
