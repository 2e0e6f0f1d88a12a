package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/maillog"
)

// Verdict is what becomes of a mail whose sending failed.
type Verdict int

// The verdicts of the failure policy.
const (
	// Retry: a temporary failure (4xx, the relay down) with retries left;
	// the mail goes again at Decision.RetryAt.
	Retry Verdict = iota + 1
	// GiveUp: temporary failures used up the retries; the mail is failed.
	GiveUp
	// Bounce: the recipient's address was refused for good; the mail is
	// bounced and the address suppressed.
	Bounce
	// Fail: a permanent failure that is not the recipient's fault (a
	// policy refusal, a relay without SMTPUTF8, a mail that cannot be
	// built); the mail is failed, the address stays.
	Fail
)

// Decision is the failure policy's answer for one failed mail.
type Decision struct {
	Verdict Verdict
	RetryAt time.Time // for Retry
	Err     *mailer.Error
}

// Outcome is what d makes of the mail held by claim c, for its log: queued
// again (at RetryAt), failed or bounced, with the relay's reply.
func (d Decision) Outcome(c maillog.Claim) maillog.Outcome {
	o := maillog.Outcome{Claim: c, Status: maillog.Failed, Reply: d.Err.Reply()}
	switch d.Verdict {
	case Retry:
		at := d.RetryAt
		o.Status, o.RetryAt = maillog.Queued, &at
	case Bounce:
		o.Status = maillog.Bounced
	}
	return o
}

// decide is the one failure policy of every kind of mail: from the error
// of a send, how many times the mail was retried before (0 on its first
// try), the most retries allowed and the wait before retry n, it says what
// becomes of the mail. An error that is not a *mailer.Error counts as a
// temporary failure to connect.
func decide(err error, retried, maxRetry int, now time.Time, delay func(n int) time.Duration) Decision {
	e, ok := mailer.AsError(err)
	if !ok {
		e = &mailer.Error{Temporary: true, Stage: mailer.StageConnect, Err: err}
	}
	switch {
	case e.Temporary && retried < maxRetry:
		return Decision{Verdict: Retry, RetryAt: now.Add(delay(retried + 1)), Err: e}
	case e.Temporary:
		return Decision{Verdict: GiveUp, Err: e}
	case e.RecipientRejected():
		return Decision{Verdict: Bounce, Err: e}
	}
	return Decision{Verdict: Fail, Err: e}
}

// decideTask is decide for a mail whose task asynq retries itself (after
// the worker's RetryDelay): the retries are the task's, at most max, and
// the decision is logged.
func decideTask(ctx context.Context, log *slog.Logger, max int, err error) Decision {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	if !ok || (max > 0 && max < maxRetry) {
		maxRetry = max
	}
	d := decide(err, retried, maxRetry, time.Now(), func(int) time.Duration { return 0 })
	logDecision(log, d, retried)
	return d
}

// logDecision writes what d means to log, in the same words for every
// kind of mail. The mailer keeps no address in an error's text (see
// mailer.Error), so the reason may be logged.
func logDecision(log *slog.Logger, d Decision, retried int) {
	e := d.Err
	log = log.With("stage", e.Stage, "code", e.Code, "enhanced", e.Enhanced, "error", e.Err, "retried", retried)
	switch d.Verdict {
	case Retry:
		log.Warn("temporary failure; will retry", "at", d.RetryAt)
	case GiveUp:
		log.Error("temporary failures used up the retries; mail given up")
	case Bounce:
		log.Warn("address refused for good; subscriber marked bounced and suppressed")
	default:
		log.Error("permanent failure that is not the recipient's fault; check the relay and sender settings")
	}
}

// recordFunc records the outcome of one claimed mail in its owner's log.
type recordFunc func(ctx context.Context, o maillog.Outcome) error

// failedTask records the failed send of the mail held by claim c, whose
// task asynq retries itself, as the failure policy decides, and returns
// what the task returns to asynq: the error for a retry, or the error
// wrapping asynq.SkipRetry when the mail is given up or bounced.
func failedTask(ctx context.Context, log *slog.Logger, max int, c maillog.Claim, err error, record recordFunc) error {
	ctx = context.WithoutCancel(ctx) // record the outcome even during shutdown
	d := decideTask(ctx, log, max, err)
	rerr := recorded(log, record(ctx, d.Outcome(c)))
	if d.Verdict == Retry {
		if rerr != nil {
			return rerr
		}
		return d.Err
	}
	return fmt.Errorf("%w: %w", d.Err, asynq.SkipRetry)
}

// recorded logs an error in recording an outcome and returns it. A lost
// claim means another worker took the mail over after this one's lease
// ran out; that worker records the outcome, so it is not an error of the
// task.
func recorded(log *slog.Logger, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, maillog.ErrClaimLost):
		log.Warn("claim lost to another worker; outcome not recorded here")
		return nil
	default:
		log.Error("recording the outcome failed", "error", err)
		return err
	}
}
