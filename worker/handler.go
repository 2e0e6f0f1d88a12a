package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// MailHandler sends subscription mails (TypeOptIn, TypeWelcome,
// TypePreferences).
type MailHandler struct {
	Store    *subscribers.Store
	Composer *compose.Composer
	Sender   mailer.Sender
	VERP     *bounces.VERP  // the envelope sender of each mail; nil: From
	Metrics  *admin.Metrics // nil: none
	Lease    time.Duration  // how long a claim holds before another worker may take over
	MaxRetry int            // retries of a temporary failure before the mail is given up
	Log      *slog.Logger
	Now      func() time.Time
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

	record := func(ctx context.Context, o maillog.Outcome) error {
		err := h.Store.RecordMail(ctx, m, o)
		if err == nil {
			h.Metrics.Mail(admin.KindSubscription, statusWord(o.Status))
		}
		return err
	}
	if reason := h.notOwed(kind, sub); reason != "" {
		log.Info("mail skipped", "reason", reason)
		return recorded(log, record(ctx, m.Skipped(reason)))
	}
	var topics []subscribers.Topic
	if kind != subscribers.MailOptIn { // the others name the subscriber's topics
		if topics, err = h.Store.Topics(ctx); err != nil {
			return err
		}
	}
	msg, err := h.Composer.Subscription(kind, sub, topics, h.Now())
	if err != nil {
		recorded(log, record(ctx, m.Failed(err.Error())))
		return fmt.Errorf("worker: compose %s mail %d: %v: %w", kind, m.ID, err, asynq.SkipRetry)
	}
	msg.ReturnPath = returnPath(h.VERP, maillog.SubscriptionMails, m.ID)
	start := time.Now()
	rec, err := h.Sender.Send(ctx, msg)
	h.Metrics.Send(admin.KindSubscription, time.Since(start), replyCode(rec, err))
	if err == nil {
		log.Info("mail sent", "message_id", rec.MessageID)
		return recorded(log, record(context.WithoutCancel(ctx), m.Sent(rec.MessageID, rec.Reply)))
	}
	return failedTask(ctx, log, h.MaxRetry, m.Claim, err, record)
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

// returnPath is the envelope sender of the mail id in log: its bounce
// address when v is set, else "" (From).
func returnPath(v *bounces.VERP, log maillog.Log, id int64) string {
	if v == nil {
		return ""
	}
	return v.Address(maillog.Ref{Log: log, ID: id})
}

// statusWord is how the metrics name an outcome's status: a mail queued
// again is a retry.
func statusWord(s maillog.Status) string {
	if s == maillog.Queued {
		return "retry"
	}
	return string(s)
}

// replyCode is the reply code of a send: the relay's, or 0 when there was
// no reply (a connection that failed).
func replyCode(r mailer.Receipt, err error) int {
	if err != nil {
		if e, ok := mailer.AsError(err); ok {
			return e.Code
		}
		return 0
	}
	if len(r.Reply) >= 3 {
		if n, perr := strconv.Atoi(r.Reply[:3]); perr == nil {
			return n
		}
	}
	return 250
}
