package campaigns

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Plan is what starting a campaign wrote: one delivery per recipient, in
// batches numbered from 0.
type Plan struct {
	Campaign   *Campaign
	Recipients int
	Batches    int
}

// Start plans campaign id for sending now: it writes one queued delivery
// per recipient, in bulk and in one transaction, and marks the campaign
// sending (or done, if nobody matches). Queue the tasks of the batches
// afterwards; if that fails, the worker's sweep finds the deliveries.
//
// Only a draft or scheduled campaign starts; an invitation's event must be
// published and not over. The audience is read before the transaction, so
// that Start holds one connection at a time: the transaction locks the
// campaign and checks its status again, and of two starts at once only
// one writes deliveries.
func (s *Store) Start(ctx context.Context, id int64, now time.Time) (*Plan, error) {
	size := s.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
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
	var (
		ids    []int64
		batch  []int32
		kinds  []string
		topics []string
	)
	err = s.EachRecipient(ctx, c, func(m subscribers.Match) error {
		batch = append(batch, int32(len(ids)/size))
		ids = append(ids, m.SubscriberID)
		kinds = append(kinds, string(m.Kind))
		topics = append(topics, strings.Join(m.Topics, ","))
		return nil
	})
	if err != nil {
		return nil, err
	}
	plan := &Plan{}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := getCampaign(ctx, tx, `SELECT `+campaignColumns+campaignFrom+` WHERE c.id = $1 FOR UPDATE OF c`, id)
		if err != nil {
			return err
		}
		if err := startable(c, now); err != nil {
			return err
		}
		// The campaign row is locked and has no deliveries yet, so a plain
		// INSERT: ON CONFLICT would cost a speculative insertion per row
		// (a quarter of the time), and deliveries_once still refuses a
		// second row for anyone.
		const chunk = 10000
		for lo := 0; lo < len(ids); lo += chunk {
			hi := min(lo+chunk, len(ids))
			_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind, matched_topics)
				SELECT $1, u.subscriber_id, u.batch, u.kind, string_to_array(u.topics, ',')
				FROM unnest($2::bigint[], $3::integer[], $4::text[], $5::text[]) AS u (subscriber_id, batch, kind, topics)`,
				id, pq.Int64Array(ids[lo:hi]), pq.Array(batch[lo:hi]), pq.StringArray(kinds[lo:hi]), pq.StringArray(topics[lo:hi]))
			if err != nil {
				return fmt.Errorf("campaigns: write deliveries: %w", err)
			}
		}
		status := StatusSending
		if len(ids) == 0 {
			status = StatusDone
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET status = $2, started_at = now(), updated_at = now(),
			finished_at = CASE WHEN $2 = 'done' THEN now() END WHERE id = $1`, id, status)
		if err != nil {
			return fmt.Errorf("campaigns: start: %w", err)
		}
		plan.Recipients = len(ids)
		plan.Batches = (len(ids) + size - 1) / size
		return nil
	})
	if err != nil {
		return nil, err
	}
	if plan.Campaign, err = s.Get(ctx, id); err != nil {
		return nil, err
	}
	return plan, nil
}

// startable says why c cannot start at now, or nil: only a draft, or a
// scheduled campaign whose time has come, starts.
func startable(c *Campaign, now time.Time) error {
	if c.Status != StatusDraft && c.Status != StatusScheduled {
		return statusError(c, "only a draft or a scheduled campaign can be sent")
	}
	if c.Status == StatusScheduled && c.SendAt.After(now.Add(time.Second)) {
		// A start task of an earlier time, before it was moved. (The
		// queue keeps times in whole seconds, so a task may run up to
		// a second early.)
		return fmt.Errorf("%w: campaign %d is scheduled for %s", ErrNotDue, c.ID, c.SendAt.Format(time.RFC3339))
	}
	return nil
}

// Schedule makes a draft (or scheduled) campaign start at at, which must
// lie in the future.
func (s *Store) Schedule(ctx context.Context, id int64, at, now time.Time) (*Campaign, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !at.After(now) {
		return nil, &InvalidError{Field: "at", Problem: ProblemNotFuture, Value: events.FormatTime(at)}
	}
	if err := s.ready(ctx, c, now); err != nil {
		return nil, err
	}
	return s.transition(ctx, c, `status = 'scheduled', send_at = $2`, []Status{StatusDraft, StatusScheduled},
		"only a draft can be scheduled", at)
}

// Pause stops sending a campaign: workers send nothing more of it until
// Resume. Mails already handed to a worker still go out.
func (s *Store) Pause(ctx context.Context, id int64) (*Campaign, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, c, `status = 'paused'`, []Status{StatusSending}, "only a campaign being sent can be paused")
}

// Resume continues a paused campaign. Queue its open batches afterwards
// (OpenBatches with no grace). A campaign whose last mails went out while
// it was paused (workers finish what they hold) is done at once: no batch
// is left to finish it.
func (s *Store) Resume(ctx context.Context, id int64) (*Campaign, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	const open = `EXISTS (SELECT 1 FROM deliveries WHERE campaign_id = $1 AND status IN ('queued', 'sending'))`
	return s.transition(ctx, c, `status = CASE WHEN `+open+` THEN 'sending' ELSE 'done' END,
		finished_at = CASE WHEN `+open+` THEN NULL ELSE now() END`, []Status{StatusPaused}, "only a paused campaign can be resumed")
}

// Cancel stops a campaign for good: its queued deliveries are cancelled.
// Mails already handed to a worker still go out.
func (s *Store) Cancel(ctx context.Context, id int64) (*Campaign, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := getCampaign(ctx, tx, `SELECT `+campaignColumns+campaignFrom+` WHERE c.id = $1 FOR UPDATE OF c`, id)
		if err != nil {
			return err
		}
		switch c.Status {
		case StatusDone, StatusCancelled:
			return statusError(c, "there is nothing left to cancel")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = 'cancelled', finished_at = now(), updated_at = now()
			WHERE id = $1`, id); err != nil {
			return fmt.Errorf("campaigns: cancel: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'cancelled', finished_at = now(), reply = 'campaign cancelled'
			WHERE campaign_id = $1 AND status = 'queued'`, id); err != nil {
			return fmt.Errorf("campaigns: cancel deliveries: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// transition applies set to c if it is in one of from.
func (s *Store) transition(ctx context.Context, c *Campaign, set string, from []Status, why string, args ...any) (*Campaign, error) {
	statuses := make([]string, len(from))
	for i, st := range from {
		statuses[i] = string(st)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE campaigns SET `+set+`, updated_at = now()
		WHERE id = $1 AND status = ANY ($`+fmt.Sprint(len(args)+2)+`)`, append(append([]any{c.ID}, args...), pq.StringArray(statuses))...)
	if err != nil {
		return nil, fmt.Errorf("campaigns: update: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if c, err = s.Get(ctx, c.ID); err != nil {
			return nil, err
		}
		return nil, statusError(c, why)
	}
	return s.Get(ctx, c.ID)
}

// DueScheduled returns the IDs of scheduled campaigns whose time has come.
func (s *Store) DueScheduled(ctx context.Context, now time.Time) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM campaigns WHERE status = 'scheduled' AND send_at <= $1 ORDER BY send_at`, now); err != nil {
		return nil, fmt.Errorf("campaigns: due campaigns: %w", err)
	}
	return ids, nil
}

// FinishIfDone marks a campaign being sent done once none of its
// deliveries is open, and reports whether it did.
func (s *Store) FinishIfDone(ctx context.Context, id int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE campaigns SET status = 'done', finished_at = now(), updated_at = now()
		WHERE id = $1 AND status = 'sending'
		  AND NOT EXISTS (SELECT 1 FROM deliveries WHERE campaign_id = $1 AND status IN ('queued', 'sending'))`, id)
	if err != nil {
		return false, fmt.Errorf("campaigns: finish: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Progress counts the deliveries of campaign id by status.
func (s *Store) Progress(ctx context.Context, id int64) (Progress, error) {
	var rows []struct {
		Status maillog.Status `db:"status"`
		N      int            `db:"n"`
	}
	var p Progress
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, count(*) AS n FROM deliveries WHERE campaign_id = $1 GROUP BY status`, id); err != nil {
		return p, fmt.Errorf("campaigns: progress: %w", err)
	}
	count := map[maillog.Status]*int{
		maillog.Queued: &p.Queued, maillog.Sending: &p.Sending, maillog.Sent: &p.Sent, maillog.Failed: &p.Failed,
		maillog.Bounced: &p.Bounced, maillog.Skipped: &p.Skipped, maillog.Cancelled: &p.Cancelled,
	}
	for _, r := range rows {
		p.Total += r.N
		if n, ok := count[r.Status]; ok {
			*n = r.N
		}
	}
	return p, nil
}

// Unschedule makes a scheduled campaign a draft again.
func (s *Store) Unschedule(ctx context.Context, id int64) (*Campaign, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, c, `status = 'draft', send_at = NULL`, []Status{StatusScheduled}, "only a scheduled campaign can be unscheduled")
}

// CountOpen returns how many deliveries of campaigns being sent are open.
func (s *Store) CountOpen(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id
		WHERE c.status = 'sending' AND d.status IN ('queued', 'sending')`); err != nil {
		return 0, fmt.Errorf("campaigns: count open deliveries: %w", err)
	}
	return n, nil
}
