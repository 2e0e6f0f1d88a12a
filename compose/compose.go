// Package compose turns a kind of mail, a recipient and the facts into
// the message that goes out: the one place where rundbrief's mails are
// made, whatever their kind — the subscription mails (opt-in, welcome,
// preferences link), the mails about a registration and the campaigns
// (invitations, newsletters, reminders, updates, cancellations).
//
// It takes the facts as values (the subscriber, the event, the topics)
// and reads no database: the worker and the CLI load them and send what
// it returns. The words come from templates, the MIME rules from mailer,
// the public addresses from Links, which gives web its routes too.
//
// Every mail has a plain-text part; a mail to a subscriber (not the
// opt-in request, nor a mail about a registration the person asked for)
// carries List-Unsubscribe and List-Unsubscribe-Post (RFC 2369, RFC 8058).
// Automatic mails say Auto-Submitted: auto-generated (RFC 3834).
package compose

import (
	"net/mail"
	"time"

	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Composer makes the mails. It holds no state of its own and is safe for
// concurrent use.
type Composer struct {
	Templates *templates.Renderer
	Keys      *subscribers.Keyring // the tokens in a recipient's links
	From      mail.Address
	// ReplyTo is where answers go when not to From: the office's mailbox
	// (RUNDBRIEF_REPLY_TO); an event's contact person takes its place in
	// mails about the event. The zero Address for none.
	ReplyTo mail.Address
	// Logos are the pictures of templates.Brand (the logo, the footer's
	// emblems), each with its Content-ID: every mail carries them inline.
	Logos    []mailer.Attachment
	Links    Links
	OptInTTL time.Duration // how long a confirm link is valid
}

// automatic are the headers of every mail rundbrief sends on its own:
// Auto-Submitted (RFC 3834), and X-Auto-Response-Suppress, which asks
// Exchange and Outlook not to answer with out-of-office or other
// automatic replies, so that a campaign does not flood the office's
// mailbox. A new slice each call: callers append to it.
func automatic() []mailer.Header {
	return []mailer.Header{
		{Name: "Auto-Submitted", Value: "auto-generated"},
		{Name: "X-Auto-Response-Suppress", Value: "OOF, AutoReply"},
	}
}

// preferencesToken is the token of a subscriber's preferences and
// unsubscribe links; it never expires.
func (c *Composer) preferencesToken(id int64) string {
	return c.Keys.Token(subscribers.PurposePreferences, id, time.Time{})
}
