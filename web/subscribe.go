package web

import (
	"errors"
	"net/http"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// subscribeForm shows the subscription form.
// subscribeForm shows the empty form, from the cache when the topics are
// watched (see WatchTopics).
func (s *Server) subscribeForm(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, nil)
	key := formKey{lang: lang, explicit: explicitLang(r) != ""}
	body, version, ok := s.form.get(key)
	if ok {
		writePage(w, http.StatusOK, lang, body)
		return
	}
	p := s.newPage(r, lang, "subscribe.title", "/")
	topics, err := s.topics(r.Context())
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	f := &formView{Action: p.URL("/subscribe")}
	f.options(p, topics, nil)
	p.Form = f
	if body, ok = s.renderBytes(w, r, "subscribe", p); ok {
		s.form.put(key, version, body)
		writePage(w, http.StatusOK, lang, body)
	}
}

func (s *Server) showSubscribeForm(w http.ResponseWriter, r *http.Request, p *page, f *formView, chosen []string, status int) {
	topics, err := s.topics(r.Context())
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	f.Action = p.URL("/subscribe")
	f.options(p, topics, chosen)
	f.sortErrors()
	p.Form = f
	s.render(w, r, "subscribe", status, p)
}

// subscribe takes the subscription form. Every accepted form gets the same
// answer, whatever became of it (see subscribers.Store.Subscribe).
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(s.clientIP(r)) {
		s.fail(w, r, http.StatusTooManyRequests)
		return
	}
	if !s.readForm(w, r) {
		return
	}
	p := s.newPage(r, pageLang(r, nil), "subscribe.title", "/")
	f := formFromRequest(r)
	chosen := r.PostForm["topics"]
	n := subscribers.NewSubscriber{
		Email: f.Email, Name: f.Name, Organisation: f.Organisation,
		Kind: subscribers.Kind(f.Kind), Language: i18n.Lang(f.Language), Topics: chosen,
	}
	invalid, err := s.cfg.Store.Validate(r.Context(), n)
	if err != nil {
		s.internal(w, r, "checking the form", err)
		return
	}
	f.storeErrors(p, invalid)
	if !f.Consent {
		f.fail("consent", p.T("error.consent"))
	}
	if f.Kind == string(subscribers.KindFamily) && !f.Age {
		f.fail("age", p.T("error.age"))
	}
	if len(f.Errors) > 0 {
		s.showSubscribeForm(w, r, p, f, chosen, http.StatusUnprocessableEntity)
		return
	}

	// The consent log keeps the version of the wording the person saw.
	version, _ := s.cfg.Texts.Consent(p.Lang)
	res, err := s.cfg.Store.Subscribe(r.Context(), n, s.consent(r, version))
	if invalid, ok := errors.AsType[subscribers.InvalidFields](err); ok {
		f.storeErrors(p, invalid) // a topic removed in the meantime
		s.showSubscribeForm(w, r, p, f, chosen, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.internal(w, r, "subscribing", err)
		return
	}
	s.cfg.Logger.Debug("subscription request", "subscriber", res.SubscriberID, "outcome", res.Outcome)
	s.enqueue(r.Context(), res.Mail)
	p.Title = p.T("subscribed.title")
	s.say(w, r, http.StatusOK, p, []string{"subscribed.text1", "subscribed.text2"}, nil)
}

// internal logs an unexpected error and answers 500.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, doing string, err error) {
	s.cfg.Logger.Error(doing+" failed", "route", r.Pattern, "error", err)
	s.fail(w, r, http.StatusInternalServerError)
}
