package events

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Reminder is one reminder of an event that is due: its offset before
// the start, in whole hours; or, of the kind ReminderDeadline, its offset
// before the registration deadline (a last call, Spec.LastCall).
type Reminder struct {
	ID      int64        `db:"id"`
	EventID int64        `db:"event_id"`
	Kind    ReminderKind `db:"kind"`
	Hours   int          `db:"hours"`
}

// ReminderKind is what a reminder's offset counts back from.
type ReminderKind string

// The kinds of reminder.
const (
	ReminderStart    ReminderKind = "start"    // before the start: to the registered
	ReminderDeadline ReminderKind = "deadline" // before the deadline: to the invited, not registered
)

// DueReminders keeps the reminders (the table reminders, one row per
// offset of each published event still to come) in step with the events
// and returns those due at now, oldest first. A moved start moves the
// pending ones; a removed offset, a cancelled event, or a time with less
// than half the offset left before the start (all workers were down)
// skips them. Once its campaign exists, mark a reminder with
// ReminderSent.
func (s *Store) DueReminders(ctx context.Context, now time.Time) ([]Reminder, error) {
	var due []Reminder
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := syncReminders(ctx, tx, now); err != nil {
			return err
		}
		due = nil
		if err := tx.SelectContext(ctx, &due, `SELECT r.id, r.event_id, r.kind, r.hours
			FROM reminders r JOIN events e ON e.id = r.event_id
			WHERE r.status = 'pending' AND r.due_at <= $1 AND e.status = 'published'
			  AND CASE r.kind WHEN 'start' THEN $1 < e.starts_at - make_interval(secs => r.hours * 1800)
			                  ELSE $1 < e.registration_deadline - make_interval(secs => r.hours * 1800) END
			ORDER BY r.due_at`, now); err != nil {
			return fmt.Errorf("events: due reminders: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return due, nil
}

// ReminderSent records that the campaign of reminder id exists. It is a
// no-op for a reminder marked already.
func (s *Store) ReminderSent(ctx context.Context, id, campaignID int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE reminders SET status = 'sent', campaign_id = $2, updated_at = now()
		WHERE id = $1 AND status = 'pending'`, id, campaignID); err != nil {
		return fmt.Errorf("events: mark reminder: %w", err)
	}
	return nil
}

// syncReminders keeps the reminder rows in step with the events: one
// pending row per offset of each published event still to come, at its
// time; pending rows of cancelled or past events, of offsets no longer
// wanted, or too late to send (less than half the offset left) are
// skipped.
func syncReminders(ctx context.Context, tx *sqlx.Tx, now time.Time) error {
	// An offset of whole days keeps the clock time across a change of
	// summer time: a "1d" reminder for 10:00 is due at 10:00 the day
	// before, in Europe/Berlin, whatever the clocks did that night; the
	// hours beyond whole days are hours.
	if _, err := tx.ExecContext(ctx, `INSERT INTO reminders (event_id, hours, due_at)
		SELECT e.id, h, ((e.starts_at AT TIME ZONE 'Europe/Berlin') - make_interval(days => h / 24)) AT TIME ZONE 'Europe/Berlin'
		                - make_interval(hours => h % 24)
		FROM events e, unnest(e.reminder_hours) AS h
		WHERE e.status = 'published' AND e.starts_at > $1
		ON CONFLICT (event_id, kind, hours) DO UPDATE SET due_at = EXCLUDED.due_at, updated_at = now()
		WHERE reminders.status = 'pending' AND reminders.due_at <> EXCLUDED.due_at`, now); err != nil {
		return fmt.Errorf("events: plan reminders: %w", err)
	}
	// A last call counts back from the deadline the same way; less than
	// half its offset left before the deadline, it is too late.
	if _, err := tx.ExecContext(ctx, `INSERT INTO reminders (event_id, kind, hours, due_at)
		SELECT e.id, 'deadline', e.last_call_hours,
		       ((e.registration_deadline AT TIME ZONE 'Europe/Berlin') - make_interval(days => e.last_call_hours / 24)) AT TIME ZONE 'Europe/Berlin'
		       - make_interval(hours => e.last_call_hours % 24)
		FROM events e
		WHERE e.status = 'published' AND e.registration AND e.last_call_hours IS NOT NULL
		  AND e.registration_deadline > $1 AND e.starts_at > $1
		ON CONFLICT (event_id, kind, hours) DO UPDATE SET due_at = EXCLUDED.due_at, updated_at = now()
		WHERE reminders.status = 'pending' AND reminders.due_at <> EXCLUDED.due_at`, now); err != nil {
		return fmt.Errorf("events: plan last calls: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reminders r SET status = 'skipped', updated_at = now()
		FROM events e
		WHERE e.id = r.event_id AND r.status = 'pending' AND r.kind = 'start'
		  AND (e.status <> 'published' OR NOT (r.hours = ANY (e.reminder_hours))
		       OR $1 >= e.starts_at - make_interval(secs => r.hours * 1800))`, now); err != nil {
		return fmt.Errorf("events: skip reminders: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reminders r SET status = 'skipped', updated_at = now()
		FROM events e
		WHERE e.id = r.event_id AND r.status = 'pending' AND r.kind = 'deadline'
		  AND (e.status <> 'published' OR NOT e.registration OR e.registration_deadline IS NULL
		       OR e.last_call_hours IS DISTINCT FROM r.hours
		       OR $1 >= e.registration_deadline - make_interval(secs => r.hours * 1800))`, now); err != nil {
		return fmt.Errorf("events: skip last calls: %w", err)
	}
	return nil
}
