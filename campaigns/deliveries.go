package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// ErrClaimLost means another worker took a delivery over after this
// worker's lease ran out; this worker must not record an outcome.
var ErrClaimLost = errors.New("campaigns: the claim on this delivery was lost")

// Delivery is one recipient's mail of a campaign, as a worker holds it.
type Delivery struct {
	ID           int64 `db:"id"`
	CampaignID   int64 `db:"campaign_id"`
	SubscriberID int64 `db:"subscriber_id"`
	// Attempts counts claims; it is the fencing token of the current claim.
	Attempts int `db:"attempts"`
}

// BatchRef names one task's share of a campaign.
type BatchRef struct {
	CampaignID int64 `db:"campaign_id" json:"campaign_id"`
	Batch      int   `db:"batch" json:"batch"`
}

// Claim claims the deliveries of a batch that are due, for lease: those
// queued whose retry time (if any) has come, and those whose earlier claim
// ran out. It claims nothing unless the campaign is being sent, and skips
// deliveries another worker holds.
func (s *Store) Claim(ctx context.Context, b BatchRef, lease time.Duration) ([]*Delivery, error) {
	var ds []*Delivery
	err := s.db.SelectContext(ctx, &ds, `UPDATE deliveries d
		SET status = 'sending', claimed_at = now(), attempts = d.attempts + 1
		WHERE d.id IN (
			SELECT x.id FROM deliveries x JOIN campaigns c ON c.id = x.campaign_id
			WHERE x.campaign_id = $1 AND x.batch = $2 AND c.status = 'sending'
			  AND ((x.status = 'queued' AND (x.retry_at IS NULL OR x.retry_at <= now()))
			    OR (x.status = 'sending' AND x.claimed_at < now() - make_interval(secs => $3)))
			ORDER BY x.id
			FOR UPDATE OF x SKIP LOCKED)
		RETURNING d.id, d.campaign_id, d.subscriber_id, d.attempts`, b.CampaignID, b.Batch, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("campaigns: claim deliveries: %w", err)
	}
	return ds, nil
}

// finish moves a claimed delivery on, provided the claim still holds.
func (s *Store) finish(ctx context.Context, d *Delivery, status DeliveryStatus, messageID, reply string, retryAt *time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE deliveries
		SET status = $3, message_id = $4, reply = left($5, 1000), retry_at = $6,
		    finished_at = CASE WHEN $3 IN ('queued', 'sending') THEN NULL ELSE now() END
		WHERE id = $1 AND attempts = $2 AND status = 'sending'`,
		d.ID, d.Attempts, status, messageID, reply, retryAt)
	if err != nil {
		return fmt.Errorf("campaigns: record delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrClaimLost
	}
	return nil
}

// Sent records that the relay accepted d's mail.
func (s *Store) Sent(ctx context.Context, d *Delivery, messageID, reply string) error {
	return s.finish(ctx, d, DeliverySent, messageID, reply, nil)
}

// Deferred puts d back after a temporary failure; it is due again at.
func (s *Store) Deferred(ctx context.Context, d *Delivery, reply string, at time.Time) error {
	return s.finish(ctx, d, DeliveryQueued, "", reply, &at)
}

// Failed gives d up: retries used up, or a fault that is not the
// recipient's.
func (s *Store) Failed(ctx context.Context, d *Delivery, reply string) error {
	return s.finish(ctx, d, DeliveryFailed, "", reply, nil)
}

// Skipped closes d unsent, saying why.
func (s *Store) Skipped(ctx context.Context, d *Delivery, reason string) error {
	return s.finish(ctx, d, DeliverySkipped, "", reason, nil)
}

// Bounced records that the recipient's server refused d's address for
// good: the delivery is closed, and the subscriber marked bounced and their
// address suppressed.
func (s *Store) Bounced(ctx context.Context, d *Delivery, reply string) error {
	if err := s.finish(ctx, d, DeliveryBounced, "", reply, nil); err != nil {
		return err
	}
	// After the delivery, so that a lost claim changes nothing. Should this
	// fail, the delivery says bounced and the next mail to the address
	// bounces again.
	if err := s.subscribers.Bounce(ctx, d.SubscriberID, reply); err != nil && !errors.Is(err, subscribers.ErrNotFound) {
		return err
	}
	return nil
}

// OpenBatches returns the batches of campaigns being sent that have a
// delivery that may have lost its task: queued and due for longer than
// grace, or claimed by a worker whose lease ran out. Re-queueing their
// tasks is harmless when they still exist: a task's ID is its batch.
func (s *Store) OpenBatches(ctx context.Context, grace, lease time.Duration) ([]BatchRef, error) {
	var bs []BatchRef
	err := s.db.SelectContext(ctx, &bs, `SELECT DISTINCT d.campaign_id, d.batch
		FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id
		WHERE c.status = 'sending' AND d.status IN ('queued', 'sending')
		  AND ((d.status = 'queued' AND COALESCE(d.retry_at, d.created_at) <= now() - make_interval(secs => $1))
		    OR (d.status = 'sending' AND d.claimed_at < now() - make_interval(secs => $2)))
		ORDER BY 1, 2`, grace.Seconds(), lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("campaigns: open batches: %w", err)
	}
	return bs, nil
}

// Received is a campaign a subscriber was sent, for "why did I get this?".
type Received struct {
	CampaignID int64          `db:"campaign_id" json:"campaign_id"`
	Kind       Kind           `db:"kind" json:"kind"`
	Title      string         `db:"title" json:"title"`
	Status     DeliveryStatus `db:"status" json:"status"`
	At         *time.Time     `db:"finished_at" json:"at,omitempty"`
	// MatchedKind and MatchedTopics are why the person was in the
	// audience: their kind, and the audience's topics they had chosen
	// (none when the audience named no topics).
	MatchedKind   subscribers.Kind `db:"matched_kind" json:"matched_kind"`
	MatchedTopics pq.StringArray   `db:"matched_topics" json:"matched_topics"`
	// AudienceKinds and AudienceTopics are the campaign's audience.
	AudienceKinds  pq.StringArray `db:"audience_kinds" json:"audience_kinds"`
	AudienceTopics pq.StringArray `db:"audience_topics" json:"audience_topics"`
}

// Received returns the campaigns planned for the subscriber with id,
// oldest first.
func (s *Store) Received(ctx context.Context, subscriberID int64) ([]Received, error) {
	var rs []Received
	err := s.db.SelectContext(ctx, &rs, `SELECT c.id AS campaign_id, c.kind,
		       CASE c.kind WHEN 'invitation' THEN 'Einladung: ' || e.title WHEN 'reminder' THEN 'Erinnerung: ' || e.title
		            WHEN 'update' THEN 'Änderung: ' || e.title WHEN 'cancellation' THEN 'Absage: ' || e.title
		            ELSE c.subject END AS title,
		       d.status, d.finished_at, d.matched_kind, d.matched_topics, c.audience_kinds, c.audience_topics
		FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id LEFT JOIN events e ON e.id = c.event_id
		WHERE d.subscriber_id = $1 ORDER BY d.id`, subscriberID)
	if err != nil {
		return nil, fmt.Errorf("campaigns: deliveries of subscriber: %w", err)
	}
	return rs, nil
}
