package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Plan is what starting a campaign wrote: one delivery per recipient, in
// batches numbered from 0.
type Plan struct {
	Campaign   *Campaign
	Recipients int
	Batches    int
}

// The parts a plan is written in, each in a transaction of its own: a
// small first part, so that its mails leave at once, then larger ones
// while workers send. Both are whole batches at the default batch size.
const (
	firstPart = 1000
	planPart  = 20000
)

// Start plans campaign id for sending now: it writes one queued delivery
// per recipient, in batches, and marks the campaign sending (or done, if
// nobody matches). The deliveries are written in parts, each in a
// transaction of its own, the first of them with the campaign's start;
// queue, when not nil, gets the batches of each part as soon as the part
// is committed, so that their tasks are queued while the rest is written.
// Until the last part is committed the campaign is not planned, and not
// done however many of its mails went out; should Start not get that far
// (the process dies), ContinuePlans writes the rest. With a nil queue,
// queue the plan's batches afterwards; if that fails, the worker's sweep
// finds them.
//
// Only a draft or scheduled campaign starts; an invitation's event must be
// published and not over. The audience is read before the first
// transaction, so that Start holds one connection at a time: the
// transaction locks the campaign and checks its status again, and of two
// starts at once only one writes deliveries.
func (s *Store) Start(ctx context.Context, id int64, now time.Time, queue func([]BatchRef)) (*Plan, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := startable(c, now); err != nil {
		return nil, err
	}
	if err := s.ready(ctx, c, now); err != nil {
		return nil, err
	}
	var r recipients
	if err := s.EachRecipient(ctx, c, r.add); err != nil {
		return nil, err
	}
	first := func(tx *sqlx.Tx) error {
		c, err := getCampaign(ctx, tx, `SELECT `+campaignColumns+campaignFrom+` WHERE c.id = $1 FOR UPDATE OF c`, id)
		if err != nil {
			return err
		}
		if err := startable(c, now); err != nil {
			return err
		}
		status := StatusSending
		if r.len() == 0 {
			status = StatusDone
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET status = $2, planned = false, started_at = now(), updated_at = now(),
			finished_at = CASE WHEN $2 = 'done' THEN now() END WHERE id = $1`, id, status)
		if err != nil {
			return fmt.Errorf("campaigns: start: %w", err)
		}
		return nil
	}
	plan, err := s.writePlan(ctx, id, &r, 0, first, queue)
	if err != nil {
		return nil, err
	}
	if plan.Campaign, err = s.Get(ctx, id); err != nil {
		return nil, err
	}
	return plan, nil
}

// recipients is an audience as Start writes it.
type recipients struct {
	ids    []int64
	kinds  []string
	topics []string
}

func (r *recipients) add(m subscribers.Match) error {
	r.ids = append(r.ids, m.SubscriberID)
	r.kinds = append(r.kinds, string(m.Kind))
	r.topics = append(r.topics, strings.Join(m.Topics, ","))
	return nil
}

func (r *recipients) len() int { return len(r.ids) }

// writePlan writes r as the deliveries of campaign id, in batches numbered
// from batch0, part after part, and marks the campaign planned with the
// last part. first, when not nil, runs in the first part's transaction
// before its deliveries are written (it starts the campaign); every other
// part is written only while the campaign is being sent or paused and not
// planned yet, and otherwise the writing stops without an error.
func (s *Store) writePlan(ctx context.Context, id int64, r *recipients, batch0 int, first func(*sqlx.Tx) error, queue func([]BatchRef)) (*Plan, error) {
	size := s.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	plan := &Plan{}
	part := max(firstPart/size, 1) * size
	for lo := 0; lo == 0 || lo < r.len(); lo += part {
		if lo > 0 {
			part = max(planPart/size, 1) * size
		}
		hi := min(lo+part, r.len())
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			if lo == 0 && first != nil {
				if err := first(tx); err != nil {
					return err
				}
			} else {
				var planned bool
				err := tx.GetContext(ctx, &planned, `SELECT planned FROM campaigns WHERE id = $1 AND status IN ('sending', 'paused') FOR UPDATE`, id)
				switch {
				case errors.Is(err, sql.ErrNoRows), err == nil && planned:
					return errPlanStopped
				case err != nil:
					return fmt.Errorf("campaigns: plan: %w", err)
				}
			}
			if hi > lo {
				if err := s.writePart(ctx, tx, id, r, lo, hi, batch0, size); err != nil {
					return err
				}
			}
			if hi == r.len() {
				if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET planned = true WHERE id = $1`, id); err != nil {
					return fmt.Errorf("campaigns: plan: %w", err)
				}
				// Done already, should the rest have added nobody and the
				// workers have sent all before: no batch is left to say so.
				if _, err := tx.ExecContext(ctx, finishSQL, id); err != nil {
					return fmt.Errorf("campaigns: plan: %w", err)
				}
			}
			return nil
		})
		if errors.Is(err, errPlanStopped) {
			break // cancelled meanwhile, or planned by ContinuePlans
		}
		if err != nil {
			return nil, err
		}
		plan.Recipients = hi
		from, to := batch0+lo/size, batch0+(hi+size-1)/size
		plan.Batches = to - batch0
		if queue != nil && to > from {
			bs := make([]BatchRef, 0, to-from)
			for b := from; b < to; b++ {
				bs = append(bs, BatchRef{CampaignID: id, Batch: b})
			}
			queue(bs)
		}
	}
	return plan, nil
}

// errPlanStopped ends the writing of a plan that is no longer wanted.
var errPlanStopped = errors.New("campaigns: plan stopped")

// writePart writes the deliveries r[lo:hi] of campaign id and their
// batches. The campaign row is locked and none of these people has a
// delivery of it yet, so a plain INSERT: ON CONFLICT would cost a
// speculative insertion per row (a quarter of the time), and
// deliveries_once still refuses a second row for anyone.
func (s *Store) writePart(ctx context.Context, tx *sqlx.Tx, id int64, r *recipients, lo, hi, batch0, size int) error {
	const chunk = 10000 // recipients per statement
	for a := lo; a < hi; a += chunk {
		b := min(a+chunk, hi)
		_, err := tx.ExecContext(ctx, `WITH d AS (
				INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind, matched_topics)
				SELECT $1, u.subscriber_id, $2 + (u.n - 1 + $3) / $4, u.kind, string_to_array(u.topics, ',')
				FROM unnest($5::bigint[], $6::text[], $7::text[]) WITH ORDINALITY AS u (subscriber_id, kind, topics, n)
				RETURNING id, batch)
			INSERT INTO delivery_batches (campaign_id, batch, first_id, last_id)
			SELECT $1, batch, min(id), max(id) FROM d GROUP BY batch
			ON CONFLICT (campaign_id, batch) DO UPDATE
			SET first_id = least(delivery_batches.first_id, excluded.first_id), last_id = greatest(delivery_batches.last_id, excluded.last_id)`,
			id, batch0, a, size, pq.Int64Array(r.ids[a:b]), pq.StringArray(r.kinds[a:b]), pq.StringArray(r.topics[a:b]))
		if err != nil {
			return fmt.Errorf("campaigns: write deliveries: %w", err)
		}
	}
	return nil
}

// ContinuePlans writes the rest of the plans that Start did not finish
// (its process died): of each campaign being sent or paused that is not
// planned, and whose last part is older than grace, the deliveries of
// the audience as it is now, for those who have none yet, in new batches.
// queue gets each part's batches, as with Start. It returns how many
// plans it finished.
func (s *Store) ContinuePlans(ctx context.Context, grace time.Duration, queue func([]BatchRef)) (int, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT c.id FROM campaigns c
		WHERE c.status IN ('sending', 'paused') AND NOT c.planned
		  AND COALESCE((SELECT max(b.created_at) FROM delivery_batches b WHERE b.campaign_id = c.id), c.started_at)
		      <= now() - make_interval(secs => $1)
		ORDER BY c.id`, grace.Seconds()); err != nil {
		return 0, fmt.Errorf("campaigns: unfinished plans: %w", err)
	}
	n := 0
	for _, id := range ids {
		if err := s.continuePlan(ctx, id, queue); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Store) continuePlan(ctx context.Context, id int64, queue func([]BatchRef)) error {
	c, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	var have []int64
	if err := s.db.SelectContext(ctx, &have, `SELECT subscriber_id FROM deliveries WHERE campaign_id = $1`, id); err != nil {
		return fmt.Errorf("campaigns: deliveries of campaign %d: %w", id, err)
	}
	planned := idSet(have)
	var r recipients
	if err := s.EachRecipient(ctx, c, func(m subscribers.Match) error {
		if planned[m.SubscriberID] {
			return nil
		}
		return r.add(m)
	}); err != nil {
		return err
	}
	var next int
	if err := s.db.GetContext(ctx, &next, `SELECT COALESCE(max(batch) + 1, 0) FROM delivery_batches WHERE campaign_id = $1`, id); err != nil {
		return fmt.Errorf("campaigns: batches of campaign %d: %w", id, err)
	}
	_, err = s.writePlan(ctx, id, &r, next, nil, queue)
	return err
}
