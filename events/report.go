package events

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// KindsOf returns the kind of each of the subscribers ids (company,
// school, family, other) that still exists; package subscribers owns the
// kinds and answers it (subscribers.Store.Kinds).
type KindsOf func(ctx context.Context, ids []int64) (map[int64]string, error)

// Report is what an event's registrations come to, in counts only, for
// the office's funding reports: registrations and people, who came, by
// the kind of the person registering, and by the answers to the event's
// questions that are choices, yes/no, consents or numbers (free text is
// not counted). It is kept when the registrations are deleted.
type Report struct {
	Registrations int `json:"registrations"` // registered parties
	People        int `json:"people"`        // people in them
	Waiting       int `json:"waiting"`       // parties left on the waitlist
	WaitingPeople int `json:"waiting_people"`
	Attended      int `json:"attended"` // registered parties marked as come
	// AttendedPeople are the people of the parties that came.
	AttendedPeople int `json:"attended_people"`
	// ByKind counts the registered parties by the kind of the person who
	// registered; "" for someone no longer known.
	ByKind []KindCount `json:"by_kind,omitempty"`
	// Answers count the answers of the registered parties: a question
	// asked once per party, one asked per person per person.
	Answers []AnswerCount `json:"answers,omitempty"`
	// Kept is when the registrations were deleted and the report kept;
	// nil while they exist.
	Kept *time.Time `json:"kept,omitempty"`
}

// KindCount is one kind's line of a Report.
type KindCount struct {
	Kind          string `json:"kind"`
	Registrations int    `json:"registrations"`
	People        int    `json:"people"`
	Attended      int    `json:"attended"`
}

// AnswerCount is how often one answer to one question was given.
type AnswerCount struct {
	Question string `json:"question"` // its ID
	Label    string `json:"label"`    // its German words when counted
	Answer   string `json:"answer"`
	Count    int    `json:"count"`
}

// reportRow is a registration as the report counts it.
type reportRow struct {
	SubscriberID int64              `db:"subscriber_id"`
	People       int                `db:"people"`
	Status       RegistrationStatus `db:"status"`
	Attended     bool               `db:"attended"`
	Answers      Answers            `db:"answers"`
}

// Report returns the report of event e: counted from its registrations,
// or the one kept when they were deleted.
func (s *Store) Report(ctx context.Context, e *Event, kinds KindsOf) (*Report, error) {
	if e.RegistrationsPurgedAt != nil {
		return keptReport(ctx, s.db, e)
	}
	return countReport(ctx, s.db, e, kinds)
}

// keptReport reads the report kept for e; an event purged before reports
// were kept has its Figures only.
func keptReport(ctx context.Context, q sqlx.QueryerContext, e *Event) (*Report, error) {
	var raw []byte
	if err := sqlx.GetContext(ctx, q, &raw, `SELECT figures_report FROM events WHERE id = $1`, e.ID); err != nil {
		return nil, fmt.Errorf("events: report: %w", err)
	}
	r := &Report{}
	if raw != nil {
		if err := json.Unmarshal(raw, r); err != nil {
			return nil, fmt.Errorf("events: report of %s: %w", e.Slug, err)
		}
	} else if e.Figures != nil {
		r.Registrations, r.People, r.Waiting = e.Figures.Registrations, e.Figures.People, e.Figures.Waiting
	}
	r.Kept = e.RegistrationsPurgedAt
	return r, nil
}

// countReport counts the report of e from its registrations, read
// through q.
func countReport(ctx context.Context, q sqlx.QueryerContext, e *Event, kinds KindsOf) (*Report, error) {
	var rows []reportRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT subscriber_id, people, status, attended_at IS NOT NULL AS attended, answers
		FROM registrations WHERE event_id = $1 AND status IN ('registered', 'waiting') ORDER BY id`, e.ID); err != nil {
		return nil, fmt.Errorf("events: report: %w", err)
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.SubscriberID)
	}
	kindOf := map[int64]string{}
	if kinds != nil && len(ids) > 0 {
		var err error
		if kindOf, err = kinds(ctx, ids); err != nil {
			return nil, err
		}
	}
	rep := &Report{}
	byKind := map[string]*KindCount{}
	answers := map[[2]string]int{}
	count := func(q Question, vals []string) {
		for _, v := range vals {
			answers[[2]string{q.ID, v}]++
		}
	}
	for _, r := range rows {
		if r.Status == Waiting {
			rep.Waiting++
			rep.WaitingPeople += r.People
			continue
		}
		rep.Registrations++
		rep.People += r.People
		k := byKind[kindOf[r.SubscriberID]]
		if k == nil {
			k = &KindCount{Kind: kindOf[r.SubscriberID]}
			byKind[k.Kind] = k
		}
		k.Registrations++
		k.People += r.People
		if r.Attended {
			rep.Attended++
			rep.AttendedPeople += r.People
			k.Attended++
		}
		for _, q := range e.Questions {
			if q.Kind == QuestionText {
				continue
			}
			if !q.PerPerson {
				count(q, r.Answers.Answers[q.ID])
				continue
			}
			for _, p := range r.Answers.Participants {
				count(q, p.Answers[q.ID])
			}
		}
	}
	for _, k := range byKind {
		rep.ByKind = append(rep.ByKind, *k)
	}
	slices.SortFunc(rep.ByKind, func(a, b KindCount) int { return cmp.Compare(a.Kind, b.Kind) })
	// The answers in the order of the questions and their options;
	// numbers in their order.
	for _, q := range e.Questions {
		var vals []string
		for key := range answers {
			if key[0] == q.ID {
				vals = append(vals, key[1])
			}
		}
		slices.SortFunc(vals, func(a, b string) int {
			if i, j := slices.Index(q.Options, a), slices.Index(q.Options, b); i >= 0 && j >= 0 {
				return cmp.Compare(i, j)
			}
			x, errx := strconv.Atoi(a)
			y, erry := strconv.Atoi(b)
			if errx == nil && erry == nil {
				return cmp.Compare(x, y)
			}
			return cmp.Compare(a, b)
		})
		for _, v := range vals {
			rep.Answers = append(rep.Answers, AnswerCount{Question: q.ID, Label: q.Text, Answer: v, Count: answers[[2]string{q.ID, v}]})
		}
	}
	return rep, nil
}

// Attend marks the registrations of the subscribers ids for event eventID
// as attended (or, with attended false, as not), at now. Only registered
// people can have come; it returns the IDs among ids that hold no
// registration with places, and changes nothing for them.
func (s *Store) Attend(ctx context.Context, eventID int64, ids []int64, attended bool, now time.Time) (missing []int64, err error) {
	var found []int64
	err = s.db.SelectContext(ctx, &found, `UPDATE registrations SET attended_at = CASE WHEN $3 THEN coalesce(attended_at, $4) END
		WHERE event_id = $1 AND subscriber_id = ANY ($2) AND status = 'registered' RETURNING subscriber_id`,
		eventID, pq.Int64Array(ids), attended, now)
	if err != nil {
		return nil, fmt.Errorf("events: attendance: %w", err)
	}
	for _, id := range ids {
		if !slices.Contains(found, id) {
			missing = append(missing, id)
		}
	}
	return missing, nil
}

// Attendees returns the IDs of the subscribers marked as come to event
// eventID: a follow-up goes to them.
func (s *Store) Attendees(ctx context.Context, eventID int64) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT subscriber_id FROM registrations
		WHERE event_id = $1 AND attended_at IS NOT NULL ORDER BY subscriber_id`, eventID); err != nil {
		return nil, fmt.Errorf("events: attendees: %w", err)
	}
	return ids, nil
}

// EventsOfYear returns the published and cancelled events that start in
// year (Europe/Berlin), by start: a year's report covers them.
func (s *Store) EventsOfYear(ctx context.Context, year int) ([]*Event, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, Berlin())
	var out []*Event
	all, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, e := range all {
		if e.Status != StatusDraft && !e.Start.Before(from) && e.Start.Before(from.AddDate(1, 0, 0)) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *Event) int { return a.Start.Compare(b.Start) })
	return out, nil
}
