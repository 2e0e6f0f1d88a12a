package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/maillog"
)

// BounceClass is what a report that came back by mail says about an
// address.
type BounceClass string

// The classes of reports.
const (
	// BounceHard: the receiving server refused the address for good
	// (5.x.x); the subscriber is marked bounced and suppressed at once.
	BounceHard BounceClass = "hard"
	// BounceSoft: delivery failed for now (4.x.x: mailbox full, server
	// away); SoftBounceLimit of them within SoftBounceWindow count as a
	// hard bounce.
	BounceSoft BounceClass = "soft"
	// BouncePolicy: the receiving server refused the mail, not the address
	// (5.7.x: spam filter, missing authentication). It is the sender's
	// problem and counts against no one; staff see it in the list.
	BouncePolicy BounceClass = "policy"
	// Complaint: the person marked the mail as spam (an ARF report,
	// RFC 5965); they are unsubscribed and the address suppressed.
	Complaint BounceClass = "complaint"
)

// The soft-bounce rule: this many soft bounces of different mails within
// the window make an address bounced.
const (
	SoftBounceLimit  = 3
	SoftBounceWindow = 30 * 24 * time.Hour
)

// Bounce is one report about one mail to a subscriber.
type Bounce struct {
	SubscriberID int64
	Mail         maillog.Ref
	Class        BounceClass
	// Status is the enhanced status code (RFC 3463), "5.1.1"; "" for a
	// complaint.
	Status     string
	ReceivedAt time.Time
}

// BounceEffect is what recording a bounce did.
type BounceEffect string

// The effects of a bounce.
const (
	BounceRepeated     BounceEffect = "repeated"     // the report was recorded before; nothing changed
	BounceCounted      BounceEffect = "counted"      // recorded; the address stays (a soft bounce under the limit, a policy refusal)
	BounceMarked       BounceEffect = "bounced"      // the subscriber is now bounced and the address suppressed
	BounceUnsubscribed BounceEffect = "unsubscribed" // a complaint: unsubscribed and suppressed
	BounceNoChange     BounceEffect = "unchanged"    // recorded; the subscriber was bounced or suppressed already
)

// ErrBounceInvalid is wrapped by the refusal of a bounce that names no
// valid class, status or mail.
var ErrBounceInvalid = errors.New("subscribers: invalid bounce")

// RecordBounce records b and applies the rules: a hard bounce marks the
// subscriber bounced and suppresses the address; the SoftBounceLimit-th
// soft bounce within SoftBounceWindow does the same; a complaint
// unsubscribes them, suppresses the address and notes it in the consent
// log; a policy refusal changes nothing. A report recorded before (same
// mail, same class) changes nothing again. It returns ErrNotFound when
// the subscriber no longer exists.
func (s *Store) RecordBounce(ctx context.Context, b Bounce) (BounceEffect, error) {
	switch {
	case !b.Mail.Log.Valid() || b.Mail.ID <= 0:
		return "", fmt.Errorf("%w: mail %c%d", ErrBounceInvalid, b.Mail.Log, b.Mail.ID)
	case b.Class != BounceHard && b.Class != BounceSoft && b.Class != BouncePolicy && b.Class != Complaint:
		return "", fmt.Errorf("%w: class %q", ErrBounceInvalid, b.Class)
	case b.Class != Complaint && !statusCode.MatchString(b.Status):
		return "", fmt.Errorf("%w: status %q", ErrBounceInvalid, b.Status)
	}
	if b.ReceivedAt.IsZero() {
		b.ReceivedAt = time.Now()
	}
	var effect BounceEffect
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sub struct {
			Email  string `db:"email"`
			Status Status `db:"status"`
		}
		err := tx.GetContext(ctx, &sub, `SELECT email, status FROM subscribers WHERE id = $1 FOR UPDATE`, b.SubscriberID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("subscribers: record bounce: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO bounces (subscriber_id, mail_kind, mail_id, class, status, received_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT bounces_once DO NOTHING`,
			b.SubscriberID, string(rune(b.Mail.Log)), b.Mail.ID, b.Class, b.Status, b.ReceivedAt)
		if err != nil {
			return fmt.Errorf("subscribers: record bounce: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			effect = BounceRepeated
			return nil
		}
		effect, err = s.applyBounce(ctx, tx, b, sub.Email, sub.Status)
		return err
	})
	return effect, err
}

// applyBounce applies the rules for the bounce b just recorded, to the
// subscriber with address email and status.
func (s *Store) applyBounce(ctx context.Context, tx *sqlx.Tx, b Bounce, email string, status Status) (BounceEffect, error) {
	suppressed, err := isSuppressed(ctx, tx, s.keys.AddressHash(email))
	if err != nil {
		return "", err
	}
	switch b.Class {
	case Complaint:
		if status == StatusUnsubscribed && suppressed {
			return BounceNoChange, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers
			SET status = 'unsubscribed', unsubscribed_at = now(), updated_at = now()
			WHERE id = $1 AND status IN ('pending', 'confirmed')`, b.SubscriberID); err != nil {
			return "", fmt.Errorf("subscribers: complaint: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscription_mails
			SET status = 'skipped', finished_at = now(), reply = 'complaint before sending'
			WHERE subscriber_id = $1 AND status = 'queued'`, b.SubscriberID); err != nil {
			return "", fmt.Errorf("subscribers: complaint: %w", err)
		}
		if err := addSuppression(ctx, tx, s.keys.AddressHash(email), SuppressedComplaint, ""); err != nil {
			return "", err
		}
		if err := logConsent(ctx, tx, b.SubscriberID, ActionComplained, Consent{Source: SourceSystem}); err != nil {
			return "", err
		}
		return BounceUnsubscribed, nil
	case BouncePolicy:
		return BounceCounted, nil
	}
	if status == StatusBounced || suppressed {
		return BounceNoChange, nil
	}
	if b.Class == BounceSoft {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM bounces
			WHERE subscriber_id = $1 AND class = 'soft' AND received_at > $2`,
			b.SubscriberID, b.ReceivedAt.Add(-SoftBounceWindow)); err != nil {
			return "", fmt.Errorf("subscribers: count soft bounces: %w", err)
		}
		if n < SoftBounceLimit {
			return BounceCounted, nil
		}
	}
	if err := s.bounce(ctx, tx, b.SubscriberID, b.Status); err != nil {
		return "", err
	}
	return BounceMarked, nil
}

// BounceEntry is one line of the list of bounces: the report and whom it
// was about, while they exist.
type BounceEntry struct {
	ID           int64       `db:"id" json:"id"`
	SubscriberID int64       `db:"subscriber_id" json:"subscriber_id"`
	Email        string      `db:"email" json:"email"`
	Log          string      `db:"mail_kind" json:"mail_kind"`
	MailID       int64       `db:"mail_id" json:"mail_id"`
	Class        BounceClass `db:"class" json:"class"`
	Status       string      `db:"status" json:"status,omitempty"`
	ReceivedAt   time.Time   `db:"received_at" json:"received_at"`
}

// Mail is the mail the entry is about.
func (e BounceEntry) Mail() maillog.Ref {
	var l maillog.Log
	if len(e.Log) == 1 {
		l = maillog.Log(e.Log[0])
	}
	return maillog.Ref{Log: l, ID: e.MailID}
}

// Bounces returns the bounces and complaints received since since, the
// newest first; with subscriberID > 0, only that subscriber's.
func (s *Store) Bounces(ctx context.Context, since time.Time, subscriberID int64) ([]BounceEntry, error) {
	var out []BounceEntry
	err := s.db.SelectContext(ctx, &out, `SELECT b.id, b.subscriber_id, s.email, b.mail_kind, b.mail_id, b.class, b.status, b.received_at
		FROM bounces b JOIN subscribers s ON s.id = b.subscriber_id
		WHERE b.received_at >= $1 AND ($2 = 0 OR b.subscriber_id = $2)
		ORDER BY b.received_at DESC, b.id DESC`, since, subscriberID)
	if err != nil {
		return nil, fmt.Errorf("subscribers: bounces: %w", err)
	}
	return out, nil
}

// MailRecipient returns the subscriber the subscription mail with id went
// to, or ErrNotFound.
func (s *Store) MailRecipient(ctx context.Context, id int64) (int64, error) {
	var sub int64
	err := s.db.GetContext(ctx, &sub, `SELECT subscriber_id FROM subscription_mails WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("subscribers: recipient of mail %d: %w", id, err)
	}
	return sub, nil
}
