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

// MailKind is a kind of mail about a subscription.
type MailKind string

// The kinds of subscription mail.
const (
	MailOptIn   MailKind = "optin"   // asks a pending subscriber to confirm
	MailWelcome MailKind = "welcome" // greets a confirmed subscriber with their preferences link
	// MailPreferences sends a confirmed subscriber their preferences link
	// again, when they fill in the form a second time or ask for it.
	MailPreferences MailKind = "preferences"
)

// ErrNothingOwed means the subscriber exists but no mail of the kind is
// open: it was sent already, or is being sent by another worker.
var ErrNothingOwed = errors.New("subscribers: no mail of this kind is owed to the subscriber")

// mailLog is the subscription mails' table in the one mail log.
var mailLog = maillog.Table{Name: "subscription_mails"}

// Mail is one mail about a subscription.
type Mail struct {
	// Claim is the mail's ID and its attempts, the fencing token of the
	// current claim.
	maillog.Claim
	SubscriberID int64          `db:"subscriber_id" json:"subscriber_id"`
	Kind         MailKind       `db:"kind" json:"kind"`
	Status       maillog.Status `db:"status" json:"status"`
	CreatedAt    time.Time      `db:"created_at" json:"created_at"`
	FinishedAt   *time.Time     `db:"finished_at" json:"finished_at,omitempty"`
	MessageID    string         `db:"message_id" json:"message_id,omitempty"`
	Reply        string         `db:"reply" json:"reply,omitempty"`
}

// Ref identifies m for queueing its task.
func (m Mail) Ref() MailRef { return MailRef{ID: m.ID, SubscriberID: m.SubscriberID, Kind: m.Kind} }

// mailColumns selects a Mail.
const mailColumns = `id, subscriber_id, kind, status, attempts, created_at, finished_at, message_id, reply`

// queueMail records that a mail of kind is owed to subscriber id. If one is
// open already, it returns that one's ID.
func queueMail(ctx context.Context, tx *sqlx.Tx, id int64, kind MailKind) (int64, error) {
	var mailID int64
	err := tx.GetContext(ctx, &mailID, `INSERT INTO subscription_mails (subscriber_id, kind) VALUES ($1, $2)
		ON CONFLICT (subscriber_id, kind) WHERE status IN ('queued', 'sending') DO NOTHING RETURNING id`, id, kind)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.GetContext(ctx, &mailID, `SELECT id FROM subscription_mails
			WHERE subscriber_id = $1 AND kind = $2 AND status IN ('queued', 'sending')`, id, kind)
	}
	if err != nil {
		return 0, fmt.Errorf("subscribers: queue %s mail: %w", kind, err)
	}
	return mailID, nil
}

// QueueMail records that a mail of kind is owed to the subscriber with id and
// returns it. If one is open already, it returns that one.
func (s *Store) QueueMail(ctx context.Context, id int64, kind MailKind) (*Mail, error) {
	var m Mail
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		mailID, err := queueMail(ctx, tx, id, kind)
		if err != nil {
			return err
		}
		return tx.GetContext(ctx, &m, `SELECT `+mailColumns+` FROM subscription_mails WHERE id = $1`, mailID)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// ClaimMail claims the open mail of kind owed to the subscriber with id, for
// lease: no other worker can claim it until the lease runs out. It returns
// the mail and the subscriber as they are now; ErrNotFound if the subscriber
// does not exist (any more); ErrNothingOwed if nothing is open.
func (s *Store) ClaimMail(ctx context.Context, id int64, kind MailKind, lease time.Duration) (*Mail, *Subscriber, error) {
	var ms []Mail
	err := mailLog.Claim(ctx, s.db, &ms, mailColumns,
		`x.subscriber_id = $2 AND x.kind = $3`, 1, lease, id, kind)
	if err == nil && len(ms) == 0 {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.Get(ctx, id); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrNothingOwed
	}
	if err != nil {
		return nil, nil, fmt.Errorf("subscribers: %w", err)
	}
	sub, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if kind == MailOptIn {
		err := s.db.GetContext(ctx, &sub.RequestedVia, `SELECT source FROM consent_log
			WHERE subscriber_id = $1 AND action = 'subscribed' ORDER BY id DESC LIMIT 1`, id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fmt.Errorf("subscribers: request of subscriber %d: %w", id, err)
		}
	}
	return &ms[0], sub, nil
}

// lockSubscriberFirst takes the lock on the subscriber of a mail before
// the mail's row is touched. Every transaction that changes both a
// subscriber and their mails takes them in this order (the form's
// Subscribe, Confirm, Unsubscribe lock the subscriber first too), so
// that none waits for the other in a circle. FOR KEY SHARE is what the
// consent log's foreign key takes anyway; it waits for a request that
// holds the subscriber, and lets the request go first.
func lockSubscriberFirst(ctx context.Context, tx *sqlx.Tx, m *Mail) error {
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM subscribers WHERE id = $1 FOR KEY SHARE`, m.SubscriberID); err != nil {
		return fmt.Errorf("subscribers: lock subscriber: %w", err)
	}
	return nil
}

// RecordMail records the outcome o of the claimed mail m, provided the
// claim still holds (else maillog.ErrClaimLost). A sent opt-in mail is
// noted in the consent log with its Message-ID; a bounced mail marks the
// subscriber bounced and puts the address on the suppression list.
func (s *Store) RecordMail(ctx context.Context, m *Mail, o maillog.Outcome) error {
	o.Claim = m.Claim
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockSubscriberFirst(ctx, tx, m); err != nil {
			return err
		}
		if err := mailLog.RecordOne(ctx, tx, o); err != nil {
			return fmt.Errorf("subscribers: %w", err)
		}
		switch {
		case o.Status == maillog.Bounced:
			return s.bounce(ctx, tx, m.SubscriberID, o.Reply)
		case o.Status == maillog.Sent && m.Kind == MailOptIn:
			_, err := tx.ExecContext(ctx, `INSERT INTO consent_log (subscriber_id, action, source, message_id)
				VALUES ($1, $2, $3, $4)`, m.SubscriberID, ActionOptInSent, SourceSystem, o.MessageID)
			if err != nil {
				return fmt.Errorf("subscribers: consent log: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		m.Status = o.Status
	}
	return err
}

// Mails returns the subscription mails of the subscriber with id, oldest
// first.
func (s *Store) Mails(ctx context.Context, id int64) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT `+mailColumns+`
		FROM subscription_mails WHERE subscriber_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("subscribers: mails: %w", err)
	}
	return ms, nil
}

// OpenMails returns up to limit open mails with IDs above afterID that may
// have lost their task: queued for longer than grace, or claimed by a worker
// whose lease ran out. The worker re-queues their tasks, so a Redis that
// lost its data loses no mail.
func (s *Store) OpenMails(ctx context.Context, grace, lease time.Duration, afterID int64, limit int) ([]Mail, error) {
	var ms []Mail
	err := s.db.SelectContext(ctx, &ms, `SELECT `+mailColumns+`
		FROM subscription_mails
		WHERE id > $3 AND `+maillog.LostSQL("subscription_mails")+`
		ORDER BY id LIMIT $4`, grace.Seconds(), lease.Seconds(), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("subscribers: open mails: %w", err)
	}
	return ms, nil
}

// CountOpenMails returns how many subscription mails are queued or being
// sent.
func (s *Store) CountOpenMails(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM subscription_mails WHERE `+maillog.OpenSQL); err != nil {
		return 0, fmt.Errorf("subscribers: count open mails: %w", err)
	}
	return n, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
