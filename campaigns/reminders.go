package campaigns

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// DueReminders creates the reminder campaigns that are due at now and
// returns the IDs of every reminder campaign still to be started (those
// just created, and any a crash left unstarted). Start them, then queue
// their batches.
//
// The reminders of each published event are rows (one per offset), kept
// in step with the event on every call: a moved start moves the pending
// ones, a removed offset or a cancelled event skips them. A due reminder
// becomes a campaign and is marked sent in one transaction, under a row
// lock, so that it is created exactly once however many workers look,
// and whatever Redis lost. A reminder found only when less than half its
// offset is left before the start (all workers were down) is still sent
// and says the time truly left; later than that it is skipped.
func (s *Store) DueReminders(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		ids = nil
		if err := syncReminders(ctx, tx, now); err != nil {
			return err
		}
		var due []struct {
			ID      int64 `db:"id"`
			EventID int64 `db:"event_id"`
			Hours   int   `db:"hours"`
		}
		if err := tx.SelectContext(ctx, &due, `SELECT r.id, r.event_id, r.hours
			FROM reminders r JOIN events e ON e.id = r.event_id
			WHERE r.status = 'pending' AND r.due_at <= $1 AND e.status = 'published'
			  AND $1 < e.starts_at - make_interval(secs => r.hours * 1800)
			ORDER BY r.due_at
			FOR UPDATE OF r SKIP LOCKED`, now); err != nil {
			return fmt.Errorf("campaigns: due reminders: %w", err)
		}
		for _, r := range due {
			var id int64
			if err := tx.GetContext(ctx, &id, `INSERT INTO campaigns (kind, event_id, audience_kinds, audience_topics, to_registered, reminder_hours)
				SELECT 'reminder', e.id, e.audience_kinds,
				       ARRAY(SELECT t.topic FROM event_topics t WHERE t.event_id = e.id ORDER BY t.topic), e.registration, $2
				FROM events e WHERE e.id = $1 RETURNING id`, r.EventID, r.Hours); err != nil {
				return fmt.Errorf("campaigns: create reminder: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE reminders SET status = 'sent', campaign_id = $2, updated_at = now()
				WHERE id = $1`, r.ID, id); err != nil {
				return fmt.Errorf("campaigns: mark reminder: %w", err)
			}
		}
		// Created but not started, as after a crash between the two.
		return tx.SelectContext(ctx, &ids, `SELECT c.id FROM reminders r JOIN campaigns c ON c.id = r.campaign_id
			WHERE r.status = 'sent' AND c.status = 'draft' ORDER BY c.id`)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
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
		ON CONFLICT (event_id, hours) DO UPDATE SET due_at = EXCLUDED.due_at, updated_at = now()
		WHERE reminders.status = 'pending' AND reminders.due_at <> EXCLUDED.due_at`, now); err != nil {
		return fmt.Errorf("campaigns: plan reminders: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reminders r SET status = 'skipped', updated_at = now()
		FROM events e
		WHERE e.id = r.event_id AND r.status = 'pending'
		  AND (e.status <> 'published' OR NOT (r.hours = ANY (e.reminder_hours))
		       OR $1 >= e.starts_at - make_interval(secs => r.hours * 1800))`, now); err != nil {
		return fmt.Errorf("campaigns: skip reminders: %w", err)
	}
	return nil
}

// Notify creates a campaign about an event (an update or a cancellation)
// and starts it at now. Queue the batches of the plan afterwards.
func (s *Store) Notify(ctx context.Context, spec Spec, now time.Time) (*Plan, error) {
	c, err := s.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	return s.Start(ctx, c.ID, now)
}
