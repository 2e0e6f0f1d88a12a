package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// CampaignHandler sends campaigns (TypeDeliver) and starts scheduled ones
// (TypeStartCampaign).
type CampaignHandler struct {
	Campaigns   *campaigns.Store
	Subscribers *subscribers.Store
	Composer    *compose.Composer
	Sender      mailer.Sender
	VERP        *bounces.VERP  // the envelope sender of each mail; nil: From
	Metrics     *admin.Metrics // nil: none
	Client      *Client        // queues retries and the batches of started campaigns
	Lease       time.Duration
	MaxRetry    int // retries of a temporary failure before a delivery is given up
	RetryDelay  func(n int) time.Duration
	Log         *slog.Logger
	Now         func() time.Time

	limiter *rateLimiter

	mu       sync.Mutex
	prepared map[int64]preparedEntry
	outcomes *outcomeLog
}

// preparedEntry is a rendered campaign; it is rendered again after a
// minute, so that a corrected event reaches the rest of a campaign.
type preparedEntry struct {
	camp *campaigns.Campaign
	p    *compose.Prepared
	made time.Time
}

const preparedTTL = time.Minute

// ProcessTask runs a campaign task.
func (h *CampaignHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	switch t.Type() {
	case TypeDeliver:
		var b campaigns.BatchRef
		if err := json.Unmarshal(t.Payload(), &b); err != nil || b.CampaignID <= 0 || b.Batch < 0 {
			return fmt.Errorf("worker: %s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
		}
		return h.deliver(ctx, b)
	case TypeStartCampaign:
		var p CampaignPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.CampaignID <= 0 {
			return fmt.Errorf("worker: %s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
		}
		return h.start(ctx, p.CampaignID)
	}
	return fmt.Errorf("worker: CampaignHandler cannot handle %q: %w", t.Type(), asynq.SkipRetry)
}

// start plans a scheduled campaign and queues its batches.
func (h *CampaignHandler) start(ctx context.Context, id int64) error {
	log := h.Log.With("campaign", id)
	var qerr error
	plan, err := h.Campaigns.Start(ctx, id, h.Now(), func(bs []campaigns.BatchRef) {
		if _, err := h.Client.EnqueueBatches(ctx, bs); err != nil && qerr == nil {
			qerr = err // the sweep finds the rest
		}
	})
	switch {
	case errors.Is(err, campaigns.ErrStatus), errors.Is(err, campaigns.ErrNotFound), errors.Is(err, campaigns.ErrNotDue):
		log.Debug("campaign not started", "reason", err)
		return nil
	case errors.Is(err, campaigns.ErrEventNotReady):
		log.Error("scheduled campaign not sent; it is a draft again", "reason", err)
		if _, uerr := h.Campaigns.Unschedule(ctx, id); uerr != nil && !errors.Is(uerr, campaigns.ErrStatus) {
			return uerr
		}
		return fmt.Errorf("worker: campaign %d: %w: %w", id, err, asynq.SkipRetry)
	case err != nil:
		return err
	}
	log.Info("campaign started", "recipients", plan.Recipients, "batches", plan.Batches)
	return qerr
}

// deliver claims the due deliveries of batch b and sends them one after
// another over the sender's pooled connections.
func (h *CampaignHandler) deliver(ctx context.Context, b campaigns.BatchRef) error {
	log := h.Log.With("campaign", b.CampaignID, "batch", b.Batch)
	// The claim holds only while the campaign is being sent: paused or
	// cancelled, the batch is left (Resume queues it again).
	claim, ds, err := h.Campaigns.Claim(ctx, b, h.Lease)
	if err != nil {
		return err
	}
	if claim == nil {
		return h.finishIfDone(ctx, log, b.CampaignID)
	}
	in, err := h.batchInputs(ctx, claim, ds)
	if err != nil {
		// Nothing was sent: the batch goes back to the queue now rather
		// than after the lease, and the task is tried again.
		if _, _, rerr := h.Campaigns.Release(context.WithoutCancel(ctx), claim); rerr != nil {
			log.Warn("releasing the batch failed; it is claimed again after the lease", "error", rerr)
		}
		if errors.Is(err, campaigns.ErrNotFound) {
			return fmt.Errorf("worker: campaign %d does not exist: %w", b.CampaignID, asynq.SkipRetry)
		}
		return fmt.Errorf("worker: campaign %d: %w", b.CampaignID, err)
	}
	subscriberOf := make(map[int64]int64, len(ds)) // by delivery
	for _, d := range ds {
		subscriberOf[d.ID] = d.SubscriberID
	}
	// Outcomes are recorded while the batch is sent, never more than
	// recordEvery of them unrecorded: a worker killed mid-batch then
	// sends again at most that many per connection. They are written
	// with those of the worker's other batches (outcomeLog).
	rec := context.WithoutCancel(ctx) // record outcomes even during shutdown
	outs := h.outcomeLog().begin(claim)
	var bounced []maillog.Outcome
	err = h.sendBatch(ctx, log, ds, in, func(o maillog.Outcome) error {
		h.Metrics.Mail(admin.KindCampaign, statusWord(o.Status))
		if o.Status == maillog.Bounced {
			bounced = append(bounced, o)
		}
		return outs.add(rec, o)
	})
	if err != nil {
		log.Error("recording the outcomes failed; the deliveries are sent again after the lease", "error", err)
		return err
	}
	lost, err := outs.close(rec)
	if err != nil {
		log.Error("recording the outcomes failed; the deliveries are sent again after the lease", "error", err)
		return err
	}
	if lost > 0 {
		log.Warn("claims lost to another worker; their outcomes not recorded here", "count", lost)
	}
	for _, o := range bounced {
		if err := h.Subscribers.Bounce(rec, subscriberOf[o.ID], o.Reply); err != nil && !errors.Is(err, subscribers.ErrNotFound) {
			log.Error("marking a subscriber bounced failed", "delivery", o.ID, "error", err)
		}
	}
	open, retryAt, err := h.Campaigns.Release(rec, claim)
	if err != nil {
		return err // the batch is claimed again after the lease
	}
	if open {
		// One task for the batch's deferred deliveries, at the latest of
		// their times; the sweep covers a lost one.
		at := h.Now()
		if retryAt != nil {
			at = *retryAt
		}
		if _, err := h.Client.EnqueueBatchAt(rec, b, at); err != nil {
			log.Warn("queueing the retry failed; the sweep will find the deliveries", "error", err)
		}
	}
	return h.finishIfDone(ctx, log, b.CampaignID)
}

// sendBatch sends the letters of deliveries ds and gives each outcome to
// finish, in the order they are known; it stops at the first error of
// finish and returns it.
//
// The letters go through one pipeline, which tells their fate in the
// order they were given: one behind the other, a mail costs one write and
// one wait for the relay (mailer.Pipeline).
func (h *CampaignHandler) sendBatch(ctx context.Context, log *slog.Logger, ds []*campaigns.Delivery, in batchInputs, finish func(maillog.Outcome) error) error {
	var ferr error
	add := func(o maillog.Outcome) {
		if ferr == nil {
			ferr = finish(o)
		}
	}
	var given []givenLetter
	pipe := h.Sender.Pipeline(ctx, func(_ *mailer.Letter, r mailer.Receipt, err error) {
		g := given[0]
		given = given[1:]
		h.Metrics.Send(admin.KindCampaign, time.Since(g.start), replyCode(r, err))
		if err != nil {
			add(h.failed(g.log, g.d, err))
			return
		}
		add(g.d.Sent(r.MessageID, r.Reply))
	})
	for _, d := range ds {
		if ferr != nil {
			break
		}
		if in.registrants[d.SubscriberID] {
			add(d.Skipped("registered for the event meanwhile"))
			continue
		}
		dlog := log.With("delivery", d.ID, "attempt", d.Attempts)
		c := in.contacts[d.SubscriberID]
		if reason := skipReason(c, in.registered); reason != "" {
			dlog.Debug("delivery skipped", "reason", reason)
			add(d.Skipped(reason))
			continue
		}
		// A letter whose envelope the relay accepted goes out before a
		// wait for the rate limit: relays wait minutes for a text, not
		// for ever.
		if err := h.limiter.Wait(ctx, pipe.Flush); err != nil {
			add(h.failed(dlog, d, &mailer.Error{Temporary: true, Stage: mailer.StageConnect, Err: err}))
			continue
		}
		b, l := in.prep.Letter(c, h.Now())
		l.ReturnPath = returnPath(h.VERP, maillog.Deliveries, d.ID)
		given = append(given, givenLetter{d: d, log: dlog, start: time.Now()})
		pipe.Send(b, l)
	}
	pipe.Close()
	return ferr
}

// batchInputs is what sending a batch needs besides its deliveries.
type batchInputs struct {
	prep     *compose.Prepared
	contacts map[int64]*subscribers.Contact
	// registered, for a campaign to the people registered for an event,
	// are those still registered (nil for other campaigns); registrants,
	// for a last call, those who registered since it was planned.
	registered, registrants map[int64]bool
}

// batchInputs reads and renders what the batch of claim with deliveries
// ds needs.
func (h *CampaignHandler) batchInputs(ctx context.Context, claim *campaigns.Batch, ds []*campaigns.Delivery) (batchInputs, error) {
	var in batchInputs
	camp, prep, err := h.prepare(ctx, claim)
	if err != nil {
		return in, err
	}
	in.prep = prep
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.SubscriberID
	}
	if in.contacts, err = h.Subscribers.Contacts(ctx, ids); err != nil {
		return in, err
	}
	if in.registered, err = h.Campaigns.StillRegistered(ctx, camp); err != nil {
		return in, err
	}
	in.registrants, err = h.Campaigns.Registrants(ctx, camp)
	return in, err
}

// recordEvery is how many outcomes of a batch may be unrecorded at most:
// the batch that reaches it writes them (outcomeLog).
const recordEvery = 10

// outcomeLog returns the log that records the outcomes of the worker's
// batches.
func (h *CampaignHandler) outcomeLog() *outcomeLog {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.outcomes == nil {
		h.outcomes = newOutcomeLog(recordEvery, h.record)
	}
	return h.outcomes
}

// record writes outcomes, trying again while PostgreSQL is away (a
// restart, a failover) for up to half the lease: mails that went out but
// were not recorded would go out again after the lease. Record is safe to
// repeat, since it writes only outcomes whose claims still hold.
func (h *CampaignHandler) record(ctx context.Context, outs []campaigns.ClaimedOutcome) ([]int64, error) {
	deadline := time.Now().Add(h.Lease / 2)
	wait := 250 * time.Millisecond
	for {
		written, err := h.Campaigns.Record(ctx, outs)
		if err == nil || time.Now().Add(wait).After(deadline) {
			return written, err
		}
		h.Log.Warn("recording the outcomes failed; trying again", "in", wait, "outcomes", len(outs), "error", err)
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}

func (h *CampaignHandler) finishIfDone(ctx context.Context, log *slog.Logger, id int64) error {
	done, err := h.Campaigns.FinishIfDone(context.WithoutCancel(ctx), id)
	if done {
		log.Info("campaign done")
	}
	return err
}

// givenLetter is a delivery whose letter is in the pipeline.
type givenLetter struct {
	d     *campaigns.Delivery
	log   *slog.Logger
	start time.Time
}

// skipReason says why the delivery to c is not sent, or "" when it is.
//
// registered, for a campaign to the people registered for an event, are
// those still registered; nil for other campaigns, which go to confirmed
// subscribers only.
func skipReason(c *subscribers.Contact, registered map[int64]bool) string {
	switch {
	case c == nil:
		return "subscriber no longer exists"
	case registered != nil && !registered[c.ID]:
		return "no longer registered for the event"
	case registered != nil && c.Status == subscribers.StatusBounced:
		return "subscriber is bounced"
	case registered == nil && c.Status != subscribers.StatusConfirmed:
		return "subscriber is " + string(c.Status)
	case c.Suppressed:
		return "address is on the suppression list"
	}
	return ""
}

// failed is what a failed delivery becomes, as the failure policy decides
// (see decide): queued for a retry at its own time, failed, or bounced.
// Its attempts count the claims, so it was retried one time fewer.
func (h *CampaignHandler) failed(log *slog.Logger, d *campaigns.Delivery, err error) maillog.Outcome {
	retried := d.Attempts - 1
	dec := decide(err, retried, h.MaxRetry, h.Now(), h.RetryDelay)
	logDecision(log, dec, retried)
	return dec.Outcome(d.Claim)
}

// prepare returns the campaign of claim and its rendering, from the cache
// when they are of the version the claim saw and fresh; otherwise read
// and rendered anew.
func (h *CampaignHandler) prepare(ctx context.Context, claim *campaigns.Batch) (*campaigns.Campaign, *compose.Prepared, error) {
	now := h.Now()
	h.mu.Lock()
	e, ok := h.prepared[claim.CampaignID]
	h.mu.Unlock()
	if ok && e.camp.UpdatedAt.Equal(claim.CampaignUpdated) && now.Sub(e.made) < preparedTTL {
		return e.camp, e.p, nil
	}
	camp, err := h.Campaigns.Get(ctx, claim.CampaignID)
	if err != nil {
		return nil, nil, err
	}
	facts, err := h.Campaigns.Facts(ctx, camp)
	if err != nil {
		return nil, nil, err
	}
	p, err := h.Composer.Prepare(camp, facts, now)
	if err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.prepared == nil {
		h.prepared = map[int64]preparedEntry{}
	}
	for id, old := range h.prepared {
		if now.Sub(old.made) >= preparedTTL {
			delete(h.prepared, id)
		}
	}
	h.prepared[camp.ID] = preparedEntry{camp: camp, p: p, made: now}
	return camp, p, nil
}
