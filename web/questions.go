package web

import (
	"slices"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
)

// questionsView is the part of a registration form that asks the event's
// questions: the number of people, those asked once, and a block per
// person. The public form and the registration page share it.
type questionsView struct {
	People   int
	PartyMax int
	Hint     string
	// PeopleError is the problem with the number of people, if any.
	PeopleError string
	// Blocks: the number of people decides how many person blocks the
	// form has; without JavaScript, "Anzahl übernehmen" sends the form
	// back to get them (Recount).
	Recount bool
	Shared  []questionField
	Persons []personBlock
}

// personBlock asks the name and the questions of one person.
type personBlock struct {
	Legend string
	Fields []questionField
}

// questionField is one question on the form.
type questionField struct {
	Name     string // the form field, events.FormField
	Kind     string // text, number, choice, choices, yesno, consent
	Label    string
	Hint     string
	Required bool
	Value    string
	Min, Max string
	Options  []option
	Error    string
}

// ID is the field's HTML id; the error summary links to it.
func (f questionField) ID() string { return f.Name }

// The kinds of questionField.
var fieldKinds = map[events.QuestionKind]string{
	events.QuestionText: "text", events.QuestionNumber: "number", events.QuestionChoice: "choice",
	events.QuestionChoices: "choices", events.QuestionYesNo: "yesno", events.QuestionConsent: "consent",
}

// questionsOf is the form for event e in p's language, filled in with
// values (as a form sends them; events.FormValues of stored answers), for
// people persons, with errors by field.
func questionsOf(p *page, e *events.Event, values map[string][]string, people int, errs map[string]string) *questionsView {
	en := p.Lang == i18n.English
	v := &questionsView{
		People: people, PartyMax: e.MaxParty(), Hint: p.Tf("register.hint", "Höchstens", strconv.Itoa(e.MaxParty())),
		PeopleError: errs["people"], Recount: e.Asks(),
	}
	field := func(person int, q events.Question) questionField {
		name := events.FormField(person, q.ID)
		f := questionField{
			Name: name, Kind: fieldKinds[q.Kind], Label: q.Label(en), Hint: q.HintIn(en), Required: q.Required, Error: errs[name],
		}
		sent := values[name]
		if len(sent) > 0 {
			f.Value = sent[0]
		}
		if q.Min != nil {
			f.Min = strconv.Itoa(*q.Min)
		}
		if q.Max != nil {
			f.Max = strconv.Itoa(*q.Max)
		}
		for i, label := range q.OptionLabels(en) {
			val := events.OptionValue(i)
			f.Options = append(f.Options, option{Value: val, Label: label, Checked: slices.Contains(sent, val)})
		}
		if q.Kind == events.QuestionYesNo {
			f.Options = []option{
				{Value: events.Yes, Label: p.T("answer.yes"), Checked: f.Value == events.Yes},
				{Value: events.No, Label: p.T("answer.no"), Checked: f.Value == events.No},
			}
		}
		return f
	}
	for _, q := range e.Questions {
		if !q.PerPerson {
			v.Shared = append(v.Shared, field(0, q))
		}
	}
	if !e.Asks() {
		return v
	}
	for person := 1; person <= people; person++ {
		b := personBlock{Legend: p.Tf("answer.person", "Nummer", strconv.Itoa(person))}
		if e.Names != events.NamesNone {
			f := field(person, events.Question{ID: events.NameField, Kind: events.QuestionText, Text: p.T("answer.name"),
				Required: e.Names == events.NamesRequired})
			b.Fields = append(b.Fields, f)
		}
		for _, q := range e.Questions {
			if q.PerPerson {
				b.Fields = append(b.Fields, field(person, q))
			}
		}
		v.Persons = append(v.Persons, b)
	}
	return v
}

// answerMessage says what is wrong with an answer, in p's language.
func answerMessage(p *page, ev *events.Event, e events.AnswerError) string {
	switch e.Problem {
	case events.AnswerMissing:
		if e.Question == events.NameField {
			return p.T("answer.missingName")
		}
		if q, _ := ev.Question(e.Question); q.Kind == events.QuestionConsent {
			return p.T("answer.missingConsent")
		}
		return p.T("answer.missing")
	case events.AnswerNotNumber:
		return p.T("answer.notNumber")
	case events.AnswerTooSmall:
		return p.Tf("answer.tooSmall", "Zahl", strconv.Itoa(e.Limit))
	case events.AnswerTooLarge:
		return p.Tf("answer.tooLarge", "Zahl", strconv.Itoa(e.Limit))
	case events.AnswerTooLong:
		return p.Tf("answer.tooLong", "Zahl", strconv.Itoa(e.Limit))
	case events.AnswerInvisible:
		return p.T("error.text")
	}
	return p.T("answer.badChoice")
}

// readPeople reads the number of people from the form: the number, or
// an error message.
func readPeople(p *page, e *events.Event, form map[string][]string) (int, string) {
	var sent string
	if v := form["people"]; len(v) > 0 {
		sent = v[0]
	}
	n, err := strconv.Atoi(strings.TrimSpace(sent))
	if err != nil || n < 1 || n > e.MaxParty() {
		return 1, p.Tf("register.badPeople", "Höchstens", strconv.Itoa(e.MaxParty()))
	}
	return n, ""
}
