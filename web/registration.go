package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// registrationView is what the registration and cancel pages show.
type registrationView struct {
	Notice   string
	Facts    []fact
	Form     bool // the form for the number of people
	Action   string
	People   int
	PartyMax int
	Hint     string
	Error    string
	Button   string
	// CancelURL links to the cancel page; Cancel is the cancel button's
	// action on that page.
	CancelURL string
	Cancel    string
	EventURL  string
}

// registrant is the event and subscriber a registration link names, with
// the registration if there is one.
type registrant struct {
	event *events.Event
	sub   *subscribers.Subscriber
	reg   *events.Registration // nil: never registered
}

// registrantFor checks the link's token (PurposeRegister, no expiry) and
// loads the event and the person. A link for a draft or unknown event, or
// a forged token, answers 404; a person who is gone answers 410.
func (s *Server) registrantFor(w http.ResponseWriter, r *http.Request) (*registrant, bool) {
	t, ok := s.lookup(w, r, subscribers.PurposeRegister)
	if !ok {
		return nil, false
	}
	e, ok := s.publicEvent(w, r)
	if !ok {
		return nil, false
	}
	if t.sub == nil {
		s.fail(w, r, http.StatusGone)
		return nil, false
	}
	reg, err := s.cfg.Events.Registration(r.Context(), e.ID, t.sub.ID)
	if err != nil && !errors.Is(err, events.ErrNotRegistered) {
		s.internal(w, r, "loading a registration", err)
		return nil, false
	}
	return &registrant{event: e, sub: t.sub, reg: reg}, true
}

// registrationPage shows the event and the form. It changes nothing.
func (s *Server) registrationPage(w http.ResponseWriter, r *http.Request) {
	rg, ok := s.registrantFor(w, r)
	if !ok {
		return
	}
	s.showRegistration(w, r, rg, http.StatusOK, "", "")
}

// register registers the person, or changes their number of people.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	rg, ok := s.registrantFor(w, r)
	if !ok {
		return
	}
	p := s.newPage(r, pageLang(r, rg.sub), "", "")
	people, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("people")))
	if err != nil || people < 1 || people > rg.event.MaxParty() {
		s.showRegistration(w, r, rg, http.StatusUnprocessableEntity, "", p.Tf("register.badPeople", "Höchstens", strconv.Itoa(rg.event.MaxParty())))
		return
	}
	out, err := s.cfg.Events.Register(r.Context(), rg.event.ID, rg.sub.ID, people, events.ByWeb, s.cfg.Now())
	var noRoom *events.NoRoomError
	switch {
	case errors.As(err, &noRoom):
		s.showRegistration(w, r, rg, http.StatusConflict, p.Tf("register.noRoom", "Plätze", p.count(noRoom.Free, "platz", "plaetze")), "")
		return
	case errors.Is(err, events.ErrClosed):
		s.showRegistration(w, r, rg, http.StatusConflict, "", "")
		return
	case err != nil:
		s.internal(w, r, "registering", err)
		return
	}
	if out.Changed {
		s.cfg.Logger.Info("registration", "event", rg.event.ID, "subscriber", rg.sub.ID, "status", out.Registration.Status,
			"people", out.Registration.People, "moved_up", len(out.MovedUp))
	}
	s.queueRegistrationMails(r, out)
	rg.reg = out.Registration
	s.showRegistration(w, r, rg, http.StatusOK, "", "")
}

// showRegistration renders the registration page for rg, with notice (or
// the registration's state) on top and a field error if any.
func (s *Server) showRegistration(w http.ResponseWriter, r *http.Request, rg *registrant, status int, notice, fieldErr string) {
	e := rg.event
	p := s.newPage(r, pageLang(r, rg.sub), "", "")
	p.Title, _ = e.InLanguage(p.Lang == i18n.English)
	facts, err := s.eventFacts(r, p, e)
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	v := &registrationView{
		Facts: facts, Action: p.URL(r.URL.Path), People: 1, PartyMax: e.MaxParty(),
		Hint: p.Tf("register.hint", "Höchstens", strconv.Itoa(e.MaxParty())), Error: fieldErr, Button: p.T("register.button"),
		EventURL: p.URL(paths{}.Event(e.Slug)),
	}
	active := rg.reg != nil && rg.reg.Status != events.Cancelled
	if active {
		v.People, v.Button = rg.reg.People, p.T("register.change")
		v.CancelURL = p.URL(paths{}.Cancel(e.Slug, r.PathValue("token")))
	}
	closed := e.OpenFor(s.cfg.Now())
	v.Form = closed == nil
	switch {
	case notice != "":
		v.Notice = notice
	case e.Status == events.StatusCancelled:
		v.Notice, v.CancelURL = p.T("register.cancelled"), ""
	case active && rg.reg.Status == events.Registered:
		v.Notice = p.Tf("register.registered", "Personen", p.count(rg.reg.People, "person", "personen"))
	case active:
		v.Notice = p.Tf("register.waiting", "Personen", p.count(rg.reg.People, "person", "personen"), "Platz", strconv.Itoa(rg.reg.Position))
	case closed != nil:
		v.Notice = p.T("register.closed")
	}
	p.Registration = v
	s.render(w, r, "registration", status, p)
}

// cancelPage asks whether the person wants to cancel. It changes nothing.
func (s *Server) cancelPage(w http.ResponseWriter, r *http.Request) {
	rg, ok := s.registrantFor(w, r)
	if !ok {
		return
	}
	p := s.newPage(r, pageLang(r, rg.sub), "cancel.title", "")
	if rg.reg == nil || rg.reg.Status == events.Cancelled || rg.event.Status == events.StatusCancelled {
		s.say(w, r, http.StatusOK, p, []string{"cancel.none"}, nil,
			link{URL: p.URL(paths{}.Event(rg.event.Slug)), Label: p.T("register.eventLink")})
		return
	}
	s.say(w, r, http.StatusOK, p, []string{"cancel.text"},
		&button{Action: p.URL(r.URL.Path), Label: p.T("cancel.button"), Danger: true},
		link{URL: p.URL(paths{}.Register(rg.event.Slug, r.PathValue("token"))), Label: p.T("register.change")})
}

// cancelRegistration cancels, and gives the places to the waitlist.
func (s *Server) cancelRegistration(w http.ResponseWriter, r *http.Request) {
	rg, ok := s.registrantFor(w, r)
	if !ok {
		return
	}
	p := s.newPage(r, pageLang(r, rg.sub), "cancel.title", "")
	out, err := s.cfg.Events.Cancel(r.Context(), rg.event.ID, rg.sub.ID, s.cfg.Now())
	switch {
	case errors.Is(err, events.ErrNotRegistered):
		s.say(w, r, http.StatusOK, p, []string{"cancel.none"}, nil)
		return
	case err != nil:
		s.internal(w, r, "cancelling a registration", err)
		return
	}
	if out.Changed {
		s.cfg.Logger.Info("registration cancelled", "event", rg.event.ID, "subscriber", rg.sub.ID, "moved_up", len(out.MovedUp))
	}
	s.queueRegistrationMails(r, out)
	s.say(w, r, http.StatusOK, p, []string{"cancel.done"}, nil,
		link{URL: p.URL(paths{}.Event(rg.event.Slug)), Label: p.T("register.eventLink")})
}

// queueRegistrationMails queues the tasks of the mails a registration
// change owes. Should Redis fail, the rows wait in the mail log, where the
// worker's sweep finds them; the person's change stands.
func (s *Server) queueRegistrationMails(r *http.Request, out *events.Outcome) {
	if len(out.Mails) == 0 {
		return
	}
	if _, err := s.cfg.Queue.EnqueueRegistrationMails(context.WithoutCancel(r.Context()), out.Mails); err != nil {
		s.cfg.Logger.Warn("queueing registration mails failed; the worker will find them", "error", err)
	}
}
