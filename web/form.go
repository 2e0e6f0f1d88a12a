package web

import (
	"errors"
	"net/http"
	"slices"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// formView is the subscription form or the preferences form: the values as
// the person typed them, and an error next to each field that needs one.
type formView struct {
	Action       string
	Email        string
	Name         string
	Organisation string
	Kind         string
	Language     string
	Consent      bool
	Age          bool
	Topics       []option
	Kinds        []option
	Languages    []option
	// Errors lists the problems in field order, for the summary at the top;
	// each links to its field by ID.
	Errors []fieldMessage

	// On the preferences page: where its other forms go.
	Status            subscribers.Status
	UnsubscribeAction string
	DataAction        string
	DeleteURL         string
	// Registrations are the person's registrations for events to come.
	Registrations []registrationItem
}

// registrationItem is one of a person's registrations on their
// preferences page.
type registrationItem struct {
	Title, EventURL, When, State, ChangeURL string
}

type option struct {
	Value   string
	Label   string
	Checked bool
	// Hint says more about the choice, below its label.
	Hint string
}

type fieldMessage struct {
	ID      string
	Message string
}

// Err is the message for field id, or "".
func (f *formView) Err(id string) string {
	for _, e := range f.Errors {
		if e.ID == id {
			return e.Message
		}
	}
	return ""
}

func (f *formView) fail(id, message string) {
	if f.Err(id) == "" {
		f.Errors = append(f.Errors, fieldMessage{ID: id, Message: message})
	}
}

// fieldOrder is the order of the fields on the forms, for the summary.
var fieldOrder = []string{"email", "name", "organisation", "kind", "topics", "language", "consent", "age"}

func (f *formView) sortErrors() {
	slices.SortStableFunc(f.Errors, func(a, b fieldMessage) int {
		return slices.Index(fieldOrder, a.ID) - slices.Index(fieldOrder, b.ID)
	})
}

// readForm parses the request's form into f. It answers 413 or 400 itself
// and returns false when the body cannot be read.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			s.fail(w, r, http.StatusRequestEntityTooLarge)
		} else {
			s.fail(w, r, http.StatusBadRequest)
		}
		return false
	}
	return true
}

// formFromRequest takes the fields of a submitted form.
func formFromRequest(r *http.Request) *formView {
	return &formView{
		Email:        r.PostForm.Get("email"),
		Name:         r.PostForm.Get("name"),
		Organisation: r.PostForm.Get("organisation"),
		Kind:         r.PostForm.Get("kind"),
		Language:     r.PostForm.Get("language"),
		Consent:      r.PostForm.Get("consent") == "yes",
		Age:          r.PostForm.Get("age") == "yes",
	}
}

// options fills in the choices of the form, marking what f holds.
func (f *formView) options(p *page, topics []subscribers.Topic, chosen []string) {
	l := p.Lang
	f.Topics = f.Topics[:0]
	for _, t := range topics {
		o := option{Value: t.Slug, Label: t.Title(l), Checked: slices.Contains(chosen, t.Slug)}
		if t.Slug == subscribers.TopicAllEvents {
			o.Hint = p.T("subscribe.allEventsHint")
		}
		f.Topics = append(f.Topics, o)
	}
	f.Kinds = f.Kinds[:0]
	for _, k := range subscribers.Kinds() {
		f.Kinds = append(f.Kinds, option{Value: string(k), Label: p.T("kind." + string(k)), Checked: f.Kind == string(k)})
	}
	if f.Language == "" {
		f.Language = string(p.Lang)
	}
	f.Languages = []option{
		{Value: "de", Label: p.T("language.de"), Checked: f.Language == "de"},
		{Value: "en", Label: p.T("language.en"), Checked: f.Language == "en"},
	}
}

// storeErrors puts the subscriber store's field errors next to their
// fields, in words for the person who typed them.
func (f *formView) storeErrors(p *page, invalid subscribers.InvalidFields) {
	for _, fe := range invalid {
		switch fe.Field {
		case subscribers.FieldEmail:
			f.fail("email", p.T("error.email"))
		case subscribers.FieldName:
			f.fail("name", p.T("error.text"))
		case subscribers.FieldOrganisation:
			f.fail("organisation", p.T("error.text"))
		case subscribers.FieldKind:
			f.fail("kind", p.T("error.kind"))
		case subscribers.FieldTopics:
			f.fail("topics", p.T("error.topics"))
		case subscribers.FieldLanguage:
			f.fail("language", p.T("error.language"))
		}
	}
}
