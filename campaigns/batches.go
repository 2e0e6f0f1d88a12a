package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/knf-nordhausen/rundbrief/maillog"
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

// Claim claims batch b for lease if it is due: queued and its retry time
// (if any) come, or claimed by a worker whose lease ran out; and only
// while the campaign is being sent. It returns the claim and the batch's
// deliveries that are due, oldest first; no claim (nil) when the batch is
// not due, held by another worker, done, or the campaign not being sent.
// A claim with no deliveries is released with Release like any other.
func (s *Store) Claim(ctx context.Context, b BatchRef, lease time.Duration) (*Batch, []*Delivery, error) {
	var r struct {
		First    int64 `db:"first_id"`
		Last     int64 `db:"last_id"`
		Attempts int   `db:"attempts"`
	}
	err := s.db.GetContext(ctx, &r, `UPDATE delivery_batches
		SET status = 'sending', attempts = attempts + 1, claimed_at = now(), leased_until = now() + make_interval(secs => $3)
		WHERE campaign_id = $1 AND batch = $2
		  AND ((status = 'queued' AND (retry_at IS NULL OR retry_at <= now())) OR (status = 'sending' AND leased_until < now()))
		  AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = $1 AND c.status = 'sending')
		RETURNING first_id, last_id, attempts`, b.CampaignID, b.Batch, lease.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("campaigns: claim batch %d of campaign %d: %w", b.Batch, b.CampaignID, err)
	}
	// A statement of its own, after the claim's commit: a worker that lost
	// this claim may have recorded outcomes until then. Only the range of
	// IDs is a condition an index serves (a condition on the campaign
	// could lead the planner to read all of its deliveries), so the rows
	// of another campaign planned at the same time are left out here.
	var rows []*Delivery
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, attempts + 1 AS attempts, campaign_id, subscriber_id, batch
		FROM deliveries WHERE id BETWEEN $1 AND $2 AND status = 'queued' AND (retry_at IS NULL OR retry_at <= now())
		ORDER BY id`, r.First, r.Last); err != nil {
		return nil, nil, fmt.Errorf("campaigns: deliveries of batch %d of campaign %d: %w", b.Batch, b.CampaignID, err)
	}
	ds := rows[:0]
	for _, d := range rows {
		if d.CampaignID == b.CampaignID && d.Batch == b.Batch {
			ds = append(ds, d)
		}
	}
	return &Batch{BatchRef: b, Attempts: r.Attempts}, ds, nil
}

// Record writes the outcomes of deliveries of the claimed batch b in one
// statement, provided the claim still holds, and returns how many were
// not written: all of them when the claim was lost to another worker.
// One commit for several mails instead of one per mail is what lets a
// worker keep up with a fast relay; a crash before it leaves those
// deliveries queued in a claimed batch, so that they are sent again after
// the lease — the duplicates are at most the outcomes not yet recorded.
// Record may be repeated: a second call writes nothing and counts all
// lost.
func (s *Store) Record(ctx context.Context, b *Batch, outs []maillog.Outcome) (lost int, err error) {
	// The fence also turns off the wait for the WAL flush of this one
	// commit: should PostgreSQL itself crash (not restart) within a
	// fraction of a second after it, these mails are sent again, like
	// those of a killed worker.
	lost, err = deliveryLog.RecordClaimed(ctx, s.db, outs, `SELECT set_config('synchronous_commit', 'off', true)
		FROM delivery_batches WHERE campaign_id = $1 AND batch = $2 AND attempts = $3 AND status = 'sending'
		FOR SHARE`, b.CampaignID, b.Batch, b.Attempts)
	if err != nil {
		return 0, fmt.Errorf("campaigns: %w", err)
	}
	return lost, nil
}

// Release ends the claim b after its deliveries were sent: the batch is
// done when none of its deliveries is queued, otherwise queued again at
// the latest of their retry times (nil: at once), which Release returns
// with open set. A claim lost meanwhile releases nothing.
func (s *Store) Release(ctx context.Context, b *Batch) (open bool, retryAt *time.Time, err error) {
	// The deliveries are found by their range of IDs, as in Claim.
	var r struct {
		Status  string     `db:"status"`
		RetryAt *time.Time `db:"retry_at"`
	}
	err = s.db.GetContext(ctx, &r, `UPDATE delivery_batches x
		SET status = CASE WHEN o.open > 0 THEN 'queued' ELSE 'done' END, retry_at = o.retry_at, leased_until = NULL
		FROM (SELECT count(*) FILTER (WHERE d.campaign_id = $1 AND d.batch = $2 AND d.status = 'queued') AS open,
		             max(d.retry_at) FILTER (WHERE d.campaign_id = $1 AND d.batch = $2 AND d.status = 'queued') AS retry_at
		      FROM delivery_batches y JOIN deliveries d ON d.id BETWEEN y.first_id AND y.last_id
		      WHERE y.campaign_id = $1 AND y.batch = $2) o
		WHERE x.campaign_id = $1 AND x.batch = $2 AND x.attempts = $3 AND x.status = 'sending'
		RETURNING x.status, x.retry_at`, b.CampaignID, b.Batch, b.Attempts)
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
