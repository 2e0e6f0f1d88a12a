package worker

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// compose builds the mail of kind for sub: the layout rendered once per
// language, filled in with sub's name and links.
func (h *MailHandler) compose(ctx context.Context, kind subscribers.MailKind, sub *subscribers.Subscriber) (*mailer.Message, error) {
	lang := sub.Language.Known()
	now := h.Now()
	vars := templates.Vars{Name: sub.Name}
	headers := []mailer.Header{{Name: "Auto-Submitted", Value: "auto-generated"}}
	var tk templates.Kind
	switch kind {
	case subscribers.MailOptIn:
		// The opt-in request carries no unsubscribe link: the person is not
		// subscribed yet, and ignoring the mail is the way to say no.
		tk = templates.OptIn
		vars.ConfirmURL = h.link("confirm", h.Keys.Token(subscribers.PurposeConfirm, sub.ID, now.Add(h.OptInTTL)))
	case subscribers.MailWelcome, subscribers.MailPreferences:
		tk = templates.Welcome
		if kind == subscribers.MailPreferences {
			tk = templates.PreferencesLink
		}
		token := h.Keys.Token(subscribers.PurposePreferences, sub.ID, time.Time{}) // never expires
		vars.PreferencesURL = h.link("preferences", token)
		vars.UnsubscribeURL = h.link("unsubscribe", token)
		titles, err := h.topicTitles(ctx, sub)
		if err != nil {
			return nil, err
		}
		vars.Topics = titles
		headers = append(headers, mailer.ListHeaders(h.From, vars.UnsubscribeURL)...)
	}
	layout, err := h.Templates.Layout(tk, lang)
	if err != nil {
		return nil, err
	}
	r := layout.Render(vars)
	return &mailer.Message{
		From:      h.From,
		To:        mail.Address{Name: sub.Name, Address: sub.Email},
		Subject:   r.Subject,
		Text:      r.Text,
		HTML:      r.HTML,
		Headers:   headers,
		MessageID: mailer.NewMessageID(h.From),
		Date:      now,
	}, nil
}

func (h *MailHandler) link(path, token string) string {
	return strings.TrimRight(h.BaseURL, "/") + "/" + path + "/" + token
}

// topicTitles are sub's topics by their titles in sub's language.
func (h *MailHandler) topicTitles(ctx context.Context, sub *subscribers.Subscriber) ([]string, error) {
	all, err := h.Store.Topics(ctx)
	if err != nil {
		return nil, err
	}
	return subscribers.TopicTitles(all, sub.Topics, sub.Language), nil
}
