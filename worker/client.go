package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hibiken/asynq"

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
	c        *asynq.Client
	insp     *asynq.Inspector
	queue    string
	maxRetry int
}

// NewClient returns a client for the queues of namespace ("" means
// DefaultNamespace).
func NewClient(redis asynq.RedisConnOpt, namespace string) *Client {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return &Client{c: asynq.NewClient(redis), insp: asynq.NewInspector(redis), queue: MailQueue(namespace), maxRetry: DefaultMaxRetry}
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
	_, err = c.c.EnqueueContext(ctx, task, asynq.Queue(c.queue), asynq.TaskID(id), asynq.MaxRetry(c.maxRetry))
	if errors.Is(err, asynq.ErrTaskIDConflict) && c.deleteFinished(id) {
		_, err = c.c.EnqueueContext(ctx, task, asynq.Queue(c.queue), asynq.TaskID(id), asynq.MaxRetry(c.maxRetry))
	}
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("worker: enqueue %s for subscriber %d: %w", typ, ref.SubscriberID, err)
	}
	return true, nil
}

// deleteFinished deletes the task with id if it is finished (archived after
// a permanent failure, or completed) and reports whether it did. Such a task
// still holds its ID, and would block the task of a mail row that reuses the
// row's ID, as after restoring PostgreSQL from a backup while Redis kept its
// data. A waiting, running or retrying task is left alone: the mail is
// queued.
func (c *Client) deleteFinished(id string) bool {
	info, err := c.insp.GetTaskInfo(c.queue, id)
	if err != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
		return false
	}
	return c.insp.DeleteTask(c.queue, id) == nil
}

// EnqueueMails queues the tasks of many mails, eight at a time, and returns
// how many it queued. On error it stops and returns what it queued so far;
// the rest stays in the mail log, where the worker's requeue finds it.
func (c *Client) EnqueueMails(ctx context.Context, refs []subscribers.MailRef) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		queued atomic.Int64
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	for range min(8, len(refs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(refs) || ctx.Err() != nil {
					return
				}
				ok, err := c.EnqueueMail(ctx, refs[i])
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
