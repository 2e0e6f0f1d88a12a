package events

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

// QuestionKind is what a question of an event asks for. The values are
// the words of the event file (art:).
type QuestionKind string

// The kinds of question.
const (
	QuestionText    QuestionKind = "text"            // a line of text
	QuestionNumber  QuestionKind = "zahl"            // a whole number, between Min and Max where given
	QuestionChoice  QuestionKind = "auswahl"         // one of Options
	QuestionChoices QuestionKind = "mehrfachauswahl" // any of Options
	QuestionYesNo   QuestionKind = "ja_nein"         // yes or no
	QuestionConsent QuestionKind = "einwilligung"    // a box that must be ticked; Text is its wording
	maxQuestions                 = 30
	maxOptions                   = 30
	maxQuestionText              = 1000 // a consent's wording may be a paragraph
	maxOption                    = 200
	MaxAnswerLength              = 500 // the longest answer to a text question
)

// Question is a question an event asks everyone who registers (the meal
// wish, the school's name) or each person they bring (PerPerson: each
// child's age). Its ID names its answers and the form's field; it is
// never shown.
type Question struct {
	ID     string       `json:"id" yaml:"id"`
	Kind   QuestionKind `json:"kind" yaml:"art"`
	Text   string       `json:"text" yaml:"frage"`
	TextEN string       `json:"text_en,omitempty" yaml:"frage_en,omitempty"`
	// Hint says more below the question ("für die Verpflegung").
	Hint   string `json:"hint,omitempty" yaml:"hinweis,omitempty"`
	HintEN string `json:"hint_en,omitempty" yaml:"hinweis_en,omitempty"`
	// Required: no registration without an answer. A consent is always
	// required.
	Required  bool `json:"required,omitempty" yaml:"pflicht,omitempty"`
	PerPerson bool `json:"per_person,omitempty" yaml:"je_person,omitempty"`
	// Min and Max bound a number; nil for no bound.
	Min *int `json:"min,omitempty" yaml:"min,omitempty"`
	Max *int `json:"max,omitempty" yaml:"max,omitempty"`
	// Options are the choices, in German; OptionsEN the same in English,
	// in the same order, or none. The answer keeps the German option.
	Options   []string `json:"options,omitempty" yaml:"optionen,omitempty"`
	OptionsEN []string `json:"options_en,omitempty" yaml:"optionen_en,omitempty"`
}

// Names says whether a registration names each person it brings.
type Names string

// The rules for the participants' names (namen: in the event file).
const (
	NamesNone     Names = ""         // not asked
	NamesOptional Names = "optional" // asked, may stay empty
	NamesRequired Names = "pflicht"  // each person must be named
)

// The problems of questions (FieldError; the field is fragen.ID.KEY).
const (
	ProblemQuestionID   Problem = "bad_question_id"   // Value: not 1 to 30 of a-z, 0-9 and _, or taken twice
	ProblemQuestionKind Problem = "bad_question_kind" // Value: no kind of question
	ProblemOptions      Problem = "bad_options"       // a choice without two options, options on another kind, or the English ones not matching; Limit: the most
	ProblemRange        Problem = "bad_range"         // min or max on what is no number, or min above max
	ProblemNames        Problem = "bad_names"         // Value: neither optional nor pflicht
	ProblemTooMany      Problem = "too_many"          // Limit: the most
)

var questionID = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// Label is the question in English (en) or German.
func (q Question) Label(en bool) string {
	if en && q.TextEN != "" {
		return q.TextEN
	}
	return q.Text
}

// HintIn is the hint in English (en) or German.
func (q Question) HintIn(en bool) string {
	if en && q.HintEN != "" {
		return q.HintEN
	}
	return q.Hint
}

// OptionLabels are the choices in English (en) or German.
func (q Question) OptionLabels(en bool) []string {
	if en && len(q.OptionsEN) == len(q.Options) {
		return q.OptionsEN
	}
	return q.Options
}

// checkQuestions normalises and checks the questions and the rule for
// names.
func (s *Spec) checkQuestions(fail func(field string, p Problem, value string, limit int)) {
	switch s.Names {
	case NamesNone, NamesOptional, NamesRequired:
	default:
		fail("namen", ProblemNames, string(s.Names), 0)
	}
	if len(s.Questions) > maxQuestions {
		fail("fragen", ProblemTooMany, "", maxQuestions)
		return
	}
	if len(s.Questions) > 0 && !s.Registration {
		fail("fragen", ProblemNeedsRegistration, "", 0)
	}
	var seen []string
	for i := range s.Questions {
		q := &s.Questions[i]
		q.ID = strings.TrimSpace(q.ID)
		if !questionID.MatchString(q.ID) || slices.Contains(seen, q.ID) {
			fail("fragen", ProblemQuestionID, q.ID, 0)
			continue
		}
		seen = append(seen, q.ID)
		field := "fragen." + q.ID + "."
		text := func(key string, v *string, limit int, required bool) {
			*v = strings.TrimSpace(*v)
			switch {
			case required && *v == "":
				fail(field+key, ProblemMissing, "", 0)
			case len([]rune(*v)) > limit:
				fail(field+key, ProblemTooLong, "", limit)
			case strings.ContainsFunc(*v, plain.Forbidden):
				fail(field+key, ProblemInvisible, "", 0)
			}
		}
		text("frage", &q.Text, maxQuestionText, true)
		text("frage_en", &q.TextEN, maxQuestionText, false)
		text("hinweis", &q.Hint, maxQuestionText, false)
		text("hinweis_en", &q.HintEN, maxQuestionText, false)
		choice := q.Kind == QuestionChoice || q.Kind == QuestionChoices
		switch q.Kind {
		case QuestionText, QuestionNumber, QuestionChoice, QuestionChoices, QuestionYesNo:
		case QuestionConsent:
			q.Required = true
		default:
			fail(field+"art", ProblemQuestionKind, string(q.Kind), 0)
		}
		switch {
		case choice && (len(q.Options) < 2 || len(q.Options) > maxOptions):
			fail(field+"optionen", ProblemOptions, "", maxOptions)
		case !choice && (len(q.Options) > 0 || len(q.OptionsEN) > 0):
			fail(field+"optionen", ProblemOptions, "", maxOptions)
		case len(q.OptionsEN) > 0 && len(q.OptionsEN) != len(q.Options):
			fail(field+"optionen_en", ProblemOptions, "", maxOptions)
		}
		for j := range q.Options {
			text(fmt.Sprintf("optionen[%d]", j+1), &q.Options[j], maxOption, true)
		}
		for j := range q.OptionsEN {
			text(fmt.Sprintf("optionen_en[%d]", j+1), &q.OptionsEN[j], maxOption, true)
		}
		if q.Options != nil && len(slices.Compact(slices.Sorted(slices.Values(q.Options)))) != len(q.Options) {
			fail(field+"optionen", ProblemOptions, "", maxOptions)
		}
		switch {
		case (q.Min != nil || q.Max != nil) && q.Kind != QuestionNumber:
			fail(field+"min", ProblemRange, "", 0)
		case q.Min != nil && q.Max != nil && *q.Min > *q.Max:
			fail(field+"min", ProblemRange, "", 0)
		}
	}
}

// Asks reports whether a registration for the event names the people it
// brings or answers a question for each: the form then has a block per
// person.
func (s Spec) Asks() (perPerson bool) {
	if s.Names != NamesNone {
		return true
	}
	return slices.ContainsFunc(s.Questions, func(q Question) bool { return q.PerPerson })
}

// Question returns the question with id, or false.
func (s Spec) Question(id string) (Question, bool) {
	i := slices.IndexFunc(s.Questions, func(q Question) bool { return q.ID == id })
	if i < 0 {
		return Question{}, false
	}
	return s.Questions[i], true
}
