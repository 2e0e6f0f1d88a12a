package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
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

// Label is the kind in German, as staff read it.
func (k MailKind) Label() string {
	switch k {
	case MailOptIn:
		return "Bestätigungsmail"
	case MailWelcome:
		return "Willkommensmail"
	case MailPreferences:
		return "Link zu den Einstellungen"
	}
	return string(k)
}

// MailStatus is where a subscription mail stands.
type MailStatus string

// The statuses of a subscription mail. Queued and sending are open; the
// others are final.
const (
	MailQueued  MailStatus = "queued"
	MailSending MailStatus = "sending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"  // gave up after temporary failures, or a fault on our side
	MailBounced MailStatus = "bounced" // the recipient's server refused the address for good
	MailSkipped MailStatus = "skipped" // no longer needed (already confirmed, unsubscribed)
)

// Label is the status in German, as staff read it.
func (s MailStatus) Label() string {
	switch s {
	case MailQueued:
		return "wartet"
	case MailSending:
		return "wird gesendet"
	case MailSent:
		return "versandt"
	case MailFailed:
		return "fehlgeschlagen"
	case MailBounced:
		return "unzustellbar"
	case MailSkipped:
		return "nicht mehr nötig"
	}
	return string(s)
}

// Errors of the mail log.
var (
	// ErrNothingOwed means the subscriber exists but no mail of the kind is
	// open: it was sent already, or is being sent by another worker.
	ErrNothingOwed = errors.New("subscribers: no mail of this kind is owed to the subscriber")
	// ErrClaimLost means another worker took over the mail after this
	// worker's lease ran out; this worker must not record an outcome.
	ErrClaimLost = errors.New("subscribers: the claim on this mail was lost")
)

// Mail is one mail about a subscription.
type Mail struct {
	ID           int64      `db:"id" json:"id"`
	SubscriberID int64      `db:"subscriber_id" json:"subscriber_id"`
	Kind         MailKind   `db:"kind" json:"kind"`
	Status       MailStatus `db:"status" json:"status"`
	// Attempts counts claims; it is the fencing token of the current claim.
	Attempts   int        `db:"attempts" json:"attempts"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	FinishedAt *time.Time `db:"finished_at" json:"finished_at,omitempty"`
	MessageID  string     `db:"message_id" json:"message_id,omitempty"`
	Reply      string     `db:"reply" json:"reply,omitempty"`
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
	var m Mail
	err := s.db.GetContext(ctx, &m, `UPDATE subscription_mails m
		SET status = 'sending', claimed_at = now(), attempts = m.attempts + 1
		WHERE m.id = (
			SELECT id FROM subscription_mails
			WHERE subscriber_id = $1 AND kind = $2
			  AND (status = 'queued' OR (status = 'sending' AND claimed_at < now() - make_interval(secs => $3)))
			ORDER BY id LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING m.id, m.subscriber_id, m.kind, m.status, m.attempts, m.created_at, m.finished_at, m.message_id, m.reply`,
		id, kind, lease.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.Get(ctx, id); err != nil {
			return nil, nil, err
		}
		return nil, nil, ErrNothingOwed
	}
	if err != nil {
		return nil, nil, fmt.Errorf("subscribers: claim mail: %w", err)
	}
	sub, err := s.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return &m, sub, nil
}

// finishMail moves a claimed mail to a final or queued status, provided the
// claim still holds.
func finishMail(ctx context.Context, e sqlx.ExecerContext, m *Mail, status MailStatus, messageID, reply string) error {
	res, err := e.ExecContext(ctx, `UPDATE subscription_mails
		SET status = $3, message_id = $4, reply = left($5, 1000),
		    finished_at = CASE WHEN $3 IN ('queued', 'sending') THEN NULL ELSE now() END
		WHERE id = $1 AND attempts = $2 AND status = 'sending'`,
		m.ID, m.Attempts, status, messageID, reply)
	if err != nil {
		return fmt.Errorf("subscribers: record mail outcome: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrClaimLost
	}
	m.Status = status
	return nil
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

// MailSent records that the relay accepted m, with the Message-ID and the
// relay's reply. For an opt-in mail, the consent log notes it.
func (s *Store) MailSent(ctx context.Context, m *Mail, messageID, reply string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockSubscriberFirst(ctx, tx, m); err != nil {
			return err
		}
		if err := finishMail(ctx, tx, m, MailSent, messageID, reply); err != nil {
			return err
		}
		if m.Kind != MailOptIn {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO consent_log (subscriber_id, action, source, message_id)
			VALUES ($1, $2, $3, $4)`, m.SubscriberID, actionOptInSent, SourceSystem, messageID)
		if err != nil {
			return fmt.Errorf("subscribers: consent log: %w", err)
		}
		return nil
	})
}

// MailDeferred puts m back in the queue after a temporary failure, keeping
// the reason; the task that owns it will retry.
func (s *Store) MailDeferred(ctx context.Context, m *Mail, reason string) error {
	return finishMail(ctx, s.db, m, MailQueued, "", reason)
}

// MailFailed gives m up: after too many temporary failures, or after a
// permanent failure that is not the recipient's fault.
func (s *Store) MailFailed(ctx context.Context, m *Mail, reason string) error {
	return finishMail(ctx, s.db, m, MailFailed, "", reason)
}

// MailSkipped closes m without sending it, because it is no longer needed.
func (s *Store) MailSkipped(ctx context.Context, m *Mail, reason string) error {
	return finishMail(ctx, s.db, m, MailSkipped, "", reason)
}

// MailBounced records that the recipient's server refused the address of m
// for good: the mail is closed, the subscriber is marked bounced, the
// address goes on the suppression list and the consent log notes it.
func (s *Store) MailBounced(ctx context.Context, m *Mail, reply string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockSubscriberFirst(ctx, tx, m); err != nil {
			return err
		}
		if err := finishMail(ctx, tx, m, MailBounced, "", reply); err != nil {
			return err
		}
		return s.bounce(ctx, tx, m.SubscriberID, reply)
	})
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
		WHERE id > $3 AND (
		      (status = 'queued' AND created_at < now() - make_interval(secs => $1))
		   OR (status = 'sending' AND claimed_at < now() - make_interval(secs => $2)))
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
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM subscription_mails WHERE status IN ('queued', 'sending')`); err != nil {
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
