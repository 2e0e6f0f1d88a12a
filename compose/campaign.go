package compose

import (
	"fmt"
	"net/mail"
	"slices"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Prepared is a campaign rendered once per language, to be filled in for
// each recipient. It is safe for concurrent use.
type Prepared struct {
	Campaign *campaigns.Campaign
	Event    *events.Event // the event a campaign is about; nil for a newsletter
	layouts  map[i18n.Lang]*templates.Layout
	bulks    map[i18n.Lang]*mailer.Bulk
	// attachments are the calendar file of a campaign about an event and
	// the campaign's files; inline the logos and a newsletter's pictures.
	attachments, inline []mailer.Attachment
	c                   *Composer
}

// blankUnsubscribe is the blank of the unsubscribe link in the
// List-Unsubscribe header of a campaign's bulk message.
const blankUnsubscribe = "unsubscribe"

// Prepare renders camp with its facts (campaigns.Store.Facts): one hermes
// render per language, and for a campaign about an event the calendar
// file, stamped now.
func (c *Composer) Prepare(camp *campaigns.Campaign, facts campaigns.Facts, now time.Time) (*Prepared, error) {
	p := &Prepared{Campaign: camp, Event: facts.Event, layouts: map[i18n.Lang]*templates.Layout{}, c: c}
	if camp.Kind.AboutEvent() && p.Event == nil {
		return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, &campaigns.InvalidError{Field: "event", Problem: campaigns.ProblemNoEvent})
	}
	e := p.Event
	switch camp.Kind {
	case campaigns.KindInvitation, campaigns.KindLastCall:
		for _, lang := range eventLangs(e) {
			audience := templates.DescribeAudience(lang, camp.Audience.Kinds, subscribers.TopicTitles(facts.Topics, camp.Audience.Topics, lang))
			inv := invitationOf(e, lang, audience, c.Links.Event(e.Slug))
			inv.LastCall, inv.Note = camp.Kind == campaigns.KindLastCall, camp.Note
			inv.Subject, inv.Intro = camp.Subject, camp.Intro
			if lang == i18n.English {
				inv.Subject, inv.Intro = camp.SubjectEN, camp.IntroEN
			}
			l, err := c.Templates.Invitation(inv, lang)
			if err != nil {
				return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, err)
			}
			p.layouts[lang] = l
		}
		p.attachments = []mailer.Attachment{c.calendarFile(e, events.MethodPublish, now)}
	case campaigns.KindReminder, campaigns.KindUpdate, campaigns.KindCancellation:
		for _, lang := range eventLangs(e) {
			inv := invitationOf(e, lang, "", c.Links.Event(e.Slug))
			inv.Registration = camp.ToRegistered
			l, err := c.Templates.Notice(templates.Notice{
				Kind: templates.NoticeKind(camp.Kind), Event: inv, Note: camp.Note,
				Until: c.Templates.Until(lang, now, e.Start.In(events.Berlin())),
			}, lang)
			if err != nil {
				return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, err)
			}
			p.layouts[lang] = l
		}
		method := events.MethodPublish
		if camp.Kind == campaigns.KindCancellation {
			method = events.MethodCancel
		}
		p.attachments = []mailer.Attachment{c.calendarFile(e, method, now)}
	case campaigns.KindNewsletter, campaigns.KindFollowUp:
		pictures := map[string]templates.Picture{}
		for _, f := range facts.Files {
			if f.ContentID != "" {
				pictures[f.ContentID] = templates.Picture{Width: f.Width, Height: f.Height}
			}
		}
		webURL := ""
		if camp.Archive {
			webURL = c.Links.Archived(camp.ID)
		}
		followUp := camp.Kind == campaigns.KindFollowUp
		de, err := c.Templates.Newsletter(templates.Newsletter{Subject: camp.Subject, Body: camp.Body, Pictures: pictures, WebURL: webURL, FollowUp: followUp}, i18n.German)
		if err != nil {
			return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, err)
		}
		p.layouts[i18n.German] = de
		// Without English words, English subscribers get the German
		// mail whole rather than a mix of languages.
		p.layouts[i18n.English] = de
		if camp.SubjectEN != "" {
			en, err := c.Templates.Newsletter(templates.Newsletter{Subject: camp.SubjectEN, Body: camp.BodyEN, Pictures: pictures, WebURL: webURL + "?lang=en",
				FollowUp: followUp}, i18n.English)
			if err != nil {
				return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, err)
			}
			p.layouts[i18n.English] = en
		}
	default:
		return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, &campaigns.InvalidError{Field: "kind", Problem: campaigns.ProblemKind, Value: string(camp.Kind)})
	}
	if _, ok := p.layouts[i18n.English]; !ok {
		p.layouts[i18n.English] = p.layouts[i18n.German]
	}
	p.inline = slices.Clone(c.Logos)
	for _, f := range facts.Files {
		a := mailer.Attachment{Name: f.Name, ContentType: f.ContentType, Data: f.Data, ContentID: f.ContentID}
		if f.ContentID != "" {
			p.inline = append(p.inline, a)
		} else {
			p.attachments = append(p.attachments, a)
		}
	}
	if err := p.encode(); err != nil {
		return nil, fmt.Errorf("compose: campaign %d: %w", camp.ID, err)
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
			From: p.c.From, ReplyTo: p.c.replyTo(p.Event), Subject: r.Subject, Text: r.Text, HTML: r.HTML, Headers: automatic(),
		}
		blanks := l.BlankNames()
		if p.list() {
			m.Headers = append(m.Headers, mailer.ListHeaders(p.c.From, mailer.Blank(blankUnsubscribe))...)
			blanks = append(blanks, blankUnsubscribe)
		}
		m.Attachments, m.Inline = p.attachments, p.inline
		b, err := mailer.NewBulk(m, blanks...)
		if err != nil {
			return err
		}
		p.bulks[lang], done[l] = b, b
	}
	return nil
}

// Message is the mail to to: the layout of their language filled in with
// their name and their own links, the list headers, and for a campaign
// about an event the calendar file. It is what Letter sends, whole, for a
// preview or a test.
func (p *Prepared) Message(to *subscribers.Contact, now time.Time) *mailer.Message {
	lang, vars := p.vars(to)
	m := &mailer.Message{
		From:      p.c.From,
		ReplyTo:   p.c.replyTo(p.Event),
		To:        mail.Address{Name: to.Name, Address: to.Email},
		Headers:   automatic(),
		MessageID: mailer.NewMessageID(p.c.From),
		Date:      now,
	}
	if p.list() {
		m.Headers = append(m.Headers, mailer.ListHeaders(p.c.From, vars.UnsubscribeURL)...)
	}
	m.Attachments, m.Inline = p.attachments, p.inline
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
	if p.list() {
		vals[blankUnsubscribe] = vars.UnsubscribeURL
	}
	return p.bulks[lang], &mailer.Letter{
		To:        mail.Address{Name: to.Name, Address: to.Email},
		MessageID: mailer.NewMessageID(p.c.From),
		Date:      now,
		Values:    vals,
	}
}

// list reports whether the campaign is list mail, with List-Unsubscribe
// headers and an unsubscribe link; a campaign to the people registered
// for an event (a reminder, an update, a cancellation) is about their
// registration and is not.
func (p *Prepared) list() bool { return !p.Campaign.ToRegistered }

// vars are to's language, name and links.
func (p *Prepared) vars(to *subscribers.Contact) (i18n.Lang, templates.Vars) {
	c := p.c
	token := c.preferencesToken(to.ID)
	vars := templates.Vars{
		Name: to.Name, Salutation: templates.Salutation(to.Salutation), Formal: p.Campaign.Greeting != campaigns.GreetingNeutral,
		PreferencesURL: c.Links.Preferences(token),
		UnsubscribeURL: c.Links.Unsubscribe(token),
	}
	if p.Event != nil && p.Event.Registration {
		token := c.Keys.Token(subscribers.PurposeRegister, to.ID, time.Time{})
		vars.RegisterURL = c.Links.Register(p.Event.Slug, token)
		vars.CancelURL = c.Links.Cancel(p.Event.Slug, token)
	}
	return to.Language.Known(), vars
}
