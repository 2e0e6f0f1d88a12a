package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// publicForm is the registration form on an event's page, for anyone: a
// name, an address, the number of people and the event's questions, and
// the newsletter as a separate, unticked box.
type publicForm struct {
	Action     string
	Name       string
	Email      string
	Newsletter bool
	// NewsletterText is the consent wording of the subscription form.
	NewsletterText string
	Questions      *questionsView
	Errors         []fieldMessage
	// Err holds the messages of name and email by field.
	errs map[string]string
}

// Err is the message for the field id, or "".
func (f *publicForm) Err(id string) string { return f.errs[id] }

// newPublicForm is the form of event e on page p, filled in with what rf
// holds (nil: empty).
func newPublicForm(p *page, e *events.Event, rf *regForm) *publicForm {
	if rf == nil {
		rf = &regForm{people: 1}
	}
	return &publicForm{
		Action: p.URL(paths{}.Event(e.Slug)), NewsletterText: p.T("subscribe.consent"),
		Questions: questionsOf(p, e, rf.values, rf.people, rf.errs), Errors: rf.summary(), errs: rf.errs,
	}
}

// requestRegistration takes the public form: it checks it, and records a
// request that holds no place, mailing a link to confirm it (see
// events.Store.Request). Every accepted form gets the same answer,
// whatever became of it, so that nobody learns from it who is
// registered. With the newsletter box ticked, the subscription is asked
// for as on the subscription form, with its own mail to confirm.
func (s *Server) requestRegistration(w http.ResponseWriter, r *http.Request) {
	if !s.limiter.allow(s.clientIP(r)) {
		s.fail(w, r, http.StatusTooManyRequests)
		return
	}
	if !s.readForm(w, r) {
		return
	}
	e, ok := s.publicEvent(w, r)
	if !ok {
		return
	}
	l := pageLang(r, nil)
	p := s.newPage(r, l, "", paths{}.Event(e.Slug))
	if e.OpenFor(s.cfg.Now()) != nil {
		s.showEvent(w, r, p, e, http.StatusConflict, nil)
		return
	}
	rf, answers := readRegForm(p, e, r)
	name := strings.TrimSpace(r.PostForm.Get("name"))
	email := strings.TrimSpace(r.PostForm.Get("email"))
	newsletter := r.PostForm.Get("newsletter") == "yes"
	form := func(rf *regForm) *publicForm {
		f := newPublicForm(p, e, rf)
		f.Name, f.Email, f.Newsletter = name, email, newsletter
		return f
	}
	if r.PostForm.Get("step") == "recount" {
		rf.errs, rf.order = nil, nil
		s.showEvent(w, r, p, e, http.StatusOK, form(rf))
		return
	}
	// Name and address come first on the form and in the summary.
	head := &regForm{}
	if _, err := subscribers.CleanText(name, subscribers.MaxNameLength); err != nil || name == "" {
		head.fail("name", p.T("answer.missingName"))
	}
	if _, err := subscribers.NormalizeEmail(email); err != nil {
		head.fail("email", p.T("error.email"))
	}
	for _, id := range rf.order {
		head.fail(id, rf.errs[id])
	}
	head.values, head.people = rf.values, rf.people
	if len(head.errs) > 0 {
		s.showEvent(w, r, p, e, http.StatusUnprocessableEntity, form(head))
		return
	}

	ctx := r.Context()
	kind := subscribers.KindOther
	if len(e.Kinds) == 1 {
		kind = e.Kinds[0]
	}
	if newsletter {
		version, _ := s.cfg.Texts.Consent(l)
		res, err := s.cfg.Store.Subscribe(ctx, subscribers.NewSubscriber{Email: email, Name: name, Kind: kind, Language: l, Topics: e.Topics},
			s.consent(r, version))
		if err != nil {
			s.internal(w, r, "subscribing from an event page", err)
			return
		}
		s.enqueue(ctx, res.Mail)
	}
	sub, _, err := s.cfg.Store.FindOrAddContact(ctx, subscribers.NewContact{
		Email: email, Name: name, Kind: kind, Language: l, Source: subscribers.SourceWeb,
		Note: "Anmeldung auf der Veranstaltungsseite: " + e.Slug,
	})
	switch {
	case errors.Is(err, subscribers.ErrSuppressed):
		// An address that asked never to be written to again gets
		// nothing, and the page says what it says to everyone.
		s.cfg.Logger.Info("registration request for a suppressed address", "event", e.ID)
		s.sayRequested(w, r, p, e)
		return
	case err != nil:
		s.internal(w, r, "adding a contact", err)
		return
	}
	out, err := s.cfg.Events.Request(ctx, events.Entry{EventID: e.ID, SubscriberID: sub.ID, People: rf.people, Answers: &answers,
		Source: events.ByWeb}, s.cfg.Now())
	switch {
	case errors.Is(err, events.ErrClosed):
		s.showEvent(w, r, p, e, http.StatusConflict, nil)
		return
	case errors.Is(err, events.ErrPartySize):
		head.fail("people", p.Tf("register.badPeople", "Höchstens", strconv.Itoa(e.MaxParty())))
		s.showEvent(w, r, p, e, http.StatusUnprocessableEntity, form(head))
		return
	case err != nil:
		s.internal(w, r, "requesting a registration", err)
		return
	}
	s.cfg.Logger.Info("registration requested", "event", e.ID, "subscriber", sub.ID, "status", out.Registration.Status, "mailed", out.Mail != 0)
	if out.Mail != 0 {
		s.queueRegistrationMails(r, &events.Outcome{Mails: []int64{out.Mail}})
	}
	s.sayRequested(w, r, p, e)
}

// sayRequested is the answer to every accepted public form.
func (s *Server) sayRequested(w http.ResponseWriter, r *http.Request, p *page, e *events.Event) {
	p.Title = p.T("requested.title")
	s.say(w, r, http.StatusOK, p, []string{"requested.text1", "requested.text2"}, nil,
		link{URL: p.URL(paths{}.Event(e.Slug)), Label: p.T("register.eventLink")})
}
