package events

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

// FollowUp is the follow-up an event file asks for: After the end of the
// event, the worker sends Subject and Body (Markdown) to those marked as
// come, once (campaigns.Store.DueReminders).
type FollowUp struct {
	After   time.Duration `json:"after"`
	Subject string        `json:"subject"`
	Body    string        `json:"body"`
}

// The limits of a follow-up.
const (
	maxFollowUpSubject = 200
	maxFollowUpBody    = 20000
	// MaxFollowUpAfter is the latest a follow-up may go after the event.
	MaxFollowUpAfter = 90 * 24 * time.Hour
)

// ProblemFollowUpAfter is a follow-up's time that is not whole hours from
// 1h to 90d after the end (FieldError; Value: the offset).
const ProblemFollowUpAfter Problem = "bad_followup_after"

// FollowUpDue is when the follow-up of e goes: After its end; zero
// without one.
func (e *Event) FollowUpDue() time.Time {
	if e.FollowUp == nil {
		return time.Time{}
	}
	return e.End.Add(e.FollowUp.After)
}

// checkFollowUp checks the follow-up of s, if any.
func (s *Spec) checkFollowUp(fail func(field string, p Problem, value string, limit int)) {
	f := s.FollowUp
	if f == nil {
		return
	}
	if !s.Registration {
		fail("nachbereitung", ProblemNeedsRegistration, "", 0)
	}
	if f.After < time.Hour || f.After%time.Hour != 0 || f.After > MaxFollowUpAfter {
		fail("nachbereitung.nach", ProblemFollowUpAfter, FormatOffset(f.After), 0)
	}
	f.Subject, f.Body = strings.TrimSpace(f.Subject), strings.TrimSpace(f.Body)
	switch {
	case f.Subject == "":
		fail("nachbereitung.betreff", ProblemMissing, "", 0)
	case len([]rune(f.Subject)) > maxFollowUpSubject:
		fail("nachbereitung.betreff", ProblemTooLong, "", maxFollowUpSubject)
	case strings.ContainsFunc(f.Subject, plain.Forbidden):
		fail("nachbereitung.betreff", ProblemInvisible, "", 0)
	}
	switch {
	case f.Body == "":
		fail("nachbereitung.text", ProblemMissing, "", 0)
	case len([]rune(f.Body)) > maxFollowUpBody:
		fail("nachbereitung.text", ProblemTooLong, "", maxFollowUpBody)
	}
}

// FollowUpWindow is how long after its time an automatic follow-up is
// still sent: a worker that was down for a day still sends it, one
// started months later does not write about an event long past.
const FollowUpWindow = 7 * 24 * time.Hour

// DueFollowUps returns the published events whose follow-up is due at now
// (within FollowUpWindow of its time).
func (s *Store) DueFollowUps(ctx context.Context, now time.Time) ([]*Event, error) {
	var rows []eventRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+eventColumns+` FROM events e
		WHERE e.status = 'published' AND e.details ? 'followup'
		  AND e.ends_at + make_interval(secs => (e.details->'followup'->>'after')::bigint / 1e9) <= $1
		  AND e.ends_at + make_interval(secs => (e.details->'followup'->>'after')::bigint / 1e9) > $1 - make_interval(secs => $2)
		ORDER BY e.id`, now, FollowUpWindow.Seconds())
	if err != nil {
		return nil, fmt.Errorf("events: due follow-ups: %w", err)
	}
	out := make([]*Event, len(rows))
	for i := range rows {
		if out[i], err = rows[i].event(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
