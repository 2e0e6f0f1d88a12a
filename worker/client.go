package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// DefaultNamespace prefixes rundbrief's queue names. Installations or tests
// that share a Redis use different namespaces.
const DefaultNamespace = "rundbrief"

// DefaultMaxRetry is how often a temporarily failed mail is retried before
// it is given up: with the default backoff, about four hours.
const DefaultMaxRetry = 10

// Client puts tasks on the queue. It is safe for concurrent use.
type Client struct {
	c         *asynq.Client
	insp      *asynq.Inspector
	queue     string
	campaigns string
	maxRetry  int
}

// NewClient returns a client for the queues of namespace ("" means
// DefaultNamespace).
func NewClient(redis asynq.RedisConnOpt, namespace string) *Client {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &Client{c: asynq.NewClient(redis), insp: asynq.NewInspector(redis), queue: MailQueue(namespace),
		campaigns: CampaignQueue(namespace), maxRetry: DefaultMaxRetry}
}

// Close closes the connections to Redis.
func (c *Client) Close() error { return errors.Join(c.c.Close(), c.insp.Close()) }

// Ping checks that Redis answers.
func (c *Client) Ping() error { return c.c.Ping() }

// EnqueueMail queues the task that sends the subscription mail ref. It
// reports false, and no error, when the task is queued already.
func (c *Client) EnqueueMail(ctx context.Context, ref subscribers.MailRef) (bool, error) {
	typ, err := taskType(ref.Kind)
	if err != nil {
		return false, err
	}
	task, err := newSubscriberTask(typ, ref.SubscriberID)
	if err != nil {
		return false, err
	}
	id := taskID(ref)
	ok, err := c.enqueueOnce(ctx, task, c.queue, id, asynq.MaxRetry(c.maxRetry))
	if err != nil {
		return false, fmt.Errorf("worker: enqueue %s for subscriber %d: %w", typ, ref.SubscriberID, err)
	}
	return ok, nil
}

// enqueueOnce queues task under id unless a task with id waits, runs or
// retries already; then it reports false.
func (c *Client) enqueueOnce(ctx context.Context, task *asynq.Task, queue, id string, opts ...asynq.Option) (bool, error) {
	opts = append(opts, asynq.Queue(queue), asynq.TaskID(id))
	_, err := c.c.EnqueueContext(ctx, task, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) && c.deleteFinished(queue, id) {
		_, err = c.c.EnqueueContext(ctx, task, opts...)
	}
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// EnqueueBatch queues the task of campaign batch b. It reports false, and
// no error, when the task is queued already.
func (c *Client) EnqueueBatch(ctx context.Context, b campaigns.BatchRef) (bool, error) {
	return c.enqueueBatch(ctx, b, batchTaskID(b))
}

// EnqueueBatchAt queues a task that sends the deliveries of b that are due
// at at, such as those deferred after a temporary failure.
func (c *Client) EnqueueBatchAt(ctx context.Context, b campaigns.BatchRef, at time.Time) (bool, error) {
	return c.enqueueBatch(ctx, b, fmt.Sprintf("%s:at:%d", batchTaskID(b), at.Unix()), asynq.ProcessAt(at))
}

func (c *Client) enqueueBatch(ctx context.Context, b campaigns.BatchRef, id string, opts ...asynq.Option) (bool, error) {
	task, err := NewDeliverTask(b)
	if err != nil {
		return false, err
	}
	// A batch task fails only when PostgreSQL or Redis do; each delivery
	// keeps its own retry count.
	ok, err := c.enqueueOnce(ctx, task, c.campaigns, id, append(opts, asynq.MaxRetry(c.maxRetry))...)
	if err != nil {
		return false, fmt.Errorf("worker: enqueue campaign %d batch %d: %w", b.CampaignID, b.Batch, err)
	}
	return ok, nil
}

// EnqueueBatches queues the tasks of many batches, eight at a time, and
// returns how many it queued. On error it stops; the deliveries stay in
// the delivery log, where the worker's sweep finds them.
func (c *Client) EnqueueBatches(ctx context.Context, bs []campaigns.BatchRef) (int, error) {
	return parallel(ctx, bs, c.EnqueueBatch)
}

// EnqueueOpenBatches queues the tasks of batches that may have lost
// theirs. A batch with an expired claim gets a task named after that
// claim: the old task may still be held by the worker that died, and asynq
// frees it only after its own lease.
func (c *Client) EnqueueOpenBatches(ctx context.Context, bs []campaigns.OpenBatch) (int, error) {
	return parallel(ctx, bs, func(ctx context.Context, b campaigns.OpenBatch) (bool, error) {
		if b.ExpiredClaim == nil {
			return c.EnqueueBatch(ctx, b.BatchRef)
		}
		return c.enqueueBatch(ctx, b.BatchRef, fmt.Sprintf("%s:reclaim:%d", batchTaskID(b.BatchRef), b.ExpiredClaim.UnixMicro()))
	})
}

// PlannedBatches are the batch references of a plan.
func PlannedBatches(p *campaigns.Plan) []campaigns.BatchRef {
	bs := make([]campaigns.BatchRef, p.Batches)
	for i := range bs {
		bs[i] = campaigns.BatchRef{CampaignID: p.Campaign.ID, Batch: i}
	}
	return bs
}

// ScheduleCampaign queues the task that starts campaign id at at.
func (c *Client) ScheduleCampaign(ctx context.Context, id int64, at time.Time) error {
	task, err := NewStartCampaignTask(id)
	if err != nil {
		return err
	}
	if _, err := c.enqueueOnce(ctx, task, c.campaigns, fmt.Sprintf("campaign:%d:start:%d", id, at.Unix()),
		asynq.ProcessAt(at), asynq.MaxRetry(c.maxRetry)); err != nil {
		return fmt.Errorf("worker: schedule campaign %d: %w", id, err)
	}
	return nil
}

// deleteFinished deletes the task with id if it is finished (archived after
// a permanent failure, or completed) and reports whether it did. Such a task
// still holds its ID, and would block the task of a mail row that reuses the
// row's ID, as after restoring PostgreSQL from a backup while Redis kept its
// data. A waiting, running or retrying task is left alone: the mail is
// queued.
func (c *Client) deleteFinished(queue, id string) bool {
	info, err := c.insp.GetTaskInfo(queue, id)
	if err != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
		return false
	}
	return c.insp.DeleteTask(queue, id) == nil
}

// EnqueueMails queues the tasks of many mails, eight at a time, and returns
// how many it queued. On error it stops and returns what it queued so far;
// the rest stays in the mail log, where the worker's sweep finds it.
func (c *Client) EnqueueMails(ctx context.Context, refs []subscribers.MailRef) (int, error) {
	return parallel(ctx, refs, c.EnqueueMail)
}

// parallel calls enqueue for each item, eight at a time, and counts the
// ones it queued. It stops at the first error.
func parallel[T any](ctx context.Context, items []T, enqueue func(context.Context, T) (bool, error)) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		queued atomic.Int64
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	for range min(8, len(items)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(items) || ctx.Err() != nil {
					return
				}
				ok, err := enqueue(ctx, items[i])
				if err != nil {
					cancel(err)
					return
				}
				if ok {
					queued.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return int(queued.Load()), context.Cause(ctx)
}
