package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/maillog"
)

// MailKind is a mail about a registration.
type MailKind string

// The mails about a registration; each says the registration's state.
const (
	// MailRequested asks to confirm a request from the public page.
	MailRequested MailKind = "requested"
	// MailLink names the registration link to someone who asked on the
	// public page and is registered or waiting already.
	MailLink       MailKind = "link"
	MailRegistered MailKind = "registered" // places held
	MailWaiting    MailKind = "waiting"    // on the waitlist
	MailMovedUp    MailKind = "moved_up"   // moved up from the waitlist
	MailCancelled  MailKind = "cancelled"  // the cancellation is received
)

// Fits reports whether a mail of kind k still says how a registration in
// status is: a mail is sent only while it does.
func (k MailKind) Fits(status RegistrationStatus) bool {
	switch k {
	case MailRequested:
		return status == Requested
	case MailLink:
		return status == Registered || status == Waiting
	case MailWaiting:
		return status == Waiting
	case MailCancelled:
		return status == Cancelled
	}
	return status == Registered
}

// ErrNothingOwed means the mail was sent already, replaced by a newer
// one, or is being sent by another worker.
var ErrNothingOwed = errors.New("events: the registration mail is not owed")

// mailLog is the registration mails' table in the one mail log. A newer
// mail about a registration replaces one still waiting.
var mailLog = maillog.Table{Name: "registration_mails", Supersede: "registration_id"}

// Mail is a claimed mail about a registration, with the registration as it
// is now.
type Mail struct {
	maillog.Claim
	Kind         MailKind
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
	var rows []struct {
		maillog.Claim
		RegistrationID int64    `db:"registration_id"`
		Kind           MailKind `db:"kind"`
	}
	if err := mailLog.Claim(ctx, s.db, &rows, `id, attempts, registration_id, kind`, `x.id = $2`, 1, lease, id); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrNothingOwed
	}
	row := rows[0]
	var r Registration
	if err := s.db.GetContext(ctx, &r, `SELECT `+registrationColumns+` FROM registrations r WHERE r.id = $1`, row.RegistrationID); err != nil {
		return nil, fmt.Errorf("events: registration of mail %d: %w", id, err)
	}
	return &Mail{Claim: row.Claim, Kind: row.Kind, Registration: &r}, nil
}

// RecordMail records the outcome o of the claimed mail m, provided the
// claim still holds (else maillog.ErrClaimLost). A mail put back in the
// queue is skipped instead when a newer one about its registration waits.
// The caller marks the subscriber of a bounced mail.
func (s *Store) RecordMail(ctx context.Context, m *Mail, o maillog.Outcome) error {
	o.Claim = m.Claim
	if err := mailLog.RecordOne(ctx, s.db, o); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}

// OpenMails returns the IDs of registration mails that may have lost their
// task: queued for longer than grace, or claimed by a worker whose lease
// ran out.
func (s *Store) OpenMails(ctx context.Context, grace, lease time.Duration) ([]int64, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT id FROM registration_mails
		WHERE `+maillog.LostSQL("registration_mails")+`
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
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM registration_mails WHERE `+maillog.OpenSQL); err != nil {
		return 0, fmt.Errorf("events: count open registration mails: %w", err)
	}
	return n, nil
}

// MailRecipient returns the subscriber the registration mail with id went
// to, or ErrNothingOwed when the mail (or its registration) no longer
// exists.
func (s *Store) MailRecipient(ctx context.Context, id int64) (int64, error) {
	var sub int64
	err := s.db.GetContext(ctx, &sub, `SELECT r.subscriber_id FROM registration_mails m
		JOIN registrations r ON r.id = m.registration_id WHERE m.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNothingOwed
	}
	if err != nil {
		return 0, fmt.Errorf("events: recipient of mail %d: %w", id, err)
	}
	return sub, nil
}
