package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"time"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// MailHandler sends subscription mails (TypeOptIn, TypeWelcome,
// TypePreferences).
type MailHandler struct {
	Store     *subscribers.Store
	Keys      *subscribers.Keyring
	Templates *templates.Renderer
	Sender    mailer.Sender
	From      mail.Address
	BaseURL   string        // links are BaseURL/confirm/TOKEN and so on
	OptInTTL  time.Duration // how long a confirm link is valid
	Lease     time.Duration // how long a claim holds before another worker may take over
	MaxRetry  int           // retries of a temporary failure before the mail is given up
	Log       *slog.Logger
	Now       func() time.Time
}

// ProcessTask sends the mail a task stands for, if it is still owed.
//
// It returns nil when the mail was sent, or is no longer owed (a duplicate
// task, a subscriber who confirmed or left in the meantime); an error that
// asynq retries after a temporary failure; and an error wrapping
// asynq.SkipRetry when retrying cannot help (bad payload, unknown
// subscriber, permanent failure, retries used up).
func (h *MailHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	kind, ok := mailKind(t.Type())
	if !ok {
		return fmt.Errorf("worker: MailHandler cannot handle %q: %w", t.Type(), asynq.SkipRetry)
	}
	var p SubscriberPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.SubscriberID <= 0 {
		return fmt.Errorf("worker: %s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	log := h.Log.With("task", t.Type(), "subscriber", p.SubscriberID)

	m, sub, err := h.Store.ClaimMail(ctx, p.SubscriberID, kind, h.Lease)
	switch {
	case errors.Is(err, subscribers.ErrNothingOwed):
		log.Debug("nothing owed; duplicate task or already sent")
		return nil
	case errors.Is(err, subscribers.ErrNotFound):
		log.Info("subscriber no longer exists; nothing to send")
		return fmt.Errorf("worker: %s: subscriber %d does not exist: %w", t.Type(), p.SubscriberID, asynq.SkipRetry)
	case err != nil:
		return err
	}
	log = log.With("mail", m.ID, "attempt", m.Attempts)

	if reason := h.notOwed(kind, sub); reason != "" {
		log.Info("mail skipped", "reason", reason)
		return h.record(log, h.Store.MailSkipped(ctx, m, reason))
	}
	msg, err := h.compose(ctx, kind, sub)
	if err != nil {
		h.record(log, h.Store.MailFailed(ctx, m, err.Error()))
		return fmt.Errorf("worker: compose %s mail %d: %v: %w", kind, m.ID, err, asynq.SkipRetry)
	}
	rec, err := h.Sender.Send(ctx, msg)
	if err == nil {
		log.Info("mail sent", "message_id", rec.MessageID)
		return h.record(log, h.Store.MailSent(context.WithoutCancel(ctx), m, rec.MessageID, rec.Reply))
	}
	return h.failed(ctx, log, m, err)
}

// notOwed says why a claimed mail is not sent any more, or "".
func (h *MailHandler) notOwed(kind subscribers.MailKind, sub *subscribers.Subscriber) string {
	switch {
	case kind == subscribers.MailOptIn && sub.Status != subscribers.StatusPending:
		return "subscriber is " + string(sub.Status) + ", not pending"
	case kind != subscribers.MailOptIn && sub.Status != subscribers.StatusConfirmed:
		return "subscriber is " + string(sub.Status) + ", not confirmed"
	}
	return ""
}

// failed records a failed send as the failure policy decides (see decide)
// and tells asynq whether to retry; asynq waits RetryDelay.
func (h *MailHandler) failed(ctx context.Context, log *slog.Logger, m *subscribers.Mail, err error) error {
	ctx = context.WithoutCancel(ctx) // record the outcome even during shutdown
	d := decideTask(ctx, log, h.MaxRetry, err)
	reply := d.Err.Reply()
	switch d.Verdict {
	case Retry:
		if rerr := h.Store.MailDeferred(ctx, m, reply); rerr != nil && !errors.Is(rerr, subscribers.ErrClaimLost) {
			return rerr
		}
		return d.Err
	case Bounce:
		h.record(log, h.Store.MailBounced(ctx, m, reply))
	default:
		h.record(log, h.Store.MailFailed(ctx, m, reply))
	}
	return fmt.Errorf("%w: %w", d.Err, asynq.SkipRetry)
}

// record logs an error in recording an outcome. A lost claim means another
// worker took the mail over after this one's lease ran out; that worker
// records the outcome, so it is not an error of the task.
func (h *MailHandler) record(log *slog.Logger, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, subscribers.ErrClaimLost):
		log.Warn("claim lost to another worker; outcome not recorded here")
		return nil
	default:
		log.Error("recording the outcome failed", "error", err)
		return err
	}
}
