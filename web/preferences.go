package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// subscriberFor verifies the preferences token of the request and loads its
// subscriber. A subscriber who is gone (deleted) gets 410.
func (s *Server) subscriberFor(w http.ResponseWriter, r *http.Request) (*subscribers.Subscriber, bool) {
	t, ok := s.lookup(w, r, subscribers.PurposePreferences)
	if !ok {
		return nil, false
	}
	if t.sub == nil {
		s.fail(w, r, http.StatusGone)
		return nil, false
	}
	return t.sub, true
}

// preferencesPage shows the subscriber's details, topics and language to
// change, and the ways to unsubscribe, download their data or delete it.
func (s *Server) preferencesPage(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.subscriberFor(w, r)
	if !ok {
		return
	}
	f := &formView{
		Name: sub.Name, Organisation: sub.Organisation, Kind: string(sub.Kind), Language: string(sub.Language),
	}
	s.showPreferences(w, r, sub, f, sub.Topics, "", http.StatusOK)
}

func (s *Server) showPreferences(w http.ResponseWriter, r *http.Request, sub *subscribers.Subscriber, f *formView, chosen []string, notice string, status int) {
	topics, err := s.topics(r.Context())
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	base := paths{}.Preferences(r.PathValue("token"))
	p := s.newPage(r, pageLang(r, sub), "preferences.title", base)
	f.Email = sub.Email
	f.Status = sub.Status
	f.Action = p.URL(base)
	f.DataAction = p.URL(base + "/data")
	f.DeleteURL = p.URL(base + "/delete")
	f.UnsubscribeAction = p.URL(paths{}.Unsubscribe(r.PathValue("token")))
	f.options(p, topics, chosen)
	f.sortErrors()
	if s.cfg.Events != nil {
		regs, err := s.cfg.Events.RegistrationsOf(r.Context(), sub.ID)
		if err != nil {
			s.internal(w, r, "loading registrations", err)
			return
		}
		token := s.cfg.Keys.Token(subscribers.PurposeRegister, sub.ID, time.Time{})
		now := s.cfg.Now()
		for _, rg := range regs {
			if rg.Status == events.Cancelled || rg.Start.Before(now) {
				continue // the person's data has them; the page shows what is to come
			}
			item := registrationItem{Title: rg.EventTitle, EventURL: p.URL(paths{}.Event(rg.EventSlug)), When: templates.At(p.Lang, rg.Start),
				ChangeURL: p.URL(paths{}.Register(rg.EventSlug, token))}
			switch rg.Status {
			case events.Requested:
				item.State = p.Tf("preferences.regRequested", "Personen", p.count(rg.People, "person", "personen"))
			case events.Waiting:
				item.State = p.Tf("preferences.regWaiting", "Personen", p.count(rg.People, "person", "personen"), "Platz", strconv.Itoa(rg.Position))
			default:
				item.State = p.Tf("preferences.regRegistered", "Personen", p.count(rg.People, "person", "personen"))
			}
			f.Registrations = append(f.Registrations, item)
		}
	}
	p.Form = f
	p.Notice = notice
	s.render(w, r, "preferences", status, p)
}

// savePreferences stores the changed preferences.
func (s *Server) savePreferences(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.subscriberFor(w, r)
	if !ok || !s.readForm(w, r) {
		return
	}
	f := formFromRequest(r)
	chosen := r.PostForm["topics"]
	err := s.cfg.Store.UpdatePreferences(r.Context(), sub.ID, subscribers.Preferences{
		Name: f.Name, Organisation: f.Organisation, Kind: subscribers.Kind(f.Kind),
		Language: i18n.Lang(f.Language), Topics: chosen,
	}, s.consent(r, ""))
	if invalid, ok := errors.AsType[subscribers.InvalidFields](err); ok {
		p := s.newPage(r, pageLang(r, sub), "preferences.title", "")
		f.storeErrors(p, invalid)
		s.showPreferences(w, r, sub, f, chosen, "", http.StatusUnprocessableEntity)
		return
	}
	if errors.Is(err, subscribers.ErrNotFound) {
		s.fail(w, r, http.StatusGone)
		return
	}
	if err != nil {
		s.internal(w, r, "saving preferences", err)
		return
	}
	sub, err = s.cfg.Store.Get(r.Context(), sub.ID)
	if err != nil {
		s.internal(w, r, "loading a subscriber", err)
		return
	}
	f = &formView{Name: sub.Name, Organisation: sub.Organisation, Kind: string(sub.Kind), Language: string(sub.Language)}
	p := s.newPage(r, pageLang(r, sub), "preferences.title", "")
	s.showPreferences(w, r, sub, f, sub.Topics, p.T("preferences.saved"), http.StatusOK)
}

// downloadData sends everything stored about the subscriber as a JSON file.
// It is a POST, like every action on the page, so that a link scanner
// fetching the page's links does not download anyone's data.
func (s *Server) downloadData(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.subscriberFor(w, r)
	if !ok {
		return
	}
	exp, err := s.cfg.Store.Export(r.Context(), sub.ID, s.cfg.Now())
	if err != nil {
		s.internal(w, r, "exporting data", err)
		return
	}
	var received []campaigns.Received
	if s.cfg.Campaigns != nil {
		if received, err = s.cfg.Campaigns.Received(r.Context(), sub.ID); err != nil {
			s.internal(w, r, "exporting data", err)
			return
		}
	}
	var regs []events.PersonRegistration
	if s.cfg.Events != nil {
		if regs, err = s.cfg.Events.RegistrationsOf(r.Context(), sub.ID); err != nil {
			s.internal(w, r, "exporting data", err)
			return
		}
	}
	body, err := json.MarshalIndent(struct {
		Controller string `json:"controller"`
		*subscribers.Export
		Campaigns     []campaigns.Received        `json:"campaigns"`
		Registrations []events.PersonRegistration `json:"registrations"`
	}{s.cfg.Name + ", " + s.cfg.Impressum, exp, orNone(received), orNone(regs)}, "", "  ")
	if err != nil {
		s.internal(w, r, "exporting data", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="rundbrief-meine-daten.json"`)
	h.Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}

// deletePage asks whether the subscriber really wants their data deleted.
func (s *Server) deletePage(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.subscriberFor(w, r)
	if !ok {
		return
	}
	p := s.newPage(r, pageLang(r, sub), "delete.title", "")
	s.say(w, r, http.StatusOK, p, []string{"delete.text1", "delete.text2"},
		&button{Action: p.URL(r.URL.Path), Label: p.T("delete.button"), Danger: true},
		link{URL: p.URL(paths{}.Preferences(r.PathValue("token"))), Label: p.T("delete.cancel")})
}

// erase deletes the subscriber for good (DSGVO Art. 17); only the keyed
// hash of the address stays on the suppression list.
func (s *Server) erase(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.subscriberFor(w, r)
	if !ok {
		return
	}
	if s.cfg.Events != nil {
		// Their places go to the waitlist first; deleting the rows alone
		// would leave them empty.
		outs, err := s.cfg.Events.Withdraw(r.Context(), sub.ID, s.cfg.Now())
		if err != nil {
			s.internal(w, r, "withdrawing registrations", err)
			return
		}
		for _, out := range outs {
			s.queueRegistrationMails(r, out)
		}
	}
	if err := s.cfg.Store.Erase(r.Context(), sub.ID); err != nil && !errors.Is(err, subscribers.ErrNotFound) {
		s.internal(w, r, "erasing a subscriber", err)
		return
	}
	s.cfg.Logger.Info("subscriber erased at their request", "subscriber", sub.ID)
	p := s.newPage(r, pageLang(r, sub), "deleted.title", "/")
	s.say(w, r, http.StatusOK, p, []string{"deleted.text"}, nil, link{URL: p.URL("/"), Label: p.T("unsubscribed.link")})
}

// orNone makes a nil list an empty one, so JSON says [] and not null.
func orNone[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
