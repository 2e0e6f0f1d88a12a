package campaigns

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Composer builds the mails of campaigns.
type Composer struct {
	Store     *Store
	Templates *templates.Renderer
	Keys      *subscribers.Keyring
	From      mail.Address
	BaseURL   string // links are BaseURL/preferences/TOKEN and so on
}

// Prepared is a campaign rendered once per language, to be filled in for
// each recipient. It is safe for concurrent use.
type Prepared struct {
	Campaign *Campaign
	Event    *events.Event // an invitation's event
	layouts  map[i18n.Lang]*templates.Layout
	bulks    map[i18n.Lang]*mailer.Bulk
	ics      mailer.Attachment
	c        *Composer
}

// blankUnsubscribe is the blank of the unsubscribe link in the
// List-Unsubscribe header of a campaign's bulk message.
const blankUnsubscribe = "unsubscribe"

// EventURL is the public page of the event with slug.
func (c *Composer) EventURL(slug string) string { return c.link("events", slug) }

func (c *Composer) link(parts ...string) string {
	return strings.TrimRight(c.BaseURL, "/") + "/" + strings.Join(parts, "/")
}

// Prepare renders camp: one hermes render per language, and for an
// invitation the calendar file, stamped now.
func (c *Composer) Prepare(ctx context.Context, camp *Campaign, now time.Time) (*Prepared, error) {
	p := &Prepared{Campaign: camp, layouts: map[i18n.Lang]*templates.Layout{}, c: c}
	switch camp.Kind {
	case KindInvitation:
		e, err := c.Store.Event(ctx, camp)
		if err != nil {
			return nil, err
		}
		p.Event = e
		topics, err := c.Store.subscribers.Topics(ctx)
		if err != nil {
			return nil, err
		}
		for _, lang := range i18n.All() {
			inv := InvitationOf(e, lang, templates.DescribeAudience(lang, camp.Audience.Kinds, subscribers.TopicTitles(topics, camp.Audience.Topics, lang)), c.EventURL(e.Slug))
			l, err := c.Templates.Invitation(inv, lang)
			if err != nil {
				return nil, fmt.Errorf("campaigns: campaign %d: %w", camp.ID, err)
			}
			p.layouts[lang] = l
		}
		p.ics = CalendarFile(e, events.MethodPublish, events.Calendar{Organizer: c.From, Stamp: now, URL: c.EventURL(e.Slug)})
	case KindReminder, KindUpdate, KindCancellation:
		e, err := c.Store.Event(ctx, camp)
		if err != nil {
			return nil, err
		}
		p.Event = e
		for _, lang := range i18n.All() {
			inv := InvitationOf(e, lang, "", c.EventURL(e.Slug))
			inv.Registration = camp.ToRegistered
			l, err := c.Templates.Notice(templates.Notice{
				Kind: templates.NoticeKind(camp.Kind), Event: inv, Note: camp.Note,
				Until: templates.Until(lang, now, e.Start.In(events.Berlin())),
			}, lang)
			if err != nil {
				return nil, fmt.Errorf("campaigns: campaign %d: %w", camp.ID, err)
			}
			p.layouts[lang] = l
		}
		method := events.MethodPublish
		if camp.Kind == KindCancellation {
			method = events.MethodCancel
		}
		p.ics = CalendarFile(e, method, events.Calendar{Organizer: c.From, Stamp: now, URL: c.EventURL(e.Slug)})
	case KindNewsletter:
		de, err := c.Templates.Newsletter(templates.Newsletter{Subject: camp.Subject, Body: camp.Body}, i18n.German)
		if err != nil {
			return nil, fmt.Errorf("campaigns: campaign %d: %w", camp.ID, err)
		}
		p.layouts[i18n.German] = de
		// Without English words, English subscribers get the German
		// mail whole rather than a mix of languages.
		p.layouts[i18n.English] = de
		if camp.SubjectEN != "" {
			en, err := c.Templates.Newsletter(templates.Newsletter{Subject: camp.SubjectEN, Body: camp.BodyEN}, i18n.English)
			if err != nil {
				return nil, fmt.Errorf("campaigns: campaign %d: %w", camp.ID, err)
			}
			p.layouts[i18n.English] = en
		}
	default:
		return nil, fmt.Errorf("%w: kind %q", ErrInvalid, camp.Kind)
	}
	if err := p.encode(); err != nil {
		return nil, fmt.Errorf("campaigns: campaign %d: %w", camp.ID, err)
	}
	return p, nil
}

// encode builds the bulk message of each language: encoded once, filled
// in for each recipient by Letter.
func (p *Prepared) encode() error {
	p.bulks = map[i18n.Lang]*mailer.Bulk{}
	done := map[*templates.Layout]*mailer.Bulk{}
	for lang, l := range p.layouts {
		if b, ok := done[l]; ok {
			p.bulks[lang] = b
			continue
		}
		r := l.Blanks(mailer.Blank)
		m := &mailer.Message{
			From: p.c.From, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
			Headers: mailer.ListHeaders(p.c.From, mailer.Blank(blankUnsubscribe)),
		}
		if p.Event != nil {
			m.Attachments = []mailer.Attachment{p.ics}
		}
		b, err := mailer.NewBulk(m, append(l.BlankNames(), blankUnsubscribe)...)
		if err != nil {
			return err
		}
		p.bulks[lang], done[l] = b, b
	}
	return nil
}

// Message is the mail to to: the layout of their language filled in with
// their name and their own links, the list headers, and for an invitation
// the calendar file. It is what Letter sends, whole, for a preview or a
// test.
func (p *Prepared) Message(to *subscribers.Contact, now time.Time) *mailer.Message {
	lang, vars := p.vars(to)
	m := &mailer.Message{
		From:      p.c.From,
		To:        mail.Address{Name: to.Name, Address: to.Email},
		Headers:   mailer.ListHeaders(p.c.From, vars.UnsubscribeURL),
		MessageID: mailer.NewMessageID(p.c.From),
		Date:      now,
	}
	if p.Event != nil {
		m.Attachments = []mailer.Attachment{p.ics}
	}
	r := p.layouts[lang].Render(vars)
	m.Subject, m.Text, m.HTML = r.Subject, r.Text, r.HTML
	return m
}

// Letter is to's copy of the bulk message of their language: the same
// mail as Message, without encoding it anew.
func (p *Prepared) Letter(to *subscribers.Contact, now time.Time) (*mailer.Bulk, *mailer.Letter) {
	lang, vars := p.vars(to)
	vals := make(map[string]string, 16)
	p.layouts[lang].BlankValues(vars, vals)
	vals[blankUnsubscribe] = vars.UnsubscribeURL
	return p.bulks[lang], &mailer.Letter{
		To:        mail.Address{Name: to.Name, Address: to.Email},
		MessageID: mailer.NewMessageID(p.c.From),
		Date:      now,
		Values:    vals,
	}
}

// vars are to's language, name and links.
func (p *Prepared) vars(to *subscribers.Contact) (i18n.Lang, templates.Vars) {
	lang := to.Language.Known()
	c := p.c
	token := c.Keys.Token(subscribers.PurposePreferences, to.ID, time.Time{})
	vars := templates.Vars{
		Name:           to.Name,
		PreferencesURL: c.link("preferences", token),
		UnsubscribeURL: c.link("unsubscribe", token),
	}
	if p.Event != nil && p.Event.Registration {
		token := c.Keys.Token(subscribers.PurposeRegister, to.ID, time.Time{})
		vars.RegisterURL = c.link("events", p.Event.Slug, "register", token)
		vars.CancelURL = c.link("events", p.Event.Slug, "cancel", token)
	}
	return lang, vars
}

// InvitationOf is what an invitation to e says in lang: its facts in
// Europe/Berlin, audience (in words) and the page where "Mehr erfahren"
// leads.
func InvitationOf(e *events.Event, lang i18n.Lang, audience, moreURL string) templates.Invitation {
	inv := templates.Invitation{
		Title: e.Title, Description: e.Description, Start: e.Start.In(events.Berlin()), End: e.End.In(events.Berlin()),
		Place: e.Place(), OnlineURL: e.OnlineURL, Audience: audience,
		Organiser: organiser(lang, e), Registration: e.Registration, MoreURL: moreURL,
		CalendarURL: e.GoogleCalendarURL(),
	}
	if e.Deadline != nil {
		d := e.Deadline.In(events.Berlin())
		inv.Deadline = &d
	}
	return inv
}

// CalendarFile is e's .ics for method, as an attachment named after the
// event.
func CalendarFile(e *events.Event, method events.Method, c events.Calendar) mailer.Attachment {
	return mailer.Attachment{
		Name:        e.Slug + ".ics",
		ContentType: "text/calendar; method=" + string(method) + "; charset=UTF-8",
		Data:        e.ICS(method, c),
	}
}

// organiser is the organiser with the partners: "Netzwerkstelle … mit
// Hochschule Nordhausen und Kreisjugendring".
func organiser(lang i18n.Lang, e *events.Event) string {
	en := lang == i18n.English
	if len(e.Partners) == 0 {
		return e.Organiser
	}
	partners := templates.JoinAnd(lang, e.Partners)
	if e.Organiser == "" {
		return partners
	}
	return e.Organiser + pick(en, " with ", " mit ") + partners
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
