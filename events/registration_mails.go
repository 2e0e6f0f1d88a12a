package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// MailKind is a mail about a registration.
type MailKind string

// The mails about a registration; each says the registration's state.
const (
	MailRegistered MailKind = "registered" // places held
	MailWaiting    MailKind = "waiting"    // on the waitlist
	MailMovedUp    MailKind = "moved_up"   // moved up from the waitlist
	MailCancelled  MailKind = "cancelled"  // the cancellation is received
)

// State is the registration status a mail of kind k is about: a mail is
// sent only while the registration is still in it.
func (k MailKind) State() RegistrationStatus {
	switch k {
	case MailWaiting:
		return Waiting
	case MailCancelled:
		return Cancelled
	}
	return Registered
}

// Errors of the registration mail log.
var (
	// ErrNothingOwed means the mail was sent already, replaced by a newer
	// one, or is being sent by another worker.
	ErrNothingOwed = errors.New("events: the registration mail is not owed")
	// ErrClaimLost means another worker took the mail over after this
	// worker's lease ran out.
	ErrClaimLost = errors.New("events: the claim on this registration mail was lost")
)

// Mail is a claimed mail about a registration, with the registration as it
// is now.
type Mail struct {
	ID           int64
	Kind         MailKind
	Attempts     int // the fencing token of the claim
	Registration *Registration
}

// queueMail records that a mail of kind is owed about registration id,
// replacing one that still waits: the newest state is what the person
// should read. It returns the mail's ID.
func queueMail(ctx context.Context, tx *sqlx.Tx, id int64, kind MailKind) (int64, error) {
	if _, err := tx.ExecContext(ctx, `UPDATE registration_mails SET status = 'skipped', reply = 'replaced by a newer mail', finished_at = now()
		WHERE registration_id = $1 AND status = 'queued'`, id); err != nil {
		return 0, fmt.Errorf("events: queue registration mail: %w", err)
	}
	var mailID int64
	if err := tx.GetContext(ctx, &mailID, `INSERT INTO registration_mails (registration_id, kind) VALUES ($1, $2) RETURNING id`, id, kind); err != nil {
		return 0, fmt.Errorf("events: queue registration mail: %w", err)
	}
	return mailID, nil
}

// ClaimMail claims the registration mail with id for lease, and returns
// it with its registration; ErrNothingOwed if it is not open.
func (s *Store) ClaimMail(ctx context.Context, id int64, lease time.Duration) (*Mail, error) {
	var row struct {
		ID             int64    `db:"id"`
		RegistrationID int64    `db:"registration_id"`
		Kind           MailKind `db:"kind"`
		Attempts       int      `db:"attempts"`
	}
	err := s.db.GetContext(ctx, &row, `UPDATE registration_mails SET status = 'sending', claimed_at = now(), attempts = attempts + 1
		WHERE id = $1 AND (status = 'queued' OR (status = 'sending' AND claimed_at < now() - make_interval(secs => $2)))
		RETURNING id, registration_id, kind, attempts`, id, lease.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNothingOwed
	}
	if err != nil {
		return nil, fmt.Errorf("events: claim registration mail: %w", err)
	}
	var r Registration
	if err := s.db.GetContext(ctx, &r, `SELECT `+registrationColumns+` FROM registrations r WHERE r.id = $1`, row.RegistrationID); err != nil {
		return nil, fmt.Errorf("events: registration of mail %d: %w", id, err)
	}
	return &Mail{ID: row.ID, Kind: row.Kind, Attempts: row.Attempts, Registration: &r}, nil
}

// finishMail moves a claimed mail on, provided the claim still holds. A
// mail put back in the queue is dropped instead when a newer one waits.
func (s *Store) finishMail(ctx context.Context, m *Mail, status, messageID, reply string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE registration_mails SET
		    status = CASE WHEN $3 = 'queued' AND EXISTS (SELECT 1 FROM registration_mails n
		        WHERE n.registration_id = registration_mails.registration_id AND n.status = 'queued') THEN 'skipped' ELSE $3 END,
		    message_id = $4, reply = left($5, 1000),
		    finished_at = CASE WHEN $3 = 'queued' THEN NULL ELSE now() END
		WHERE id = $1 AND attempts = $2 AND status = 'sending'`, m.ID, m.Attempts, status, messageID, reply)
	if err != nil {
		return fmt.Errorf("events: record registration mail: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrClaimLost
	}
	return nil
}

// MailSent records that the relay took m.
func (s *Store) MailSent(ctx context.Context, m *Mail, messageID, reply string) error {
	return s.finishMail(ctx, m, "sent", messageID, reply)
}

// MailDeferred puts m back after a temporary failure; its task retries.
func (s *Store) MailDeferred(ctx context.Context, m *Mail, reply string) error {
	return s.finishMail(ctx, m, "queued", "", reply)
}

// MailFailed gives m up.
func (s *Store) MailFailed(ctx context.Context, m *Mail, reply string) error {
	return s.finishMail(ctx, m, "failed", "", reply)
}

// MailBounced records that the address was refused for good; the caller
// marks the subscriber.
func (s *Store) MailBounced(ctx context.Context, m *Mail, reply string) error {
	return s.finishMail(ctx, m, "bounced", "", reply)
}

// MailSkipped closes m unsent, saying why.
func (s *Store) MailSkipped(ctx context.Context, m *Mail, reason string) error {
	return s.finishMail(ctx, m, "skipped", "", reason)
}

// OpenMails returns the IDs of registration mails that may have lost their
// task: queued for longer than grace, or claimed by a worker whose lease
// ran out.
func (s *Store) OpenMails(ctx context.Context, grace, lease time.Duration) ([]int64, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT id FROM registration_mails
		WHERE (status = 'queued' AND created_at < now() - make_interval(secs => $1))
		   OR (status = 'sending' AND claimed_at < now() - make_interval(secs => $2))
		ORDER BY id LIMIT 10000`, grace.Seconds(), lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("events: open registration mails: %w", err)
	}
	return ids, nil
}

// CountOpenMails returns how many registration mails are queued or being
// sent.
func (s *Store) CountOpenMails(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM registration_mails WHERE status IN ('queued', 'sending')`); err != nil {
		return 0, fmt.Errorf("events: count open registration mails: %w", err)
	}
	return n, nil
}
