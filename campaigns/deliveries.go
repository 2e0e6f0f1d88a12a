package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Delivery is one recipient's mail of a campaign, as a worker holds it.
type Delivery struct {
	// Claim is the delivery's ID and its attempts, the fencing token of
	// the current claim.
	maillog.Claim
	CampaignID   int64 `db:"campaign_id"`
	SubscriberID int64 `db:"subscriber_id"`
}

// deliveryLog is the deliveries' table in the one mail log.
var deliveryLog = maillog.Table{Name: "deliveries"}

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
	err := deliveryLog.Claim(ctx, s.db, &ds, `id, attempts, campaign_id, subscriber_id`,
		`x.campaign_id = $2 AND x.batch = $3 AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = x.campaign_id AND c.status = 'sending')`,
		0, lease, b.CampaignID, b.Batch)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	return ds, nil
}

// OpenBatch is a batch whose task may have been lost.
type OpenBatch struct {
	BatchRef
	// ExpiredClaim, when set, is the latest claim in the batch whose lease
	// ran out: its worker died or hangs, and the batch's task may still be
	// held by it, so a new task needs a name of its own.
	ExpiredClaim *time.Time `db:"expired_claim"`
}

// OpenBatches returns the batches of campaigns being sent that have a
// delivery that may have lost its task: queued and due for longer than
// grace, or claimed by a worker whose lease ran out. Re-queueing their
// tasks is harmless when they still exist: a task's ID is its batch, and
// a claim is fenced in the delivery log.
func (s *Store) OpenBatches(ctx context.Context, grace, lease time.Duration) ([]OpenBatch, error) {
	var bs []OpenBatch
	err := s.db.SelectContext(ctx, &bs, `SELECT d.campaign_id, d.batch,
		       max(d.claimed_at) FILTER (WHERE d.status = 'sending') AS expired_claim
		FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id
		WHERE c.status = 'sending' AND d.`+maillog.OpenSQL+` AND `+maillog.LostSQL("d")+`
		GROUP BY 1, 2 ORDER BY 1, 2`, grace.Seconds(), lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("campaigns: open batches: %w", err)
	}
	return bs, nil
}

// Received is a campaign a subscriber was sent, for "why did I get this?".
type Received struct {
	CampaignID int64 `db:"campaign_id" json:"campaign_id"`
	Kind       Kind  `db:"kind" json:"kind"`
	// Subject is a newsletter's; EventTitle the title of the event a
	// campaign of another kind is about.
	Subject    string         `db:"subject" json:"subject,omitempty"`
	EventID    *int64         `db:"event_id" json:"-"`
	EventTitle string         `db:"-" json:"event_title,omitempty"`
	Status     maillog.Status `db:"status" json:"status"`
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
	err := s.db.SelectContext(ctx, &rs, `SELECT c.id AS campaign_id, c.kind, c.subject, c.event_id,
		       d.status, d.finished_at, d.matched_kind, d.matched_topics, c.audience_kinds, c.audience_topics
		FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id
		WHERE d.subscriber_id = $1 ORDER BY d.id`, subscriberID)
	if err != nil {
		return nil, fmt.Errorf("campaigns: deliveries of subscriber: %w", err)
	}
	var ids []int64
	for _, r := range rs {
		if r.EventID != nil {
			ids = append(ids, *r.EventID)
		}
	}
	names, err := s.events.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i, r := range rs {
		if r.EventID != nil {
			rs[i].EventTitle = names[*r.EventID].Title
		}
	}
	return rs, nil
}

// Record writes the outcomes of claimed deliveries in one statement,
// each provided its claim still holds, and returns how many claims were
// lost to another worker. One commit for several mails instead of one per
// mail is what lets a worker keep up with a fast relay; a crash before it
// leaves those deliveries claimed, so that they are sent again after the
// lease — the duplicates are at most the outcomes not yet recorded.
// Record may be repeated: a second call for the same outcomes writes
// nothing and counts them lost.
func (s *Store) Record(ctx context.Context, outs []maillog.Outcome) (lost int, err error) {
	if len(outs) == 0 {
		return 0, nil
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Without waiting for the WAL flush: should PostgreSQL itself crash
		// (not restart) within a fraction of a second after this commit,
		// these mails are sent again, like those of a killed worker.
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit TO off`); err != nil {
			return fmt.Errorf("campaigns: record deliveries: %w", err)
		}
		lost, err = deliveryLog.Record(ctx, tx, outs)
		if err != nil {
			return fmt.Errorf("campaigns: %w", err)
		}
		return nil
	})
	return lost, err
}

// ErrNoDelivery is the error of a delivery that does not exist (any more).
var ErrNoDelivery = errors.New("campaigns: no such delivery")

// DeliveryRecipient returns the subscriber and the campaign of the
// delivery with id, or ErrNoDelivery.
func (s *Store) DeliveryRecipient(ctx context.Context, id int64) (subscriberID, campaignID int64, err error) {
	var row struct {
		Subscriber int64 `db:"subscriber_id"`
		Campaign   int64 `db:"campaign_id"`
	}
	err = s.db.GetContext(ctx, &row, `SELECT subscriber_id, campaign_id FROM deliveries WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNoDelivery
	}
	if err != nil {
		return 0, 0, fmt.Errorf("campaigns: recipient of delivery %d: %w", id, err)
	}
	return row.Subscriber, row.Campaign, nil
}

// MarkBounced records that the delivery with id, which the relay took,
// came back later as undeliverable for good (a delivery status
// notification): it is bounced from then on, with reply (the status
// code) as its reply. A delivery not sent is left as it is.
func (s *Store) MarkBounced(ctx context.Context, id int64, reply string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE deliveries SET status = 'bounced', reply = $2
		WHERE id = $1 AND status = 'sent'`, id, reply); err != nil {
		return fmt.Errorf("campaigns: mark delivery %d bounced: %w", id, err)
	}
	return nil
}
