package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// The sweep (TypeSweep) keeps Redis in step with PostgreSQL, the truth:
// every mail is a row before its task exists, so what Redis lost, or what
// a dead worker held, is found in the tables and queued again; and what
// is due by the clock (a scheduled campaign, a reminder) is started here.
// It is a list of named steps, each with its own log line, run in order;
// a failing step does not keep the others from running.

// sweepStep is one job of the sweep. run queues again what waited longer
// than grace (or whose claim ran out), or starts what is due, and returns
// how many tasks it queued.
type sweepStep struct {
	name string
	run  func(ctx context.Context, grace time.Duration) (int, error)
}

// sweepSteps are the steps of the sweep for this worker's configuration.
func (w *Worker) sweepSteps() []sweepStep {
	steps := []sweepStep{{"subscription mails", w.requeueSubscriptionMails}}
	if w.cfg.Events != nil {
		steps = append(steps, sweepStep{"registration mails", w.requeueRegistrationMails})
	}
	if w.cfg.Campaigns != nil {
		steps = append(steps,
			sweepStep{"scheduled campaigns", w.startScheduledCampaigns},
			sweepStep{"reminders", w.startDueReminders},
			sweepStep{"campaign plans", w.continueCampaignPlans},
			sweepStep{"campaign batches", w.requeueCampaignBatches})
	}
	return steps
}

// StepResult is what one step of the sweep did.
type StepResult struct {
	Step   string // its name, as logged: "subscription mails", "reminders" …
	Queued int    // the tasks it queued
	Err    error
}

// Sweep runs the sweep now, as the scheduler does every RequeueEvery:
// each step queues again the mails that waited longer than grace (or
// whose claim ran out) and starts what is due. It logs and returns each
// step's result, and their errors joined; a failing step does not keep
// the others from running.
func (w *Worker) Sweep(ctx context.Context, grace time.Duration) ([]StepResult, error) {
	return w.runSweep(ctx, grace, w.sweepSteps())
}

func (w *Worker) runSweep(ctx context.Context, grace time.Duration, steps []sweepStep) ([]StepResult, error) {
	results := make([]StepResult, len(steps))
	var errs []error
	for i, st := range steps {
		n, err := st.run(ctx, grace)
		results[i] = StepResult{Step: st.name, Queued: n, Err: err}
		log := w.cfg.Logger.With("step", st.name, "queued", n)
		switch {
		case err != nil:
			log.Error("sweep step failed; the next sweep tries again", "error", err)
			errs = append(errs, fmt.Errorf("worker: sweep %s: %w", st.name, err))
		case n > 0:
			log.Info("sweep step queued tasks")
		default:
			log.Debug("sweep step found nothing")
		}
	}
	return results, errors.Join(errs...)
}

// requeueSubscriptionMails re-creates the tasks of open subscription
// mails, a thousand at a time.
func (w *Worker) requeueSubscriptionMails(ctx context.Context, grace time.Duration) (int, error) {
	total := 0
	var after int64
	for {
		mails, err := w.cfg.Store.OpenMails(ctx, grace, w.cfg.Lease, after, 1000)
		if err != nil || len(mails) == 0 {
			return total, err
		}
		after = mails[len(mails)-1].ID
		refs := make([]subscribers.MailRef, len(mails))
		for i, m := range mails {
			refs[i] = m.Ref()
		}
		n, err := w.client.EnqueueMails(ctx, refs)
		total += n
		if err != nil || len(mails) < 1000 {
			return total, err
		}
	}
}

// requeueRegistrationMails re-creates the tasks of open registration
// mails.
func (w *Worker) requeueRegistrationMails(ctx context.Context, grace time.Duration) (int, error) {
	ids, err := w.cfg.Events.OpenMails(ctx, grace, w.cfg.Lease)
	if err != nil {
		return 0, err
	}
	return w.client.EnqueueRegistrationMails(ctx, ids)
}

// startScheduledCampaigns queues the start of each scheduled campaign
// whose time has come.
func (w *Worker) startScheduledCampaigns(ctx context.Context, _ time.Duration) (int, error) {
	due, err := w.cfg.Campaigns.DueScheduled(ctx, w.cfg.Now())
	if err != nil {
		return 0, err
	}
	for i, id := range due {
		if err := w.client.ScheduleCampaign(ctx, id, w.cfg.Now()); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

// startDueReminders creates the reminder campaigns that are due, starts
// them and queues their batches. A reminder whose event has ended or was
// cancelled meanwhile is logged and left.
func (w *Worker) startDueReminders(ctx context.Context, _ time.Duration) (int, error) {
	ids, err := w.cfg.Campaigns.DueReminders(ctx, w.cfg.Now())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		var qerr error
		plan, err := w.cfg.Campaigns.Start(ctx, id, w.cfg.Now(), func(bs []campaigns.BatchRef) {
			m, err := w.client.EnqueueBatches(ctx, bs)
			n += m
			if err != nil && qerr == nil {
				qerr = err
			}
		})
		switch {
		case errors.Is(err, campaigns.ErrStatus):
			continue // started by another worker
		case errors.Is(err, campaigns.ErrEventNotReady):
			w.cfg.Logger.Warn("reminder not sent", "campaign", id, "reason", err)
			continue
		case err != nil:
			return n, err
		}
		w.cfg.Logger.Info("reminder started", "campaign", id, "recipients", plan.Recipients)
		if qerr != nil {
			return n, qerr
		}
	}
	return n, nil
}

// continueCampaignPlans writes the rest of the plans of campaigns whose
// start died half-way, and queues their new batches.
func (w *Worker) continueCampaignPlans(ctx context.Context, grace time.Duration) (int, error) {
	n := 0
	var qerr error
	_, err := w.cfg.Campaigns.ContinuePlans(ctx, grace, func(bs []campaigns.BatchRef) {
		m, err := w.client.EnqueueBatches(ctx, bs)
		n += m
		if err != nil && qerr == nil {
			qerr = err
		}
	})
	return n, errors.Join(err, qerr)
}

// requeueCampaignBatches re-creates the tasks of campaign batches with a
// delivery that may have lost its task.
func (w *Worker) requeueCampaignBatches(ctx context.Context, grace time.Duration) (int, error) {
	batches, err := w.cfg.Campaigns.OpenBatches(ctx, grace)
	if err != nil {
		return 0, err
	}
	return w.client.EnqueueOpenBatches(ctx, batches)
}
