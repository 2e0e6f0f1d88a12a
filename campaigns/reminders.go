package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/events"
)

// DueReminders creates the reminder campaigns that are due at now and
// returns the IDs of every reminder campaign still to be started (those
// just created, and any a crash left unstarted). Start them, then queue
// their batches.
//
// The events package keeps the reminders in step with the events and says
// which are due (events.Store.DueReminders). A due reminder becomes a
// campaign with the event's audience; the index campaigns_reminder_once
// lets only one campaign exist per event and offset, so that it is created
// exactly once however many workers look, whatever Redis lost, and a
// crash before the reminder was marked sent finds the same campaign again.
func (s *Store) DueReminders(ctx context.Context, now time.Time) ([]int64, error) {
	due, err := s.events.DueReminders(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, r := range due {
		e, err := s.events.ByID(ctx, r.EventID)
		if err != nil {
			return nil, err
		}
		kind := KindReminder
		if r.Kind == events.ReminderDeadline {
			kind = KindLastCall
		}
		id, err := s.createReminder(ctx, e, kind, r.Hours)
		if err != nil {
			return nil, err
		}
		if err := s.events.ReminderSent(ctx, r.ID, id); err != nil {
			return nil, err
		}
	}
	// The follow-ups event files ask for, once each (the index
	// campaigns_followup_once).
	followUps, err := s.events.DueFollowUps(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, e := range followUps {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO campaigns (kind, event_id, subject, body, audience_kinds, audience_topics, to_registered, reminder_hours)
			VALUES ('followup', $1, $2, $3, $4, $5, true, $6)
			ON CONFLICT (event_id) WHERE kind = 'followup' AND reminder_hours IS NOT NULL DO NOTHING`,
			e.ID, e.FollowUp.Subject, e.FollowUp.Body, pq.StringArray(kindStrings(e.Kinds)), pq.StringArray(e.Topics),
			int(e.FollowUp.After/time.Hour)); err != nil {
			return nil, fmt.Errorf("campaigns: create follow-up: %w", err)
		}
	}
	// Created but not started, as after a crash between the two. (A
	// reminder or follow-up staff send by hand has no hours; it is theirs
	// to send.)
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM campaigns
		WHERE kind IN ('reminder', 'last_call', 'followup') AND reminder_hours IS NOT NULL AND status = 'draft' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("campaigns: reminders to start: %w", err)
	}
	return ids, nil
}

// createReminder creates the reminder campaign of event e (kind
// KindReminder, hours before its start, or KindLastCall, hours before its
// deadline), or finds the one that exists, and returns its ID.
func (s *Store) createReminder(ctx context.Context, e *events.Event, kind Kind, hours int) (int64, error) {
	kinds := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		kinds[i] = string(k)
	}
	// Each kind has its own unique index; ON CONFLICT names the one.
	conflict := `ON CONFLICT (event_id, reminder_hours) WHERE kind = 'reminder' DO NOTHING`
	if kind == KindLastCall {
		conflict = `ON CONFLICT (event_id, reminder_hours) WHERE kind = 'last_call' AND reminder_hours IS NOT NULL DO NOTHING`
	}
	toRegistered := e.Registration && kind == KindReminder
	var id int64
	err := s.db.GetContext(ctx, &id, `WITH made AS (
			INSERT INTO campaigns (kind, event_id, audience_kinds, audience_topics, to_registered, reminder_hours)
			VALUES ($6, $1, $2, $3, $4, $5)
			`+conflict+`
			RETURNING id)
		SELECT id FROM made
		UNION ALL SELECT id FROM campaigns WHERE kind = $6 AND event_id = $1 AND reminder_hours = $5
		LIMIT 1`, e.ID, pq.StringArray(kinds), pq.StringArray(e.Topics), toRegistered, hours, kind)
	if errors.Is(err, sql.ErrNoRows) {
		// Another worker created it after this statement's snapshot.
		err = s.db.GetContext(ctx, &id, `SELECT id FROM campaigns WHERE kind = $3 AND event_id = $1 AND reminder_hours = $2`, e.ID, hours, kind)
	}
	if err != nil {
		return 0, fmt.Errorf("campaigns: create reminder: %w", err)
	}
	return id, nil
}

// Notify creates a campaign about an event (an update or a cancellation)
// and starts it at now. Queue the batches of the plan afterwards.
func (s *Store) Notify(ctx context.Context, spec Spec, now time.Time) (*Plan, error) {
	c, err := s.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	return s.Start(ctx, c.ID, now, nil)
}
