package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// eventView is what the event page shows.
type eventView struct {
	Facts       []fact
	Description template.HTML // rendered from Markdown without raw HTML
	CalendarURL string
	GoogleURL   string
	Cancelled   bool
}

type fact struct{ Label, Value, URL string }

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

// eventPage shows an event: its facts, description and calendar links.
// Invitations without registration link here ("Mehr erfahren").
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) {
	e, ok := s.publicEvent(w, r)
	if !ok {
		return
	}
	l := pageLang(r, nil)
	p := s.newPage(r, l, "", "")
	p.Title = e.Title
	facts, err := s.eventFacts(r, p, e)
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	v := &eventView{
		Facts:       facts,
		CalendarURL: p.URL(paths{}.EventCalendar(e.Slug)),
		GoogleURL:   e.GoogleCalendarURL(),
		Cancelled:   e.Status == events.StatusCancelled,
	}
	if html, err := s.markdown.HTML(e.Description); err == nil {
		v.Description = template.HTML(html) // goldmark without raw HTML: safe
	}
	p.Event = v
	s.render(w, r, "event", http.StatusOK, p)
}

// eventFacts are the facts of e in p's language: when, where, for whom,
// and how to register.
func (s *Server) eventFacts(r *http.Request, p *page, e *events.Event) ([]fact, error) {
	topics, err := s.cfg.Store.Topics(r.Context())
	if err != nil {
		return nil, err
	}
	tl, sl := p.Lang, p.Lang
	var facts []fact
	add := func(key, value, url string) {
		if value != "" {
			facts = append(facts, fact{p.T(key), value, url})
		}
	}
	add("event.when", templates.When(tl, e.Start.In(events.Berlin()), e.End.In(events.Berlin())), "")
	add("event.where", e.Place(), "")
	add("event.online", e.OnlineURL, e.OnlineURL)
	add("event.for", templates.DescribeAudience(sl, e.Kinds, subscribers.TopicTitles(topics, e.Topics, sl)), "")
	add("event.organiser", e.Organiser, "")
	if len(e.Partners) > 0 {
		add("event.partners", templates.JoinAnd(p.Lang, e.Partners), "")
	}
	switch {
	case e.Registration && e.Deadline != nil:
		add("event.registration", p.T("event.registrationUntil")+" "+e.Deadline.In(events.Berlin()).Format("02.01.2006 15:04"), "")
	case e.Registration:
		add("event.registration", p.T("event.registrationRequired"), "")
	default:
		add("event.registration", p.T("event.registrationNone"), "")
	}
	if e.Registration && e.Capacity > 0 {
		add("event.capacity", strconv.Itoa(e.Capacity), "")
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
