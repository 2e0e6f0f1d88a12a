package subscribers

import (
	"fmt"
	"slices"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// fieldProblem is one field of a new subscriber that breaks the rules.
type fieldProblem struct {
	field Field
	value string
	err   error
}

// check applies the rules to every field of n, against the known topics, and
// returns n normalised together with one problem per bad field (and per
// unknown topic). Add stops at the first problem; the import reports them
// all, each in its column. An empty kind is ErrKindMissing.
func (n NewSubscriber) check(known map[string]Topic) (NewSubscriber, []fieldProblem) {
	var (
		out      NewSubscriber
		problems []fieldProblem
		err      error
	)
	fail := func(f Field, value string, err error) {
		problems = append(problems, fieldProblem{f, value, err})
	}
	if out.Email, err = NormalizeEmail(n.Email); err != nil {
		fail(FieldEmail, n.Email, err)
	}
	if out.Name, err = CleanText(n.Name, MaxNameLength); err != nil {
		fail(FieldName, n.Name, err)
	}
	if out.Organisation, err = CleanText(n.Organisation, MaxNameLength); err != nil {
		fail(FieldOrganisation, n.Organisation, err)
	}
	if n.Kind == "" {
		fail(FieldKind, "", ErrKindMissing)
	} else if out.Kind, err = ParseKind(string(n.Kind)); err != nil {
		fail(FieldKind, string(n.Kind), err)
	}
	if out.Language, err = i18n.Parse(string(n.Language)); err != nil {
		fail(FieldLanguage, string(n.Language), err)
	}
	if out.Salutation, err = ParseSalutation(string(n.Salutation)); err != nil {
		fail(FieldSalutation, string(n.Salutation), err)
	}
	if out.Phone, err = CleanPhone(n.Phone); err != nil {
		fail(FieldPhone, n.Phone, err)
	}
	if out.Note, err = CleanNote(n.Note); err != nil {
		fail(FieldNote, n.Note, err)
	}
	for _, t := range n.Topics {
		slug, ok := resolveTopic(t, known)
		if !ok {
			fail(FieldTopics, t, fmt.Errorf("%w %q", ErrUnknownTopic, t))
			continue
		}
		if !slices.Contains(out.Topics, slug) {
			out.Topics = append(out.Topics, slug)
		}
	}
	return out, problems
}

// normalize checks every field of n and returns it normalised, or the first
// problem.
func (n NewSubscriber) normalize(known map[string]Topic) (NewSubscriber, error) {
	out, problems := n.check(known)
	if len(problems) == 0 {
		return out, nil
	}
	p := problems[0]
	switch p.field {
	case FieldName, FieldOrganisation:
		return n, fmt.Errorf("subscribers: %s: %w", p.field, p.err)
	default:
		return n, p.err
	}
}
