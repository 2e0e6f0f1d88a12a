package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Registered reports which of the subscribers ids hold a registration of
// any status for any event, read through q: the purge of unconfirmed
// subscribers and of contacts asks it in its own transaction
// (subscribers.Registered), so that it never deletes a registration.
func (s *Store) Registered(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64]bool, error) {
	var found []int64
	if err := sqlx.SelectContext(ctx, q, &found, `SELECT DISTINCT subscriber_id FROM registrations WHERE subscriber_id = ANY ($1)`,
		pq.Int64Array(ids)); err != nil {
		return nil, fmt.Errorf("events: registered: %w", err)
	}
	set := make(map[int64]bool, len(found))
	for _, id := range found {
		set[id] = true
	}
	return set, nil
}

// Figures are what an event keeps of its registrations once they are
// deleted: how many parties were registered, with how many people, and
// how many waited in vain.
type Figures struct {
	Registrations int `db:"figures_registrations" json:"registrations"`
	People        int `db:"figures_people" json:"people"`
	Waiting       int `db:"figures_waiting" json:"waiting"`
}

// PurgeRegistrations deletes the registrations (and their mails) of the
// events that ended more than ttl before now (DSGVO Art. 5(1)(e): kept no
// longer than needed), after writing each event's Figures and its
// Report (kinds names the kind of each person registered), and returns
// how many events and registrations it cleared. A ttl of 0 keeps them.
func (s *Store) PurgeRegistrations(ctx context.Context, ttl time.Duration, now time.Time, kinds KindsOf) (evs, regs int, err error) {
	if ttl <= 0 {
		return 0, 0, nil
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var due []eventRow
		if err := tx.SelectContext(ctx, &due, `SELECT `+eventColumns+` FROM events e
			WHERE e.ends_at < $1::timestamptz - make_interval(secs => $2) AND e.registrations_purged_at IS NULL
			ORDER BY e.id FOR UPDATE`, now, ttl.Seconds()); err != nil {
			return fmt.Errorf("events: purge registrations: %w", err)
		}
		for _, row := range due {
			e, err := row.event()
			if err != nil {
				return err
			}
			rep, err := countReport(ctx, tx, e, kinds)
			if err != nil {
				return err
			}
			b, err := json.Marshal(rep)
			if err != nil {
				return fmt.Errorf("events: purge registrations: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET figures_report = $2 WHERE id = $1`, e.ID, string(b)); err != nil {
				return fmt.Errorf("events: purge registrations: %w", err)
			}
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `UPDATE events e SET registrations_purged_at = $1::timestamptz,
				figures_registrations = f.registrations, figures_people = f.people, figures_waiting = f.waiting
			FROM (SELECT e.id,
			             count(r.id) FILTER (WHERE r.status = 'registered') AS registrations,
			             coalesce(sum(r.people) FILTER (WHERE r.status = 'registered'), 0) AS people,
			             count(r.id) FILTER (WHERE r.status = 'waiting') AS waiting
			      FROM events e LEFT JOIN registrations r ON r.event_id = e.id
			      WHERE e.ends_at < $1::timestamptz - make_interval(secs => $2) AND e.registrations_purged_at IS NULL
			      GROUP BY e.id) f
			WHERE e.id = f.id RETURNING e.id`, now, ttl.Seconds()); err != nil {
			return fmt.Errorf("events: purge registrations: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM registrations WHERE event_id = ANY ($1)`, pq.Int64Array(ids))
		if err != nil {
			return fmt.Errorf("events: purge registrations: %w", err)
		}
		n, _ := res.RowsAffected()
		evs, regs = len(ids), int(n)
		return nil
	})
	return evs, regs, err
}
