package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// tokenLookup is what a link's token leads to.
type tokenLookup struct {
	id      int64
	sub     *subscribers.Subscriber // nil if the subscriber is gone
	expired bool
}

// lookup verifies the request's token for purpose and loads its subscriber.
// A token that is not valid (forged, changed, cut short, or made for another
// purpose) gets 404 and false. An expired token still names its subscriber,
// so the page can offer a new mail.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, purpose subscribers.Purpose) (tokenLookup, bool) {
	id, err := s.cfg.Keys.Verify(r.PathValue("token"), purpose, s.cfg.Now())
	var t tokenLookup
	switch {
	case errors.Is(err, subscribers.ErrTokenExpired):
		t.expired = true
	case err != nil:
		s.fail(w, r, http.StatusNotFound)
		return t, false
	}
	t.id = id
	sub, err := s.cfg.Store.Get(r.Context(), id)
	switch {
	case errors.Is(err, subscribers.ErrNotFound):
	case err != nil:
		s.internal(w, r, "loading a subscriber", err)
		return t, false
	default:
		t.sub = sub
	}
	if purpose == subscribers.PurposeConfirm && t.sub != nil && !t.expired && s.issuedBeforeWithdrawal(r.PathValue("token"), t.sub) {
		// An opt-in mail from before the person unsubscribed (or their
		// address bounced) cannot confirm a later request, which may not
		// be theirs: it is spent, like an expired one.
		t.expired = true
	}
	return t, true
}

// issuedBeforeWithdrawal reports whether the confirm token was issued
// before sub last unsubscribed or bounced.
func (s *Server) issuedBeforeWithdrawal(token string, sub *subscribers.Subscriber) bool {
	exp := s.cfg.Keys.Expires(token)
	if exp.IsZero() {
		return false
	}
	issued := exp.Add(-s.cfg.OptInTTL)
	for _, at := range []*time.Time{sub.Unsubscribed, sub.BouncedAt} {
		if at != nil && issued.Before(at.Truncate(time.Second)) {
			return true
		}
	}
	return false
}

// confirmPage shows the button that confirms a subscription, or explains
// why the link no longer works. It changes nothing: mail gateways open
// links to scan them.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r, subscribers.PurposeConfirm)
	if !ok {
		return
	}
	if s.linkProblem(w, r, t) {
		return
	}
	p := s.newPage(r, pageLang(r, t.sub), "confirm.title", "")
	s.say(w, r, http.StatusOK, p, []string{"confirm.text"},
		&button{Action: p.URL(r.URL.Path), Label: p.T("confirm.button")})
}

// confirm confirms the subscription and queues the welcome mail.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r, subscribers.PurposeConfirm)
	if !ok || s.linkProblem(w, r, t) {
		return
	}
	welcome, err := s.cfg.Store.Confirm(r.Context(), t.id, s.consent(r, ""))
	switch {
	case errors.Is(err, subscribers.ErrNotPending), errors.Is(err, subscribers.ErrNotFound):
		s.gone(w, r, t.sub)
		return
	case err != nil:
		s.internal(w, r, "confirming", err)
		return
	}
	s.enqueue(r.Context(), welcome)
	p := s.newPage(r, pageLang(r, t.sub), "confirmed.title", r.URL.Path)
	s.say(w, r, http.StatusOK, p, []string{"confirmed.text1", "confirmed.text2"}, nil)
}

// linkProblem answers for a confirm link that cannot be used any more and
// reports whether it did: expired (offer a new mail), used (the
// subscription is confirmed; offer the preferences link), or gone.
func (s *Server) linkProblem(w http.ResponseWriter, r *http.Request, t tokenLookup) bool {
	switch {
	case t.sub == nil || (t.sub.Status != subscribers.StatusPending && t.sub.Status != subscribers.StatusConfirmed):
		s.gone(w, r, t.sub)
	case t.sub.Status == subscribers.StatusConfirmed && r.Method == http.MethodPost:
		// A second press of the button, or a reload: the result is the same.
		return false
	case t.sub.Status == subscribers.StatusConfirmed:
		p := s.newPage(r, pageLang(r, t.sub), "used.title", r.URL.Path)
		s.say(w, r, http.StatusOK, p, []string{"used.text"},
			&button{Action: p.URL(r.URL.Path + "/resend"), Label: p.T("used.button")})
	case t.expired:
		p := s.newPage(r, pageLang(r, t.sub), "expired.title", r.URL.Path)
		s.say(w, r, http.StatusGone, p, []string{"expired.text"},
			&button{Action: p.URL(r.URL.Path + "/resend"), Label: p.T("expired.button")})
	default:
		return false
	}
	return true
}

// gone explains that a link leads to no open subscription any more.
func (s *Server) gone(w http.ResponseWriter, r *http.Request, sub *subscribers.Subscriber) {
	p := s.newPage(r, pageLang(r, sub), "gone.title", "")
	s.say(w, r, http.StatusGone, p, []string{"gone.text"}, nil, link{URL: p.URL("/"), Label: p.T("gone.link")})
}

// resend sends a new opt-in mail (pending) or the preferences link
// (confirmed), from an expired or used confirm link. The answer is the same
// when the day's mails are used up.
func (s *Server) resend(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(s.clientIP(r)) {
		s.fail(w, r, http.StatusTooManyRequests)
		return
	}
	t, ok := s.lookup(w, r, subscribers.PurposeConfirm)
	if !ok {
		return
	}
	res, err := s.cfg.Store.RequestLink(r.Context(), t.id)
	switch {
	case errors.Is(err, subscribers.ErrNotPending), errors.Is(err, subscribers.ErrNotFound):
		s.gone(w, r, t.sub)
		return
	case err != nil:
		s.internal(w, r, "requesting a new link", err)
		return
	}
	s.enqueue(r.Context(), res.Mail)
	p := s.newPage(r, pageLang(r, t.sub), "resent.title", "/")
	s.say(w, r, http.StatusOK, p, []string{"resent.text"}, nil)
}
