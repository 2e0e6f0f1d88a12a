package compose

import (
	"fmt"
	"net/mail"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Registration is the mail of kind about to's registration reg for event
// e, at now: the places held (with the calendar file), the place on the
// waitlist, a place freed up (with the calendar file), or the
// cancellation received (with a calendar file that removes the entry). It
// is transactional: the person asked for it, so
// it carries no List-Unsubscribe and no link that unsubscribes.
func (c *Composer) Registration(kind events.MailKind, reg *events.Registration, e *events.Event, to *subscribers.Contact, now time.Time) (*mailer.Message, error) {
	lang := to.Language.Known()
	if !e.English() {
		lang = i18n.German
	}
	token := c.Keys.Token(subscribers.PurposeRegister, to.ID, time.Time{})
	layout, err := c.Templates.Registration(templates.Registration{
		Event: invitationOf(e, lang, "", c.Links.Event(e.Slug)), Kind: templates.RegistrationKind(kind),
		People: reg.People, Position: reg.Position,
	}, lang)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	// Nothing in it ends a subscription: the footer has no preferences
	// or unsubscribe link (see templates.Registration).
	r := layout.Render(templates.Vars{Name: to.Name, Salutation: templates.Salutation(to.Salutation), Formal: true,
		RegisterURL: c.Links.Register(e.Slug, token), CancelURL: c.Links.Cancel(e.Slug, token)})
	msg := &mailer.Message{
		From: c.From, ReplyTo: c.replyTo(e), To: mail.Address{Name: to.Name, Address: to.Email},
		Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Headers:   automatic(),
		Inline:    c.Logos,
		MessageID: mailer.NewMessageID(c.From), Date: now,
	}
	switch kind {
	case events.MailRegistered, events.MailMovedUp:
		msg.Attachments = []mailer.Attachment{c.calendarFile(e, events.MethodPublish, now)}
	case events.MailCancelled:
		// The receipt takes out of the calendar what the confirmation
		// put in: the same UID, cancelled (see events.MethodCancel).
		msg.Attachments = []mailer.Attachment{c.calendarFile(e, events.MethodCancel, now)}
	}
	return msg, nil
}
