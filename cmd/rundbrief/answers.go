package main

import (
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/events"
)

// answerWords say a yes/no answer and a ticked consent in German.
var answerWords = map[string]string{events.Yes: "ja", events.No: "nein"}

// answerText is the answer vals to q as staff read it.
func answerText(q events.Question, vals []string) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if w, ok := answerWords[v]; ok && (q.Kind == events.QuestionYesNo || q.Kind == events.QuestionConsent) {
			v = w
		}
		out[i] = v
	}
	return strings.Join(out, ", ")
}

// shortLabel is a question as a column heading: a consent's wording is a
// paragraph, the heading its first words.
func shortLabel(q events.Question) string { return shorten(q.Text, 40) }

// sharedAnswers are the answers a registration gave once, "Frage: Antwort",
// in the order of the questions; unanswered ones are left out.
func sharedAnswers(e *events.Event, a events.Answers) []string {
	var out []string
	for _, q := range e.Questions {
		if vals := a.Answers[q.ID]; !q.PerPerson && len(vals) > 0 {
			out = append(out, shortLabel(q)+": "+answerText(q, vals))
		}
	}
	return out
}

// personAnswers are the people a registration brings, one line each:
// "Lena (Alter: 13, Mittagessen: vegetarisch)"; "Person 2" for one
// without a name.
func personAnswers(e *events.Event, a events.Answers) []string {
	var out []string
	for i, p := range a.Participants {
		name := p.Name
		if name == "" {
			name = "Person " + strconv.Itoa(i+1)
		}
		var parts []string
		for _, q := range e.Questions {
			if vals := p.Answers[q.ID]; q.PerPerson && len(vals) > 0 {
				parts = append(parts, shortLabel(q)+": "+answerText(q, vals))
			}
		}
		if len(parts) > 0 {
			name += " (" + strings.Join(parts, ", ") + ")"
		}
		if p.Name != "" || len(parts) > 0 {
			out = append(out, name)
		}
	}
	return out
}

// answerColumns are the CSV headings of e's questions: one per question
// asked once, then the names and one per question asked of each person.
func answerColumns(e *events.Event) []string {
	var cols []string
	for _, q := range e.Questions {
		if !q.PerPerson {
			cols = append(cols, shortLabel(q))
		}
	}
	if e.Names != events.NamesNone {
		cols = append(cols, "Namen der Teilnehmenden")
	}
	for _, q := range e.Questions {
		if q.PerPerson {
			cols = append(cols, shortLabel(q)+" (je Person)")
		}
	}
	return cols
}

// answerCells are a registration's answers under answerColumns: the
// answers per person in the order of the people, separated by "; ".
func answerCells(e *events.Event, a events.Answers) []string {
	var cells []string
	for _, q := range e.Questions {
		if !q.PerPerson {
			cells = append(cells, answerText(q, a.Answers[q.ID]))
		}
	}
	perPerson := func(value func(events.Participant) string) string {
		vals := make([]string, len(a.Participants))
		for i, p := range a.Participants {
			vals[i] = value(p)
		}
		return strings.Join(vals, "; ")
	}
	if e.Names != events.NamesNone {
		cells = append(cells, perPerson(func(p events.Participant) string { return p.Name }))
	}
	for _, q := range e.Questions {
		if q.PerPerson {
			cells = append(cells, perPerson(func(p events.Participant) string { return answerText(q, p.Answers[q.ID]) }))
		}
	}
	return cells
}
