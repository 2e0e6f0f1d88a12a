package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// registrationView is what the registration and cancel pages show.
type registrationView struct {
	Notice string
	Facts  []fact
	Form   bool // the form: the number of people and the questions
	Action string
	// Questions are the number of people and the event's questions;
	// Errors lists the problems for the summary at the top.
	Questions *questionsView
	Errors    []fieldMessage
	Button    string
	// CancelURL links to the cancel page; Cancel is the cancel button's
	// action on that page.
	CancelURL string
	Cancel    string
	EventURL  string
}

// regForm is what a registration form was sent with: the values as sent,
// the number of people, and the problems by field.
type regForm struct {
	values map[string][]string
	people int
	errs   map[string]string
	order  []string // the fields with problems, in the form's order
}

func (f *regForm) fail(field, message string) {
	if f.errs == nil {
		f.errs = map[string]string{}
	}
	if _, ok := f.errs[field]; !ok {
		f.errs[field] = message
		f.order = append(f.order, field)
	}
}

// summary lists the problems for the box at the top, each linking to its
// field.
func (f *regForm) summary() []fieldMessage {
	out := make([]fieldMessage, 0, len(f.order))
	for _, id := range f.order {
		out = append(out, fieldMessage{ID: id, Message: f.errs[id]})
	}
	return out
}

// readRegForm reads the number of people and the answers to e's
// questions from the request's form, checking both.
func readRegForm(p *page, e *events.Event, r *http.Request) (*regForm, events.Answers) {
	f := &regForm{values: r.PostForm}
	people, msg := readPeople(p, e, r.PostForm)
	f.people = people
	if msg != "" {
		f.fail("people", msg)
	}
	answers, err := e.ReadAnswers(r.PostForm, people)
	if aerrs, ok := errors.AsType[events.AnswerErrors](err); ok {
		for _, ae := range aerrs {
			f.fail(ae.Field, answerMessage(p, e, ae))
		}
	}
	return f, answers
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
	s.showRegistration(w, r, rg, http.StatusOK, "", nil)
}

// register registers the person, confirms their request from the public
// page, or changes their number of people and answers.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	rg, ok := s.registrantFor(w, r)
	if !ok {
		return
	}
	if !s.readForm(w, r) {
		return
	}
	p := s.newPage(r, pageLang(r, rg.sub), "", "")
	f, answers := readRegForm(p, rg.event, r)
	if r.PostForm.Get("step") == "recount" {
		// "Anzahl übernehmen": the form again, with a block per person.
		f.errs, f.order = nil, nil
		s.showRegistration(w, r, rg, http.StatusOK, "", f)
		return
	}
	if len(f.errs) > 0 {
		s.showRegistration(w, r, rg, http.StatusUnprocessableEntity, "", f)
		return
	}
	out, err := s.cfg.Events.Enter(r.Context(), events.Entry{EventID: rg.event.ID, SubscriberID: rg.sub.ID, People: f.people,
		Answers: &answers, Source: events.ByWeb}, s.cfg.Now())
	var noRoom *events.NoRoomError
	switch {
	case errors.As(err, &noRoom):
		s.showRegistration(w, r, rg, http.StatusConflict, p.Tf("register.noRoom", "Plätze", p.count(noRoom.Free, "platz", "plaetze")), f)
		return
	case errors.Is(err, events.ErrClosed):
		s.showRegistration(w, r, rg, http.StatusConflict, "", nil)
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
	notice := ""
	if !out.Changed && out.AnswersChanged {
		notice = p.T("register.saved")
	}
	s.showRegistration(w, r, rg, http.StatusOK, notice, nil)
}

// showRegistration renders the registration page for rg, with notice (or
// the registration's state) on top. f is the form as sent, with its
// problems; nil shows what is stored.
func (s *Server) showRegistration(w http.ResponseWriter, r *http.Request, rg *registrant, status int, notice string, f *regForm) {
	e := rg.event
	p := s.newPage(r, pageLang(r, rg.sub), "", "")
	p.Title, _ = e.InLanguage(p.Lang == i18n.English)
	facts, err := s.eventFacts(r, p, e)
	if err != nil {
		s.internal(w, r, "loading topics", err)
		return
	}
	if f == nil {
		f = &regForm{people: 1}
		if rg.reg != nil && rg.reg.Status != events.Cancelled {
			f.people, f.values = rg.reg.People, e.FormValues(rg.reg.Answers)
		}
	}
	v := &registrationView{
		Facts: facts, Action: p.URL(r.URL.Path), Questions: questionsOf(p, e, f.values, f.people, f.errs), Errors: f.summary(),
		Button: p.T("register.button"), EventURL: p.URL(paths{}.Event(e.Slug)),
	}
	state := events.RegistrationStatus("")
	if rg.reg != nil {
		state = rg.reg.Status
	}
	active := state == events.Registered || state == events.Waiting
	switch {
	case active:
		v.Button = p.T("register.change")
		v.CancelURL = p.URL(paths{}.Cancel(e.Slug, r.PathValue("token")))
	case state == events.Requested:
		v.Button = p.T("register.confirm")
		v.CancelURL = p.URL(paths{}.Cancel(e.Slug, r.PathValue("token")))
	}
	closed := e.OpenFor(s.cfg.Now())
	v.Form = closed == nil
	switch {
	case notice != "":
		v.Notice = notice
	case e.Status == events.StatusCancelled:
		v.Notice, v.CancelURL = p.T("register.cancelled"), ""
	case state == events.Registered:
		v.Notice = p.Tf("register.registered", "Personen", p.count(rg.reg.People, "person", "personen"))
	case state == events.Waiting:
		v.Notice = p.Tf("register.waiting", "Personen", p.count(rg.reg.People, "person", "personen"), "Platz", strconv.Itoa(rg.reg.Position))
	case closed != nil:
		v.Notice = p.T("register.closed")
	case state == events.Requested:
		v.Notice = p.T("register.requested")
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
