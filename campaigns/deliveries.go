package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

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

// receivedSQL reads the deliveries of subscriber $1 with their campaigns.
// No index leads with the subscriber (migration 00035): PostgreSQL looks
// the deliveries up campaign by campaign in deliveries_once.
const receivedSQL = `SELECT c.id AS campaign_id, c.kind, c.subject, c.event_id,
		       d.status, d.finished_at, d.matched_kind, d.matched_topics, c.audience_kinds, c.audience_topics
		FROM campaigns c JOIN deliveries d ON d.campaign_id = c.id AND d.subscriber_id = $1
		ORDER BY d.id`

// Received returns the campaigns planned for the subscriber with id,
// oldest first.
func (s *Store) Received(ctx context.Context, subscriberID int64) ([]Received, error) {
	var rs []Received
	err := s.db.SelectContext(ctx, &rs, receivedSQL, subscriberID)
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
