package campaigns

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/maillog"
)

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
	const open = `(NOT planned OR EXISTS (SELECT 1 FROM delivery_batches WHERE campaign_id = $1 AND status <> 'done'))`
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
		// A batch claimed by a worker whose lease still runs is left to
		// it: it sends what it holds. The batch's row is locked first, as
		// a claim does, so that a claim at this moment waits and then
		// finds the batch done.
		if _, err := tx.ExecContext(ctx, `WITH b AS (
				UPDATE delivery_batches SET status = 'done', leased_until = NULL
				WHERE campaign_id = $1 AND (status = 'queued' OR (status = 'sending' AND leased_until < now()))
				RETURNING batch, first_id, last_id)
			UPDATE deliveries d SET status = 'cancelled', finished_at = now(), reply = 'campaign cancelled'
			FROM b WHERE d.id BETWEEN b.first_id AND b.last_id AND d.campaign_id = $1 AND d.batch = b.batch AND d.status = 'queued'`, id); err != nil {
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

// FinishIfDone marks a campaign being sent done once it is planned and
// none of its batches is open, and reports whether it did.
func (s *Store) FinishIfDone(ctx context.Context, id int64) (bool, error) {
	res, err := s.q.finish.Exec(ctx, id)
	if err != nil {
		return false, fmt.Errorf("campaigns: finish: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Progress counts the deliveries of campaign id by status: those queued
// in a batch a worker holds count as sending.
func (s *Store) Progress(ctx context.Context, id int64) (Progress, error) {
	var rows []struct {
		Status maillog.Status `db:"status"`
		N      int            `db:"n"`
	}
	var p Progress
	if err := s.db.SelectContext(ctx, &rows, `SELECT CASE WHEN d.status = 'queued' AND b.status = 'sending' THEN 'sending' ELSE d.status END AS status, count(*) AS n
		FROM deliveries d JOIN delivery_batches b ON b.campaign_id = d.campaign_id AND b.batch = d.batch
		WHERE d.campaign_id = $1 GROUP BY 1`, id); err != nil {
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
		WHERE c.status = 'sending' AND d.status = 'queued'`); err != nil {
		return 0, fmt.Errorf("campaigns: count open deliveries: %w", err)
	}
	return n, nil
}
