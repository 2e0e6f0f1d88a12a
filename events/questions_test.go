package events_test

import (
	"errors"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/events"
)

// baseFile is an event file that takes registrations, for questions to
// be added to.
const baseFile = `slug: fragen-test
title: Fragen
start: 2027-07-05 9:00
end: 2027-07-05 15:00
place: Kreisvolkshochschule
registration: true
`

// Every broken question is named by its field, all at once.
func TestQuestionsInTheEventFile(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		field      string
		problem    events.Problem
	}{
		{"no id", "fragen:\n  - art: text\n    frage: Schule\n", "fragen", events.ProblemQuestionID},
		{"bad id", "fragen:\n  - id: Schule!\n    art: text\n    frage: Schule\n", "fragen", events.ProblemQuestionID},
		{"twice", "fragen:\n  - {id: a, art: text, frage: A}\n  - {id: a, art: text, frage: B}\n", "fragen", events.ProblemQuestionID},
		{"no kind", "fragen:\n  - {id: a, art: freitext, frage: A}\n", "fragen.a.art", events.ProblemQuestionKind},
		{"no text", "fragen:\n  - {id: a, art: text}\n", "fragen.a.frage", events.ProblemMissing},
		{"one option", "fragen:\n  - {id: a, art: auswahl, frage: A, optionen: [x]}\n", "fragen.a.optionen", events.ProblemOptions},
		{"same option twice", "fragen:\n  - {id: a, art: auswahl, frage: A, optionen: [x, x]}\n", "fragen.a.optionen", events.ProblemOptions},
		{"options on text", "fragen:\n  - {id: a, art: text, frage: A, optionen: [x, y]}\n", "fragen.a.optionen", events.ProblemOptions},
		{"English options do not match", "fragen:\n  - {id: a, art: auswahl, frage: A, optionen: [x, y], optionen_en: [x]}\n", "fragen.a.optionen_en", events.ProblemOptions},
		{"min above max", "fragen:\n  - {id: a, art: zahl, frage: A, min: 18, max: 12}\n", "fragen.a.min", events.ProblemRange},
		{"min on text", "fragen:\n  - {id: a, art: text, frage: A, min: 1}\n", "fragen.a.min", events.ProblemRange},
		{"names", "namen: vielleicht\n", "namen", events.ProblemNames},
		{"party beyond the most", "party_max: 501\n", "party_max", events.ProblemPartySize},
		{"follow-up at no time", "nachbereitung:\n  nach: bald\n  betreff: Danke\n  text: Danke.\n", "nachbereitung.nach", events.ProblemOffset},
		{"follow-up too late", "nachbereitung:\n  nach: 100d\n  betreff: Danke\n  text: Danke.\n", "nachbereitung.nach", events.ProblemFollowUpAfter},
		{"follow-up without a subject", "nachbereitung:\n  nach: 2d\n  text: Danke.\n", "nachbereitung.betreff", events.ProblemMissing},
		{"follow-up without a time", "nachbereitung:\n  betreff: Danke\n  text: Danke.\n", "nachbereitung.nach", events.ProblemMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := events.ParseYAML(strings.NewReader(baseFile + tc.yaml))
			var fields events.InvalidFields
			if !errors.As(err, &fields) {
				t.Fatalf("got %v, want InvalidFields", err)
			}
			for _, fe := range fields {
				if fe.Field == tc.field && fe.Problem == tc.problem {
					return
				}
			}
			t.Errorf("got %v, want %s: %s", err, tc.field, tc.problem)
		})
	}
	// An unknown key inside a question is named with its line.
	_, err := events.ParseYAML(strings.NewReader(baseFile + "fragen:\n  - {id: a, art: text, frage: A, pflichtfeld: true}\n"))
	var fe events.FileErrors
	if !errors.As(err, &fe) || fe[0].Problem != events.ProblemUnknownKey || fe[0].Value != "pflichtfeld" || fe[0].Line != 8 {
		t.Errorf("unknown key: %v", err)
	}
	// Questions need registration.
	_, err = events.ParseYAML(strings.NewReader(strings.Replace(baseFile, "registration: true", "registration: false", 1) +
		"fragen:\n  - {id: a, art: text, frage: A}\n"))
	if err == nil || !strings.Contains(err.Error(), "fragen: needs_registration") {
		t.Errorf("questions without registration: %v", err)
	}
	// A consent is required whatever the file says; a class may be large.
	spec, err := events.ParseYAML(strings.NewReader(baseFile + "capacity: 120\nparty_max: 30\nfragen:\n  - {id: fotos, art: einwilligung, frage: Ich willige ein, pflicht: false}\n"))
	if err != nil || !spec.Questions[0].Required || spec.MaxParty() != 30 {
		t.Errorf("consent: %+v, %v", spec, err)
	}
}

func talentCampus(t testing.TB) events.Spec {
	t.Helper()
	r, err := os.Open("../examples/events/talent-campus-2027.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	spec, err := events.ParseYAML(r)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// The answers of a form are read and checked per question and person.
func TestReadAnswers(t *testing.T) {
	spec := talentCampus(t) // names required; age 12–18 and lunch per child; allergies; photo consent
	family := url.Values{
		"f-fotos": {"yes"}, "f-allergien": {" Nüsse "},
		"t1-name": {"Lena"}, "t1-alter": {"13"}, "t1-essen": {"2"},
		"t2-name": {"Max"}, "t2-alter": {"15"}, "t2-essen": {"1"},
		"t3-name": {"Emil"}, "t3-alter": {" 12 "}, "t3-essen": {"3"},
	}
	want := events.Answers{
		Answers: map[string][]string{"fotos": {"yes"}, "allergien": {"Nüsse"}},
		Participants: []events.Participant{
			{Name: "Lena", Answers: map[string][]string{"alter": {"13"}, "essen": {"vegetarisch"}}},
			{Name: "Max", Answers: map[string][]string{"alter": {"15"}, "essen": {"mit Fleisch"}}},
			{Name: "Emil", Answers: map[string][]string{"alter": {"12"}, "essen": {"vegan"}}},
		},
		Agreed: map[string]string{"fotos": spec.Questions[3].Text},
	}
	got, err := spec.ReadAnswers(family, 3)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, %v\nwant %+v", got, err, want)
	}
	// What is stored fills the form in again.
	if back := url.Values(spec.FormValues(got)); !reflect.DeepEqual(back, url.Values{
		"f-fotos": {"yes"}, "f-allergien": {"Nüsse"},
		"t1-name": {"Lena"}, "t1-alter": {"13"}, "t1-essen": {"2"},
		"t2-name": {"Max"}, "t2-alter": {"15"}, "t2-essen": {"1"},
		"t3-name": {"Emil"}, "t3-alter": {"12"}, "t3-essen": {"3"},
	}) {
		t.Errorf("form values %v", back)
	}

	for _, tc := range []struct {
		name   string
		change url.Values
		people int
		want   []events.AnswerError
	}{
		{"no consent", url.Values{"f-fotos": nil}, 3, []events.AnswerError{{Field: "f-fotos", Question: "fotos", Problem: events.AnswerMissing}}},
		{"consent forged", url.Values{"f-fotos": {"vielleicht"}}, 3, []events.AnswerError{{Field: "f-fotos", Question: "fotos", Problem: events.AnswerBadChoice}}},
		{"too young", url.Values{"t2-alter": {"11"}}, 3, []events.AnswerError{{Field: "t2-alter", Question: "alter", Person: 2, Problem: events.AnswerTooSmall, Limit: 12}}},
		{"too old", url.Values{"t1-alter": {"19"}}, 3, []events.AnswerError{{Field: "t1-alter", Question: "alter", Person: 1, Problem: events.AnswerTooLarge, Limit: 18}}},
		{"not a number", url.Values{"t1-alter": {"zwölf"}}, 3, []events.AnswerError{{Field: "t1-alter", Question: "alter", Person: 1, Problem: events.AnswerNotNumber}}},
		{"no such option", url.Values{"t3-essen": {"4"}}, 3, []events.AnswerError{{Field: "t3-essen", Question: "essen", Person: 3, Problem: events.AnswerBadChoice}}},
		{"two of one choice", url.Values{"t3-essen": {"1", "2"}}, 3, []events.AnswerError{{Field: "t3-essen", Question: "essen", Person: 3, Problem: events.AnswerBadChoice}}},
		{"no name", url.Values{"t2-name": {" "}}, 3, []events.AnswerError{{Field: "t2-name", Question: "name", Person: 2, Problem: events.AnswerMissing}}},
		{"line break", url.Values{"f-allergien": {"a\nb"}}, 3, []events.AnswerError{{Field: "f-allergien", Question: "allergien", Problem: events.AnswerInvisible}}},
		{"too long", url.Values{"f-allergien": {strings.Repeat("x", events.MaxAnswerLength+1)}}, 3,
			[]events.AnswerError{{Field: "f-allergien", Question: "allergien", Problem: events.AnswerTooLong, Limit: events.MaxAnswerLength}}},
		{"a fourth child nobody named", nil, 4, []events.AnswerError{
			{Field: "t4-name", Question: "name", Person: 4, Problem: events.AnswerMissing},
			{Field: "t4-alter", Question: "alter", Person: 4, Problem: events.AnswerMissing},
			{Field: "t4-essen", Question: "essen", Person: 4, Problem: events.AnswerMissing}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range family {
				form[k] = v
			}
			for k, v := range tc.change {
				form[k] = v
			}
			_, err := spec.ReadAnswers(form, tc.people)
			var got events.AnswerErrors
			if !errors.As(err, &got) || !reflect.DeepEqual([]events.AnswerError(got), tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// Multiple choice keeps each option once, in the order sent; a school
// class may leave its names empty.
func TestReadAnswersOfAClass(t *testing.T) {
	spec, err := events.ParseYAML(strings.NewReader(mustRead(t, "../examples/events/seminarfachboerse-2027.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	got, err := spec.ReadAnswers(url.Values{"f-schule": {"Herder-Gymnasium"}, "f-rolle": {"1"}, "f-themen": {"3", "1", "3"}, "f-beamer": {"no"},
		"t1-name": {"Ali"}}, 25)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Answers["themen"], []string{"Wirtschaft", "Technik"}) || got.Answers["beamer"][0] != events.No ||
		len(got.Participants) != 25 || got.Participants[0].Name != "Ali" || got.Participants[24].Name != "" {
		t.Errorf("got %+v", got)
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
