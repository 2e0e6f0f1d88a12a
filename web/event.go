package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// eventView is what the event page shows.
type eventView struct {
	Facts        []fact
	Description  template.HTML // rendered from Markdown without raw HTML
	CalendarURL  string
	GoogleURL    string
	OutlookURL   string
	Office365URL string
	Days         bool // over several days: Outlook's links take the first only
	Cancelled    bool
	Reason       string // why it was cancelled; may be empty
	// Register is the registration form, while the event takes
	// registrations.
	Register *publicForm
	// Closed: the event takes registrations, but no more now.
	Closed bool
}

// fact is a row of an event's facts: a label, a value, and a link after
// it (URL, shown as LinkText), either of them optional.
type fact struct{ Label, Value, URL, LinkText string }

// publicEvent loads the event of the request's slug if the public may see
// it (published or cancelled; drafts are not public), or answers 404.
func (s *Server) publicEvent(w http.ResponseWriter, r *http.Request) (*events.Event, bool) {
	if s.cfg.Events == nil {
		s.fail(w, r, http.StatusNotFound)
		return nil, false
	}
	e, err := s.cfg.Events.Get(r.Context(), r.PathValue("slug"))
	switch {
	case errors.Is(err, events.ErrNotFound) || (err == nil && e.Status == events.StatusDraft):
		s.fail(w, r, http.StatusNotFound)
		return nil, false
	case err != nil:
		s.internal(w, r, "loading an event", err)
		return nil, false
	}
	return e, true
}

// eventPage shows an event: its facts, description and calendar links,
// and while it takes registrations the form to register.
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.publicEvent(w, r)
	if !ok {
		return
	}
	s.showEvent(w, r, s.newPage(r, pageLang(r, nil), "", ""), e, http.StatusOK, nil)
}

// showEvent renders the page of e with the registration form f (nil: an
// empty one, if the event takes registrations now).
func (s *Server) showEvent(w http.ResponseWriter, r *http.Request, p *page, e *events.Event, status int, f *publicForm) {
	l := p.Lang
	title, description := e.InLanguage(l == i18n.English)
	p.Title = title
	facts, err := s.eventFacts(r, p, e)
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	v := &eventView{
		Facts:       facts,
		CalendarURL: p.URL(paths{}.EventCalendar(e.Slug)),
		GoogleURL:   e.GoogleCalendarURL(),
		OutlookURL:  e.OutlookCalendarURL(false), Office365URL: e.OutlookCalendarURL(true),
		Days:      len(e.Sessions) > 1,
		Cancelled: e.Status == events.StatusCancelled,
		Reason:    e.CancelReason,
	}
	if e.OpenFor(s.cfg.Now()) == nil {
		if f == nil {
			f = newPublicForm(p, e, nil)
		}
		v.Register = f
	} else {
		v.Closed = e.Registration && e.Status == events.StatusPublished
	}
	if html, err := s.markdown.HTML(description); err == nil {
		v.Description = template.HTML(html) // goldmark without raw HTML: safe
	}
	p.Event = v
	s.render(w, r, "event", status, p)
}

// eventFacts are the facts of e in p's language: when, where, for whom,
// and how to register.
func (s *Server) eventFacts(r *http.Request, p *page, e *events.Event) ([]fact, error) {
	topics, err := s.topics(r.Context())
	if err != nil {
		return nil, err
	}
	tl, sl := p.Lang, p.Lang
	var facts []fact
	add := func(key, value string) {
		if value != "" {
			facts = append(facts, fact{Label: p.T(key), Value: value})
		}
	}
	add("event.when", templates.WhenDays(tl, spans(e)))
	add("event.where", e.Place())
	if e.OnlineURL != "" {
		facts = append(facts, fact{Label: p.T("event.online"), URL: e.OnlineURL, LinkText: e.OnlineURL})
	}
	add("event.for", forWhom(e, sl, topics))
	add("event.organiser", e.Organiser)
	if len(e.Partners) > 0 {
		add("event.partners", templates.JoinAnd(p.Lang, e.Partners))
	}
	switch {
	case e.Registration && e.Deadline != nil:
		add("event.registration", p.T("event.registrationUntil")+" "+templates.At(tl, e.Deadline.In(events.Berlin())))
	case e.Registration:
		add("event.registration", p.T("event.registrationRequired"))
	default:
		add("event.registration", p.T("event.registrationNone"))
	}
	if e.Registration && e.Capacity > 0 {
		add("event.capacity", strconv.Itoa(e.Capacity))
	}
	if c := e.Contact; !c.IsZero() {
		var parts []string
		if c.Name != "" {
			parts = append(parts, c.Name)
		}
		if c.Phone != "" {
			parts = append(parts, p.T("event.phone")+" "+c.Phone)
		}
		f := fact{Label: p.T("event.contact"), Value: strings.Join(parts, ", ")}
		if c.Email != "" {
			f.URL, f.LinkText = "mailto:"+c.Email, c.Email
		}
		facts = append(facts, f)
	}
	return facts, nil
}

// eventCalendar serves the event's iCalendar file.
func (s *Server) eventCalendar(w http.ResponseWriter, r *http.Request) {
	e, ok := s.publicEvent(w, r)
	if !ok {
		return
	}
	method := events.MethodPublish
	if e.Status == events.StatusCancelled {
		method = events.MethodCancel
	}
	data := e.ICS(method, events.Calendar{Organizer: s.cfg.From, Stamp: s.cfg.Now(), URL: s.absolute(paths{}.Event(e.Slug))})
	h := w.Header()
	h.Set("Content-Type", "text/calendar; method="+string(method)+"; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+e.Slug+`.ics"`)
	h.Set("Cache-Control", "no-cache")
	w.Write(data)
}

// spans are the days of e for templates.WhenDays, in Europe/Berlin.
func spans(e *events.Event) []templates.Span {
	days := e.Days()
	out := make([]templates.Span, len(days))
	for i, x := range days {
		out[i] = templates.Span{Start: x.Start.In(events.Berlin()), End: x.End.In(events.Berlin())}
	}
	return out
}

// forWhom says whom e is for in l: the event's own words, or its audience
// described.
func forWhom(e *events.Event, l i18n.Lang, topics []subscribers.Topic) string {
	if own := e.ForWhomIn(l == i18n.English); own != "" {
		return own
	}
	return templates.DescribeAudience(l, e.Kinds, subscribers.TopicTitles(topics, e.Topics, l))
}
