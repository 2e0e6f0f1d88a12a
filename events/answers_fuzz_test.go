package events_test

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

// Whatever a form sends, ReadAnswers never panics, and what it accepts
// keeps the rules: numbers within their bounds, choices among the
// options, text short and without control or invisible characters, a
// consent only as "yes", as many people as asked.
func FuzzReadAnswers(f *testing.F) {
	f.Add("f-fotos=yes&t1-name=Lena&t1-alter=13&t1-essen=2", 1)
	f.Add("f-fotos=ja&t1-alter=%EF%BC%91%EF%BC%93&t1-essen=0&t1-essen=4", 1)
	f.Add("f-allergien=%00%0A&t2-alter=-1&people=3", 2)
	spec := talentCampus(f)
	f.Fuzz(func(t *testing.T, query string, people int) {
		form, err := url.ParseQuery(query)
		if err != nil || people < 0 || people > 50 {
			return
		}
		a, err := spec.ReadAnswers(form, people)
		if err != nil {
			return
		}
		if len(a.Participants) != people {
			t.Fatalf("%d participants for %d people", len(a.Participants), people)
		}
		check := func(q events.Question, vals []string) {
			for _, v := range vals {
				switch q.Kind {
				case events.QuestionNumber:
					n, err := strconv.Atoi(v)
					if err != nil || (q.Min != nil && n < *q.Min) || (q.Max != nil && n > *q.Max) {
						t.Fatalf("%s: %q accepted", q.ID, v)
					}
				case events.QuestionChoice, events.QuestionChoices:
					if !slices.Contains(q.Options, v) {
						t.Fatalf("%s: %q is no option", q.ID, v)
					}
				case events.QuestionConsent:
					if v != events.Yes {
						t.Fatalf("%s: consent %q", q.ID, v)
					}
				case events.QuestionText:
					if !utf8.ValidString(v) || utf8.RuneCountInString(v) > events.MaxAnswerLength || strings.ContainsFunc(v, plain.Forbidden) || v != strings.TrimSpace(v) {
						t.Fatalf("%s: %q accepted", q.ID, v)
					}
				}
			}
		}
		for _, q := range spec.Questions {
			if !q.PerPerson {
				check(q, a.Answers[q.ID])
			}
			for _, p := range a.Participants {
				check(q, p.Answers[q.ID])
			}
		}
	})
}
