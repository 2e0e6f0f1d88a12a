package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// A campaign's deliveries are claimed by batch (delivery_batches), not one
// by one as the other mail logs are: a worker claims the batch's row, for
// a lease, and the row's attempts are the fencing token. The batch's
// deliveries stay queued while it is claimed and are written once, with
// their outcome, while the claim holds. So a delivery's row is written
// twice in its life (planned, then its outcome), the second time as a HOT
// update, since its status is in no index; claiming each delivery as well
// cost PostgreSQL more than all the rest together.

// BatchRef names one task's share of a campaign.
type BatchRef struct {
	CampaignID int64 `db:"campaign_id" json:"campaign_id"`
	Batch      int   `db:"batch" json:"batch"`
}

// Batch is a worker's claim on a batch: the batch and its attempts when
// claimed, the fencing token that Record and Release check.
type Batch struct {
	BatchRef
	Attempts int
	// CampaignUpdated is the campaign's UpdatedAt when the batch was
	// claimed: a worker that rendered the campaign at that version may
	// send the batch with it.
	CampaignUpdated time.Time

	// due is how many deliveries the claim read, waiting how many of the
	// batch's other queued deliveries were not due yet, and settled how
	// many of the ones read Record wrote with a final outcome. When none
	// was waiting and every one read is settled, Release knows the batch
	// is done without reading its deliveries again.
	due, waiting int
	settled      atomic.Int64
}

// Delivery is one recipient's mail of a campaign, as a worker holds it.
type Delivery struct {
	// Claim is the delivery's ID and its attempts, this one included:
	// the delivery was tried Attempts-1 times before.
	maillog.Claim
	CampaignID   int64 `db:"campaign_id"`
	SubscriberID int64 `db:"subscriber_id"`
	Batch        int   `db:"batch"`
}

// deliveryLog is the deliveries' table in the one mail log.
var deliveryLog = maillog.Table{Name: "deliveries"}

// batchQueries are the statements run for every batch, prepared once
// per connection: parsing and planning them cost PostgreSQL more than
// running them.
type batchQueries struct {
	claim, deliveries, release, releaseDone, finish *postgres.Query
	record                                          *maillog.ClaimedRecorder
}

func prepareBatchQueries(db *sqlx.DB) batchQueries {
	return batchQueries{
		claim:       postgres.Prepare(db, claimSQL),
		deliveries:  postgres.Prepare(db, deliveriesSQL),
		release:     postgres.Prepare(db, releaseSQL),
		releaseDone: postgres.Prepare(db, releaseDoneSQL),
		finish:      postgres.Prepare(db, finishSQL),
		record:      deliveryLog.PrepareRecordClaimed(db, fenceSQL, 3, batchOf),
	}
}

// batchOf names the batch of a row (delivery or batch) aliased alias as
// one bigint: the campaign's ID times 2³², plus the batch's number (an
// integer). No two batches share a name; a campaign's ID of more than 31
// bits would be out of bigint's range, an error rather than a wrong
// match. As text (campaign/batch), the outcome statement cost
// PostgreSQL 0.6–1.1 µs more per mail (one backend, 100,000 outcomes, 40
// per statement).
func batchOf(alias string) string {
	return `(` + alias + `.campaign_id * 4294967296 + ` + alias + `.batch)`
}

// noFlushWait is a condition, always true, that turns off the wait for
// the WAL flush of the commit of the statement it is in: should
// PostgreSQL itself crash (not restart) within a fraction of a second
// after the commit, the batch's mails are sent again, like those of a
// killed worker. The claim, the outcomes and the release commit so.
const noFlushWait = `set_config('synchronous_commit', 'off', true) IS NOT NULL`

// claimSQL claims batch $2 of campaign $1 for $3 seconds.
const claimSQL = `UPDATE delivery_batches b
	SET status = 'sending', attempts = b.attempts + 1, claimed_at = now(), leased_until = now() + make_interval(secs => $3)
	FROM campaigns c
	WHERE b.campaign_id = $1 AND b.batch = $2 AND c.id = $1 AND c.status = 'sending'
	  AND ((b.status = 'queued' AND (b.retry_at IS NULL OR b.retry_at <= now())) OR (b.status = 'sending' AND b.leased_until < now()))
	  AND ` + noFlushWait + `
	RETURNING b.first_id, b.last_id, b.attempts, c.updated_at`

// deliveriesSQL reads the queued deliveries whose IDs lie between $1 and
// $2, and whether each is due. Only the range is a condition an index
// serves (one on the campaign could lead the planner to read all of its
// deliveries), so the rows of another campaign planned at the same time
// are left out by the caller.
const deliveriesSQL = `SELECT id, attempts + 1 AS attempts, campaign_id, subscriber_id, batch,
	       retry_at IS NULL OR retry_at <= now() AS due
	FROM deliveries WHERE id BETWEEN $1 AND $2 AND status = 'queued'
	ORDER BY id`

// deliveryRow is a row of deliveriesSQL.
type deliveryRow struct {
	Delivery
	Due bool `db:"due"`
}

// fenceSQL returns the batches whose claim holds, of the claims given as
// three arrays (campaigns, batches, attempts), and keeps them until the
// outcomes are committed.
//
// Each claim is looked up by its key, in a subquery of its own: one that
// locks rows is never merged into the query around it, so its plan can
// only be a lookup per claim. As a join (IN), the plan that PostgreSQL
// cached on a worker's connection, made while the table held a first
// part's few batches, read the whole table for every statement and
// evaluated noFlushWait on each row: a fifth of PostgreSQL's CPU when the
// campaign had 1,000 batches (cmd/rundbrief-bench, perf).
const fenceSQL = `SELECT b.campaign_id, b.batch
	FROM unnest($1::bigint[], $2::integer[], $3::integer[]) AS f (campaign_id, batch, attempts),
	     LATERAL (SELECT x.campaign_id, x.batch FROM delivery_batches x
	              WHERE x.campaign_id = f.campaign_id AND x.batch = f.batch AND x.attempts = f.attempts
	                AND x.status = 'sending' AND ` + noFlushWait + `
	              FOR SHARE) b`

// releaseSQL ends claim $3 on batch $2 of campaign $1: done, or queued at
// the latest retry time of its queued deliveries, found by their range of
// IDs as in deliveriesSQL.
const releaseSQL = `UPDATE delivery_batches x
	SET status = CASE WHEN o.open > 0 THEN 'queued' ELSE 'done' END, retry_at = o.retry_at, leased_until = NULL
	FROM (SELECT count(*) FILTER (WHERE d.campaign_id = $1 AND d.batch = $2 AND d.status = 'queued') AS open,
	             max(d.retry_at) FILTER (WHERE d.campaign_id = $1 AND d.batch = $2 AND d.status = 'queued') AS retry_at
	      FROM delivery_batches y JOIN deliveries d ON d.id BETWEEN y.first_id AND y.last_id
	      WHERE y.campaign_id = $1 AND y.batch = $2) o
	WHERE x.campaign_id = $1 AND x.batch = $2 AND x.attempts = $3 AND x.status = 'sending' AND ` + noFlushWait + `
	RETURNING x.status, x.retry_at`

// releaseDoneSQL ends claim $3 on batch $2 of campaign $1, known to be
// done: every delivery the claim read was recorded, and none was waiting.
const releaseDoneSQL = `UPDATE delivery_batches
	SET status = 'done', retry_at = NULL, leased_until = NULL
	WHERE campaign_id = $1 AND batch = $2 AND attempts = $3 AND status = 'sending' AND ` + noFlushWait + `
	RETURNING status, retry_at`

// finishSQL marks campaign $1 done once it is planned and none of its
// batches is open. Its commit waits for the flush: a lost one would leave
// the campaign sending with nothing left to finish it.
//
// It asks for the campaign's first open batch, which the index of open
// batches gives as its first entry for the campaign; any other plan would
// sort all of the campaign's open batches. Asked as NOT EXISTS, the plan
// PostgreSQL kept read the table until the first open row, more of it
// with every batch done (migration 00036).
const finishSQL = `UPDATE campaigns SET status = 'done', finished_at = now(), updated_at = now()
	WHERE id = $1 AND status = 'sending' AND planned
	  AND (SELECT batch FROM delivery_batches WHERE campaign_id = $1 AND status <> 'done' ORDER BY batch LIMIT 1) IS NULL`

// Claim claims batch b for lease if it is due: queued and its retry time
// (if any) come, or claimed by a worker whose lease ran out; and only
// while the campaign is being sent. It returns the claim and the batch's
// deliveries that are due, oldest first; no claim (nil) when the batch is
// not due, held by another worker, done, or the campaign not being sent.
// A claim with no deliveries is released with Release like any other.
func (s *Store) Claim(ctx context.Context, b BatchRef, lease time.Duration) (*Batch, []*Delivery, error) {
	var r struct {
		First    int64     `db:"first_id"`
		Last     int64     `db:"last_id"`
		Attempts int       `db:"attempts"`
		Updated  time.Time `db:"updated_at"`
	}
	err := s.q.claim.Get(ctx, &r, b.CampaignID, b.Batch, lease.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("campaigns: claim batch %d of campaign %d: %w", b.Batch, b.CampaignID, err)
	}
	// A statement of its own, after the claim's commit: a worker that lost
	// this claim may have recorded outcomes until then.
	var rows []*deliveryRow
	if err := s.q.deliveries.Select(ctx, &rows, r.First, r.Last); err != nil {
		return nil, nil, fmt.Errorf("campaigns: deliveries of batch %d of campaign %d: %w", b.Batch, b.CampaignID, err)
	}
	claim := &Batch{BatchRef: b, Attempts: r.Attempts, CampaignUpdated: r.Updated}
	ds := make([]*Delivery, 0, len(rows))
	for _, d := range rows {
		switch {
		case d.CampaignID != b.CampaignID || d.Batch != b.Batch:
		case d.Due:
			ds = append(ds, &d.Delivery)
		default:
			claim.waiting++
		}
	}
	claim.due = len(ds)
	return claim, ds, nil
}

// ClaimedOutcome is the outcome of a delivery of a claimed batch.
type ClaimedOutcome struct {
	Batch *Batch
	maillog.Outcome
}

// Record writes the outcomes of deliveries of claimed batches, of any
// number, in one statement, each provided its batch's claim still holds
// and it is not recorded yet, and returns the IDs of those it wrote; the
// others were lost to another worker. One commit for many mails instead
// of one per mail is what lets a worker keep up with a fast relay; a
// crash before it leaves those deliveries queued in claimed batches, so
// that they are sent again after the lease — the duplicates are at most
// the outcomes not yet recorded. Record may be repeated: a second call
// writes nothing.
func (s *Store) Record(ctx context.Context, outs []ClaimedOutcome) (written []int64, err error) {
	var campaignIDs []int64
	var batches, attempts []int32
	seen := map[*Batch]bool{}
	plain := make([]maillog.Outcome, len(outs))
	for i, o := range outs {
		plain[i] = o.Outcome
		if !seen[o.Batch] {
			seen[o.Batch] = true
			campaignIDs = append(campaignIDs, o.Batch.CampaignID)
			batches = append(batches, int32(o.Batch.Batch))
			attempts = append(attempts, int32(o.Batch.Attempts))
		}
	}
	written, err = s.q.record.Record(ctx, plain, pq.Int64Array(campaignIDs), pq.Array(batches), pq.Array(attempts))
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	done := make(map[int64]bool, len(written))
	for _, id := range written {
		done[id] = true
	}
	for _, o := range outs {
		if done[o.ID] && !o.Status.Open() {
			o.Batch.settled.Add(1)
		}
	}
	return written, nil
}

// RecordBatch is Record for the outcomes of one batch b; it returns how
// many were not written.
func (s *Store) RecordBatch(ctx context.Context, b *Batch, outs []maillog.Outcome) (lost int, err error) {
	cs := make([]ClaimedOutcome, len(outs))
	for i, o := range outs {
		cs[i] = ClaimedOutcome{Batch: b, Outcome: o}
	}
	written, err := s.Record(ctx, cs)
	return len(outs) - len(written), err
}

// Release ends the claim b after its deliveries were sent: the batch is
// done when none of its deliveries is queued, otherwise queued again at
// the latest of their retry times (nil: at once), which Release returns
// with open set. A claim lost meanwhile releases nothing.
func (s *Store) Release(ctx context.Context, b *Batch) (open bool, retryAt *time.Time, err error) {
	var r struct {
		Status  string     `db:"status"`
		RetryAt *time.Time `db:"retry_at"`
	}
	q := s.q.release
	if b.waiting == 0 && b.settled.Load() == int64(b.due) {
		q = s.q.releaseDone
	}
	err = q.Get(ctx, &r, b.CampaignID, b.Batch, b.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("campaigns: release batch %d of campaign %d: %w", b.Batch, b.CampaignID, err)
	}
	return r.Status == "queued", r.RetryAt, nil
}

// OpenBatch is a batch whose task may have been lost.
type OpenBatch struct {
	BatchRef
	// ExpiredClaim, when set, is when the batch was claimed by a worker
	// whose lease ran out: it died or hangs, and the batch's task may
	// still be held by it, so a new task needs a name of its own.
	ExpiredClaim *time.Time `db:"expired_claim"`
}

// OpenBatches returns the batches of campaigns being sent that may have
// lost their task: queued and due for longer than grace, or claimed by a
// worker whose lease ran out. Re-queueing their tasks is harmless when
// they still exist: a task's ID is its batch, and a claim is fenced.
func (s *Store) OpenBatches(ctx context.Context, grace time.Duration) ([]OpenBatch, error) {
	var bs []OpenBatch
	err := s.db.SelectContext(ctx, &bs, `SELECT b.campaign_id, b.batch,
		       CASE WHEN b.status = 'sending' THEN b.claimed_at END AS expired_claim
		FROM delivery_batches b JOIN campaigns c ON c.id = b.campaign_id
		WHERE c.status = 'sending' AND b.status <> 'done'
		  AND ((b.status = 'queued' AND COALESCE(b.retry_at, b.created_at) <= now() - make_interval(secs => $1))
		    OR (b.status = 'sending' AND b.leased_until < now()))
		ORDER BY 1, 2`, grace.Seconds())
	if err != nil {
		return nil, fmt.Errorf("campaigns: open batches: %w", err)
	}
	return bs, nil
}
