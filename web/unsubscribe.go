package web

import (
	"errors"
	"net/http"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// unsubscribePage shows the button that unsubscribes, and a link to the
// preferences for those who would rather change their topics. It changes
// nothing.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r, subscribers.PurposePreferences)
	if !ok {
		return
	}
	if t.sub == nil || t.sub.Status == subscribers.StatusUnsubscribed {
		s.unsubscribed(w, r, t.sub)
		return
	}
	p := s.newPage(r, pageLang(r, t.sub), "unsubscribe.title", "")
	s.say(w, r, http.StatusOK, p, []string{"unsubscribe.text"},
		&button{Action: p.URL(r.URL.Path), Label: p.T("unsubscribe.button")},
		link{URL: p.URL(paths{}.Preferences(r.PathValue("token"))), Label: p.T("unsubscribe.preferences")})
}

// unsubscribe unsubscribes at once. It serves both the button on the page
// and the one-click POST of RFC 8058 ("List-Unsubscribe=One-Click" in a
// form-encoded or multipart body, sent by the mail provider without cookies
// or Origin), and answers both with 200 and no redirect. A subscriber who
// is gone already counts as unsubscribed.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	t, ok := s.lookup(w, r, subscribers.PurposePreferences)
	if !ok {
		return
	}
	// Only a pending or confirmed subscription has anything to withdraw
	// (see subscribers.Store.Unsubscribe); a repeated click, and mail
	// clients that send the one-click POST again, find it done already
	// and cost no transaction.
	if t.sub != nil && (t.sub.Status == subscribers.StatusPending || t.sub.Status == subscribers.StatusConfirmed) {
		changed, err := s.cfg.Store.Unsubscribe(r.Context(), t.id, s.consent(r, ""))
		if err != nil && !errors.Is(err, subscribers.ErrNotFound) {
			s.internal(w, r, "unsubscribing", err)
			return
		}
		if changed {
			s.cfg.Logger.Info("subscriber unsubscribed", "subscriber", t.id, "one_click", isOneClick(r))
		}
	}
	s.unsubscribed(w, r, t.sub)
}

// isOneClick reports whether r is the RFC 8058 one-click POST. The body is
// read only for the log: every POST to the unsubscribe URL unsubscribes.
func isOneClick(r *http.Request) bool {
	if err := r.ParseMultipartForm(MaxBodyBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return false
	}
	return r.PostForm.Get("List-Unsubscribe") == "One-Click"
}

func (s *Server) unsubscribed(w http.ResponseWriter, r *http.Request, sub *subscribers.Subscriber) {
	p := s.newPage(r, pageLang(r, sub), "unsubscribed.title", "/")
	s.say(w, r, http.StatusOK, p, []string{"unsubscribed.text1", "unsubscribed.text2"}, nil,
		link{URL: p.URL("/"), Label: p.T("unsubscribed.link")})
}
