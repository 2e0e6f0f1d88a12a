package events

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

// Answers are what a registration answered to its event's questions:
// those asked once, and per person the name and the answers asked of
// each. Choices keep the option's German words, yes/no questions "yes" or
// "no", a ticked consent "yes" with the wording agreed to in Agreed.
// Answers are deleted with their registration, and when it is cancelled.
type Answers struct {
	Answers      map[string][]string `json:"answers,omitempty"`
	Participants []Participant       `json:"participants,omitempty"`
	// Agreed keeps the wording of each consent ticked, by question, as it
	// stood when the box was ticked: the proof of what was agreed.
	Agreed map[string]string `json:"agreed,omitempty"`
}

// Participant is one person a registration brings, in order.
type Participant struct {
	Name    string              `json:"name,omitempty"`
	Answers map[string][]string `json:"answers,omitempty"`
}

// The values of a yes/no question and of a ticked consent.
const (
	Yes = "yes"
	No  = "no"
)

// IsZero reports whether nothing is answered.
func (a Answers) IsZero() bool {
	return len(a.Answers) == 0 && len(a.Participants) == 0 && len(a.Agreed) == 0
}

// Value stores the answers as a JSON object.
func (a Answers) Value() (driver.Value, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("events: answers: %w", err)
	}
	return string(b), nil
}

// Scan reads answers stored by Value.
func (a *Answers) Scan(src any) error {
	*a = Answers{}
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("events: answers from %T", src)
	}
	return json.Unmarshal(b, a)
}

// AnswerProblem says what is wrong with an answer, as a code; the web
// pages say it in words.
type AnswerProblem string

// The problems of an answer.
const (
	AnswerMissing   AnswerProblem = "missing"
	AnswerNotNumber AnswerProblem = "not_a_number"
	AnswerTooSmall  AnswerProblem = "too_small" // Limit: the least
	AnswerTooLarge  AnswerProblem = "too_large" // Limit: the most
	AnswerBadChoice AnswerProblem = "bad_choice"
	AnswerTooLong   AnswerProblem = "too_long" // Limit: the most characters
	AnswerInvisible AnswerProblem = "invisible"
)

// AnswerError is an answer that cannot be taken. Field is the form's
// field (FormField); Person is the person it is about, from 1, or 0 for
// the registration's own questions.
type AnswerError struct {
	Field    string
	Question string // the question's ID, or "name"
	Person   int
	Problem  AnswerProblem
	Limit    int
}

func (e AnswerError) Error() string {
	s := fmt.Sprintf("events: answer %s: %s", e.Field, e.Problem)
	if e.Limit != 0 {
		s += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	return s
}

// AnswerErrors are every answer a form got wrong, in the form's order.
type AnswerErrors []AnswerError

func (es AnswerErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// NameField is the ID of a person's name in FormField.
const NameField = "name"

// FormField is the name of the form field that answers question id for
// person (from 1), or for the registration when person is 0.
func FormField(person int, id string) string {
	if person == 0 {
		return "f-" + id
	}
	return "t" + strconv.Itoa(person) + "-" + id
}

// OptionValue is the form value of option i (from 0) of a choice.
func OptionValue(i int) string { return strconv.Itoa(i + 1) }

// ReadAnswers reads the answers to the event's questions from a form
// (url.Values), for a registration of people persons, and checks them
// all. The form's fields are named by FormField; a choice sends
// OptionValue, a yes/no question Yes or No, a consent Yes. It returns the
// answers as far as they could be read, and every problem (AnswerErrors).
func (s Spec) ReadAnswers(form map[string][]string, people int) (Answers, error) {
	var a Answers
	var errs AnswerErrors
	// read takes the answer to q for person (0: the registration) into
	// to, and keeps the wording of a consent ticked.
	read := func(person int, q Question, to *map[string][]string) []string {
		field := FormField(person, q.ID)
		vals, problem, limit := q.read(form[field])
		if problem != "" {
			errs = append(errs, AnswerError{Field: field, Question: q.ID, Person: person, Problem: problem, Limit: limit})
		}
		if len(vals) == 0 || to == nil {
			return vals
		}
		if *to == nil {
			*to = map[string][]string{}
		}
		(*to)[q.ID] = vals
		if q.Kind == QuestionConsent {
			if a.Agreed == nil {
				a.Agreed = map[string]string{}
			}
			a.Agreed[q.ID] = q.Text
		}
		return vals
	}
	for _, q := range s.Questions {
		if !q.PerPerson {
			read(0, q, &a.Answers)
		}
	}
	if s.Asks() {
		for person := 1; person <= people; person++ {
			var p Participant
			if s.Names != NamesNone {
				name := Question{ID: NameField, Kind: QuestionText, Required: s.Names == NamesRequired}
				if vals := read(person, name, nil); len(vals) > 0 {
					p.Name = vals[0]
				}
			}
			for _, q := range s.Questions {
				if q.PerPerson {
					read(person, q, &p.Answers)
				}
			}
			a.Participants = append(a.Participants, p)
		}
	}
	if len(errs) > 0 {
		return a, errs
	}
	return a, nil
}

// read takes the values sent for q: the answer to keep, or what is wrong.
func (q Question) read(sent []string) (vals []string, problem AnswerProblem, limit int) {
	var given []string
	for _, v := range sent {
		if v = strings.TrimSpace(v); v != "" {
			given = append(given, v)
		}
	}
	if len(given) == 0 {
		if q.Required {
			return nil, AnswerMissing, 0
		}
		return nil, "", 0
	}
	switch q.Kind {
	case QuestionText:
		v := given[0]
		switch {
		case len([]rune(v)) > MaxAnswerLength:
			return nil, AnswerTooLong, MaxAnswerLength
		case strings.ContainsFunc(v, plain.Forbidden) || !utf8.ValidString(v):
			return nil, AnswerInvisible, 0
		}
		return []string{v}, "", 0
	case QuestionNumber:
		n, err := strconv.Atoi(strings.ReplaceAll(given[0], " ", ""))
		switch {
		case err != nil:
			return nil, AnswerNotNumber, 0
		case q.Min != nil && n < *q.Min:
			return nil, AnswerTooSmall, *q.Min
		case q.Max != nil && n > *q.Max:
			return nil, AnswerTooLarge, *q.Max
		}
		return []string{strconv.Itoa(n)}, "", 0
	case QuestionChoice, QuestionChoices:
		if q.Kind == QuestionChoice && len(given) > 1 {
			return nil, AnswerBadChoice, 0
		}
		for _, v := range given {
			i, err := strconv.Atoi(v)
			if err != nil || i < 1 || i > len(q.Options) {
				return nil, AnswerBadChoice, 0
			}
			if o := q.Options[i-1]; !slices.Contains(vals, o) {
				vals = append(vals, o)
			}
		}
		return vals, "", 0
	case QuestionYesNo:
		if v := given[0]; len(given) == 1 && (v == Yes || v == No) {
			return []string{v}, "", 0
		}
		return nil, AnswerBadChoice, 0
	case QuestionConsent:
		if len(given) == 1 && given[0] == Yes {
			return []string{Yes}, "", 0
		}
		return nil, AnswerBadChoice, 0
	}
	return nil, AnswerBadChoice, 0
}

// FormValues are the answers as a form sends them (the inverse of
// ReadAnswers, for a form filled in with what is stored). Answers to
// questions the event no longer asks, or options it no longer offers, are
// left out.
func (s Spec) FormValues(a Answers) map[string][]string {
	out := map[string][]string{}
	put := func(person int, q Question, vals []string) {
		field := FormField(person, q.ID)
		switch q.Kind {
		case QuestionChoice, QuestionChoices:
			for _, v := range vals {
				for i, o := range q.Options {
					if o == v {
						out[field] = append(out[field], OptionValue(i))
					}
				}
			}
		default:
			out[field] = append(out[field], vals...)
		}
	}
	for _, q := range s.Questions {
		if !q.PerPerson {
			put(0, q, a.Answers[q.ID])
		}
	}
	for i, p := range a.Participants {
		if p.Name != "" {
			out[FormField(i+1, NameField)] = []string{p.Name}
		}
		for _, q := range s.Questions {
			if q.PerPerson {
				put(i+1, q, p.Answers[q.ID])
			}
		}
	}
	return out
}
