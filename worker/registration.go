package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// TypeRegistrationMail sends a mail about a registration: confirmation,
// waitlist, moved up, cancellation received.
const TypeRegistrationMail = "email:registration"

// RegistrationMailPayload is the payload of TypeRegistrationMail.
type RegistrationMailPayload struct {
	MailID int64 `json:"mail_id"`
}

// NewRegistrationMailTask returns the task that sends registration mail id.
func NewRegistrationMailTask(id int64) (*asynq.Task, error) {
	if id <= 0 {
		return nil, fmt.Errorf("worker: %s task for mail %d", TypeRegistrationMail, id)
	}
	payload, err := json.Marshal(RegistrationMailPayload{MailID: id})
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return asynq.NewTask(TypeRegistrationMail, payload), nil
}

// EnqueueRegistrationMails queues the tasks of registration mails, on the
// subscription mail queue (they are as urgent), and returns how many it
// queued.
func (c *Client) EnqueueRegistrationMails(ctx context.Context, ids []int64) (int, error) {
	return parallel(ctx, ids, func(ctx context.Context, id int64) (bool, error) {
		task, err := NewRegistrationMailTask(id)
		if err != nil {
			return false, err
		}
		ok, err := c.enqueueOnce(ctx, task, c.queue, fmt.Sprintf("registration-mail:%d", id), asynq.MaxRetry(c.maxRetry))
		if err != nil {
			return false, fmt.Errorf("worker: enqueue registration mail %d: %w", id, err)
		}
		return ok, nil
	})
}

// RegistrationHandler sends the mails about registrations.
type RegistrationHandler struct {
	Events      *events.Store
	Subscribers *subscribers.Store
	Composer    *compose.Composer
	Sender      mailer.Sender
	VERP        *bounces.VERP  // the envelope sender of each mail; nil: From
	Metrics     *admin.Metrics // nil: none
	Lease       time.Duration
	MaxRetry    int
	Log         *slog.Logger
	Now         func() time.Time
}

// ProcessTask sends the registration mail of the task if it is still owed
// and still says how things are.
func (h *RegistrationHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p RegistrationMailPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.MailID <= 0 {
		return fmt.Errorf("worker: %s: bad payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	log := h.Log.With("task", t.Type(), "registration_mail", p.MailID)
	m, err := h.Events.ClaimMail(ctx, p.MailID, h.Lease)
	switch {
	case errors.Is(err, events.ErrNothingOwed):
		log.Debug("nothing owed; duplicate task, replaced or already sent")
		return nil
	case err != nil:
		return err
	}
	reg := m.Registration
	log = log.With("kind", m.Kind, "subscriber", reg.SubscriberID, "event", reg.EventID, "attempt", m.Attempts)
	rec := context.WithoutCancel(ctx)
	record := func(ctx context.Context, o maillog.Outcome) error {
		err := h.Events.RecordMail(ctx, m, o)
		if err == nil {
			h.Metrics.Mail(admin.KindRegistration, statusWord(o.Status))
		}
		if err == nil && o.Status == maillog.Bounced {
			if berr := h.Subscribers.Bounce(ctx, reg.SubscriberID, o.Reply); berr != nil && !errors.Is(berr, subscribers.ErrNotFound) {
				log.Error("marking the subscriber bounced failed", "error", berr)
			}
		}
		return err
	}
	if !m.Kind.Fits(reg.Status) {
		log.Info("registration mail skipped; the registration changed", "status", reg.Status)
		return recorded(log, record(rec, m.Skipped("registration is "+string(reg.Status)+" now")))
	}
	contacts, err := h.Subscribers.Contacts(ctx, []int64{reg.SubscriberID})
	if err != nil {
		return err
	}
	c := contacts[reg.SubscriberID]
	switch {
	case c == nil:
		return recorded(log, record(rec, m.Skipped("subscriber no longer exists")))
	case c.Status == subscribers.StatusBounced || c.Suppressed:
		log.Info("registration mail skipped; the address is bounced or suppressed")
		return recorded(log, record(rec, m.Skipped("address bounced or suppressed")))
	case c.Email == "":
		// A contact staff registered without an address: the
		// registration stands, and nobody is mailed.
		return recorded(log, record(rec, m.Skipped("contact has no e-mail address")))
	}
	msg, err := h.compose(ctx, m, c)
	if err != nil {
		recorded(log, record(rec, m.Failed(err.Error())))
		return fmt.Errorf("worker: compose registration mail %d: %v: %w", m.ID, err, asynq.SkipRetry)
	}
	msg.ReturnPath = returnPath(h.VERP, maillog.RegistrationMails, m.ID)
	start := time.Now()
	r, err := h.Sender.Send(ctx, msg)
	h.Metrics.Send(admin.KindRegistration, time.Since(start), replyCode(r, err))
	if err == nil {
		log.Info("registration mail sent", "message_id", r.MessageID)
		return recorded(log, record(rec, m.Sent(r.MessageID, r.Reply)))
	}
	return failedTask(ctx, log, h.MaxRetry, m.Claim, err, record)
}

// compose builds the mail m owes c, about the registration's event.
func (h *RegistrationHandler) compose(ctx context.Context, m *events.Mail, c *subscribers.Contact) (*mailer.Message, error) {
	e, err := h.Events.ByID(ctx, m.Registration.EventID)
	if err != nil {
		return nil, err
	}
	return h.Composer.Registration(m.Kind, m.Registration, e, c, h.Now())
}
