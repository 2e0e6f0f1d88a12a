package bounces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Processor acts on the mails that come back: it reads each, finds the
// mail it is about in its log, and records the bounce or complaint
// against the subscriber it went to, whose store applies the rules
// (subscribers.RecordBounce).
type Processor struct {
	VERP        *VERP
	Subscribers *subscribers.Store
	Campaigns   *campaigns.Store
	Events      *events.Store
	Now         func() time.Time
	Metrics     *admin.Metrics // nil: none
}

// Result is what processing one mail did.
type Result struct {
	Report Report
	// SubscriberID is the subscriber the mail went to, when the report
	// acts and they still exist.
	SubscriberID int64
	// Effect is what recording the report did; "" when it did not act
	// (not a bounce, no valid token, the mail or subscriber gone).
	Effect subscribers.BounceEffect
}

// Process reads one mail that came back from r and acts on it. It fails
// only when r or the database does; a mail it cannot use is a Result that
// did nothing, so that a relay's pipe or the mailbox reader may drop it.
func (p *Processor) Process(ctx context.Context, r io.Reader) (Result, error) {
	rep, err := p.VERP.Read(r)
	if err != nil {
		return Result{}, fmt.Errorf("bounces: reading the mail: %w", err)
	}
	res := Result{Report: rep}
	if !rep.Acts() {
		return res, nil
	}
	sub, err := p.recipient(ctx, rep.Mail)
	if errors.Is(err, errGone) {
		return res, nil
	}
	if err != nil {
		return res, err
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	effect, err := p.Subscribers.RecordBounce(ctx, subscribers.Bounce{
		SubscriberID: sub, Mail: rep.Mail, Class: rep.Class, Status: rep.Status, ReceivedAt: now,
	})
	switch {
	case errors.Is(err, subscribers.ErrNotFound):
		return res, nil
	case err != nil:
		return res, fmt.Errorf("bounces: %w", err)
	}
	res.SubscriberID, res.Effect = sub, effect
	// A campaign's progress counts a delivery that came back as bounced.
	if rep.Class == subscribers.BounceHard && rep.Mail.Log == maillog.Deliveries {
		if err := p.Campaigns.MarkBounced(ctx, rep.Mail.ID, rep.Status+" (delivery status notification)"); err != nil {
			return res, fmt.Errorf("bounces: %w", err)
		}
	}
	if effect != subscribers.BounceRepeated {
		p.Metrics.Bounce(string(rep.Class))
	}
	return res, nil
}

// errGone: the mail a report is about is no longer in its log (the
// subscriber or the registration was deleted since).
var errGone = errors.New("bounces: the mail is gone")

// recipient returns the subscriber the mail ref went to, from its log.
func (p *Processor) recipient(ctx context.Context, ref maillog.Ref) (int64, error) {
	var (
		sub int64
		err error
	)
	switch ref.Log {
	case maillog.Deliveries:
		sub, _, err = p.Campaigns.DeliveryRecipient(ctx, ref.ID)
		if errors.Is(err, campaigns.ErrNoDelivery) {
			return 0, errGone
		}
	case maillog.RegistrationMails:
		sub, err = p.Events.MailRecipient(ctx, ref.ID)
		if errors.Is(err, events.ErrNothingOwed) {
			return 0, errGone
		}
	case maillog.SubscriptionMails:
		sub, err = p.Subscribers.MailRecipient(ctx, ref.ID)
		if errors.Is(err, subscribers.ErrNotFound) {
			return 0, errGone
		}
	default:
		return 0, errGone
	}
	if err != nil {
		return 0, fmt.Errorf("bounces: %w", err)
	}
	return sub, nil
}
