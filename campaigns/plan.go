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
// (the process dies, or reading the rest of the audience fails),
// ContinuePlans writes the rest. With a nil queue, queue the plan's
// batches afterwards; if that fails, the worker's sweep finds them.
//
// Only a draft or scheduled campaign starts; an invitation's event must be
// published and not over. The audience is read in two goes, each before a
// transaction, so that Start holds one connection at a time: the
// recipients of the first part, which is then written and handed out, and
// then the rest (reading 100,000 took two thirds of the wait for the first
// mail). The part's transaction locks the campaign and checks its status
// again: of two starts at once only one writes deliveries.
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
	w := s.newPlanWriter(id, &r, 0, first, queue)
	read := s.eachRecipientAfter
	if s.readRecipients != nil {
		read = s.readRecipients
	}
	// The first part's recipients first, then, once it is written and
	// handed out, the rest.
	last, more, err := read(ctx, c, 0, w.firstPart(), r.add)
	if err != nil {
		return nil, err
	}
	if more {
		if err := w.write(ctx, false); err != nil {
			return nil, err
		}
		if _, _, err := read(ctx, c, last, 0, r.add); err != nil {
			return nil, err
		}
	}
	if err := w.write(ctx, true); err != nil && !errors.Is(err, errPlanStopped) {
		return nil, err
	}
	plan := w.plan
	if plan.Campaign, err = s.Get(ctx, id); err != nil {
		return nil, err
	}
	return &plan, nil
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

// planWriter writes the recipients of a campaign's plan as they come, part
// after part: a small first part, so that its mails leave at once, then
// larger ones while workers send.
type planWriter struct {
	s  *Store
	id int64
	r  *recipients
	// batch0 is the number of the plan's first batch, size a batch's.
	batch0, size int
	// first, when not nil, runs in the first part's transaction before
	// its deliveries are written (it starts the campaign).
	first func(*sqlx.Tx) error
	queue func([]BatchRef)
	// written is how many of r are written; begun whether the first
	// part is, which may have none; whole whether the plan is marked so.
	written      int
	begun, whole bool
	plan         Plan
}

func (s *Store) newPlanWriter(id int64, r *recipients, batch0 int, first func(*sqlx.Tx) error, queue func([]BatchRef)) *planWriter {
	size := s.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	return &planWriter{s: s, id: id, r: r, batch0: batch0, size: size, first: first, queue: queue}
}

// firstPart is how many recipients the first part has when there are
// enough: whole batches.
func (w *planWriter) firstPart() int { return max(firstPart/w.size, 1) * w.size }

// write writes the recipients read so far and not yet written, in parts.
// When last, they are all there are: the last part marks the campaign
// planned; otherwise only whole parts are written. Every part but the
// first is written only while the campaign is being sent or paused and
// not planned yet; otherwise write stops and returns errPlanStopped.
func (w *planWriter) write(ctx context.Context, last bool) error {
	for !w.begun || w.written < w.r.len() || (last && !w.whole) {
		part := w.firstPart()
		if w.begun {
			part = max(planPart/w.size, 1) * w.size
		}
		lo, hi := w.written, min(w.written+part, w.r.len())
		if !last && hi < lo+part {
			return nil // not a whole part yet
		}
		whole := last && hi == w.r.len()
		if err := w.writePart(ctx, lo, hi, whole); err != nil {
			return err
		}
		w.begun, w.written, w.whole = true, hi, whole
		w.plan.Recipients = hi
		from, to := w.batch0+lo/w.size, w.batch0+(hi+w.size-1)/w.size
		w.plan.Batches = to - w.batch0
		if w.queue != nil && to > from {
			bs := make([]BatchRef, 0, to-from)
			for b := from; b < to; b++ {
				bs = append(bs, BatchRef{CampaignID: w.id, Batch: b})
			}
			w.queue(bs)
		}
		if whole {
			w.s.analyzeBatches(ctx, w.plan.Batches)
		}
	}
	return nil
}

// writePart writes the recipients r[lo:hi] in a transaction; with whole,
// it marks the plan whole.
func (w *planWriter) writePart(ctx context.Context, lo, hi int, whole bool) error {
	s, id := w.s, w.id
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if !w.begun && w.first != nil {
			if err := w.first(tx); err != nil {
				return err
			}
		} else {
			var done bool
			err := tx.GetContext(ctx, &done, `SELECT planned FROM campaigns WHERE id = $1 AND status IN ('sending', 'paused') FOR UPDATE`, id)
			switch {
			case errors.Is(err, sql.ErrNoRows), err == nil && done:
				return errPlanStopped // cancelled meanwhile, or planned by ContinuePlans
			case err != nil:
				return fmt.Errorf("campaigns: plan: %w", err)
			}
		}
		if hi > lo {
			if err := s.writeDeliveries(ctx, tx, id, w.r, lo, hi, w.batch0, w.size); err != nil {
				return err
			}
		}
		if whole {
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
}

// analyzeBatches brings PostgreSQL's statistics of delivery_batches up to
// date when a plan added more batches than autovacuum lets pass before it
// analyzes the table (50 and a tenth of it). The plans PostgreSQL keeps on
// a worker's connection for the statements of every batch are made for
// the table as its statistics say it is, and after a first small campaign
// that is a page, which the cheapest plan reads whole; kept while the
// table grows, such plans read delivery_batches and deliveries whole for
// every batch until autovacuum came by, for most of a campaign of 100,000
// (TestBatchStatementsReadNoTableWhole). ANALYZE makes every backend plan
// those statements again; it reads a sample of at most 30,000 rows. Its
// failure is not the plan's: autovacuum analyzes the table later.
func (s *Store) analyzeBatches(ctx context.Context, added int) {
	var rows float64
	err := s.db.GetContext(ctx, &rows, `SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'delivery_batches'::regclass`)
	if err != nil || float64(added) <= 50+rows/10 {
		return
	}
	_, _ = s.db.ExecContext(ctx, `ANALYZE delivery_batches`)
}

// errPlanStopped ends the writing of a plan that is no longer wanted.
var errPlanStopped = errors.New("campaigns: plan stopped")

// writeDeliveries writes the deliveries r[lo:hi] of campaign id and their
// batches. The campaign row is locked and none of these people has a
// delivery of it yet, so a plain INSERT: ON CONFLICT would cost a
// speculative insertion per row (a quarter of the time), and
// deliveries_once still refuses a second row for anyone.
func (s *Store) writeDeliveries(ctx context.Context, tx *sqlx.Tx, id int64, r *recipients, lo, hi, batch0, size int) error {
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
	err = s.newPlanWriter(id, &r, next, nil, queue).write(ctx, true)
	if errors.Is(err, errPlanStopped) {
		return nil
	}
	return err
}
