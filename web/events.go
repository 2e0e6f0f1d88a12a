package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// pastWindow is how long after its end an event stays on the overview,
// marked as past.
const pastWindow = 90 * 24 * time.Hour

// eventsView is the overview of the events.
type eventsView struct {
	Filters        []eventsFilter
	Upcoming, Past []eventItem
	FeedURL        template.URL // webcal:// for calendars that subscribe
	FeedFile       string       // the same feed over http(s), to download
}

type eventsFilter struct {
	Label, URL string
	Current    bool
}

type eventItem struct {
	URL, Title, When, Where, For string
	Cancelled                    bool
}

// kindQuery names the kinds in the overview's address (?art=schule): the
// German words, as the KNF writes them.
var kindQuery = map[subscribers.Kind]string{
	subscribers.KindCompany: "unternehmen", subscribers.KindSchool: "schule",
	subscribers.KindFamily: "familie", subscribers.KindOther: "sonstige",
}

// publicEvents are the published and cancelled events that end after
// since, by start, for kind (every kind when ""): an event for no kind in
// particular is for every kind.
func (s *Server) publicEvents(r *http.Request, kind subscribers.Kind, since time.Time) ([]*events.Event, error) {
	all, err := s.cfg.Events.List(r.Context(), "")
	if err != nil {
		return nil, err
	}
	var out []*events.Event
	for _, e := range all {
		if e.Status == events.StatusDraft || e.End.Before(since) {
			continue
		}
		if kind != "" && len(e.Kinds) > 0 && !slices.Contains(e.Kinds, kind) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// eventsRequested is the kind the request asks for (?art=) and the public
// events of the last 90 days and to come for it; it answers 404 for an
// unknown kind or a server without events.
func (s *Server) eventsRequested(w http.ResponseWriter, r *http.Request) (subscribers.Kind, []*events.Event, bool) {
	kind, ok := kindOf(r)
	if s.cfg.Events == nil || !ok {
		s.fail(w, r, http.StatusNotFound)
		return "", nil, false
	}
	evs, err := s.publicEvents(r, kind, s.cfg.Now().Add(-pastWindow))
	if err != nil {
		s.internal(w, r, "listing events", err)
		return "", nil, false
	}
	return kind, evs, true
}

// kindOf reads ?art= ("schule"); "" for every kind, ok false for a word
// that names no kind.
func kindOf(r *http.Request) (subscribers.Kind, bool) {
	q := strings.TrimSpace(r.URL.Query().Get("art"))
	if q == "" {
		return "", true
	}
	k, err := subscribers.ParseKind(q)
	return k, err == nil
}

// eventsPage lists the upcoming events and those of the last 90 days,
// filterable by kind, with the feed to subscribe to.
func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request) {
	kind, evs, ok := s.eventsRequested(w, r)
	if !ok {
		return
	}
	now := s.cfg.Now()
	topics, err := s.topics(r.Context())
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	l := pageLang(r, nil)
	p := s.newPage(r, l, "", "")
	p.Title = p.T("events.title")
	v := &eventsView{}
	addQuery := func(path string, k subscribers.Kind) string {
		q := url.Values{}
		if k != "" {
			q.Set("art", kindQuery[k])
		}
		if p.keep != "" {
			q.Set("lang", string(l))
		}
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	v.Filters = append(v.Filters, eventsFilter{Label: p.T("events.all"), URL: addQuery(paths{}.Events(), ""), Current: kind == ""})
	for _, k := range []subscribers.Kind{subscribers.KindCompany, subscribers.KindSchool, subscribers.KindFamily} {
		v.Filters = append(v.Filters, eventsFilter{Label: p.T("events.for." + string(k)), URL: addQuery(paths{}.Events(), k), Current: kind == k})
	}
	for _, e := range evs {
		title, _ := e.InLanguage(l == i18n.English)
		item := eventItem{URL: p.URL(paths{}.Event(e.Slug)), Title: title, When: templates.WhenDays(l, spans(e)),
			Where: e.Where(), For: forWhom(e, l, topics), Cancelled: e.Status == events.StatusCancelled}
		if e.End.Before(now) {
			v.Past = append(v.Past, item)
		} else {
			v.Upcoming = append(v.Upcoming, item)
		}
	}
	slices.Reverse(v.Past) // the most recent first
	feed := s.absolute(addQuery(paths{}.EventsFeed(), kind))
	v.FeedFile = feed
	v.FeedURL = template.URL("webcal" + strings.TrimPrefix(strings.TrimPrefix(feed, "https"), "http"))
	p.Events = v
	s.render(w, r, "events", http.StatusOK, p)
}

// eventsFeed serves the published events (and those cancelled, so that
// calendars drop them) of the last 90 days and to come as one iCalendar
// feed, for every kind or for ?art=.
func (s *Server) eventsFeed(w http.ResponseWriter, r *http.Request) {
	_, evs, ok := s.eventsRequested(w, r)
	if !ok {
		return
	}
	name := s.cfg.Name
	data := events.Feed(evs, name, events.Calendar{Organizer: s.cfg.From, Stamp: s.cfg.Now()},
		func(e *events.Event) string { return s.absolute(paths{}.Event(e.Slug)) })
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `inline; filename="veranstaltungen.ics"`)
	h.Set("Cache-Control", "public, max-age=900")
	w.Write(data)
}
