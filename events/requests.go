package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// MaxRequestMailsPerDay is how many mails asking to confirm a registration
// (or naming the registration link) go to one person in 24 hours, over
// all events: the public form may be sent by anyone, with anyone's
// address.
const MaxRequestMailsPerDay = 3

// RequestOutcome is what Store.Request did.
type RequestOutcome struct {
	Registration *Registration
	// Mail is the mail owed to the person, or 0 when the day's mails are
	// used up: the request stands, and a later one may mail again.
	Mail int64
}

// Request records a registration asked for on the public event page by
// someone who has not shown that the address is theirs. It holds no
// place: the person is mailed a link (MailRequested) to their registration
// page, and places are given only when they confirm there (Enter), in the
// order of confirmation, under the same rules and lock as every
// registration. An unconfirmed request is deleted by ExpireRequests.
//
//   - A person without a registration, or who cancelled, or who asked
//     before, gets a request with the people and answers given (replacing
//     those of an earlier request).
//   - A person who is registered or waits keeps their registration
//     untouched (nobody can change it with their address alone); they are
//     mailed their link instead (MailLink).
//
// The event must be open for registrations (ErrClosed) and people within
// its party size (ErrPartySize). At most MaxRequestMailsPerDay mails go to
// one person a day.
func (s *Store) Request(ctx context.Context, in Entry, now time.Time) (*RequestOutcome, error) {
	out := &RequestOutcome{}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		*out = RequestOutcome{}
		e, err := lockEvent(ctx, tx, in.EventID)
		if err != nil {
			return err
		}
		if err := e.OpenFor(now); err != nil {
			return err
		}
		if in.People < 1 || in.People > e.MaxParty() {
			return fmt.Errorf("%w: %d people, at most %d", ErrPartySize, in.People, e.MaxParty())
		}
		answers := Answers{}
		if in.Answers != nil {
			answers = *in.Answers
		}
		old, err := registration(ctx, tx, in.EventID, in.SubscriberID)
		if err != nil && !errors.Is(err, ErrNotRegistered) {
			return err
		}
		kind := MailRequested
		switch {
		case old != nil && old.Active():
			kind = MailLink
		case old != nil:
			_, err = tx.ExecContext(ctx, `UPDATE registrations SET people = $2, status = 'requested', source = 'web', answers = $3,
				updated_at = $4, cancelled_at = NULL, waiting_since = NULL WHERE id = $1`, old.ID, in.People, answers, now)
		default:
			_, err = tx.ExecContext(ctx, `INSERT INTO registrations (event_id, subscriber_id, people, status, source, answers, created_at, updated_at)
				VALUES ($1, $2, $3, 'requested', 'web', $4, $5, $5)`, in.EventID, in.SubscriberID, in.People, answers, now)
		}
		if err != nil {
			return fmt.Errorf("events: request registration: %w", err)
		}
		if out.Registration, err = registration(ctx, tx, in.EventID, in.SubscriberID); err != nil {
			return err
		}
		var sent int
		var open bool
		if err := tx.QueryRowxContext(ctx, `SELECT
			count(*) FILTER (WHERE m.created_at > now() - interval '24 hours'),
			coalesce(bool_or(m.registration_id = $2 AND m.status = 'queued'), false)
			FROM registration_mails m JOIN registrations r ON r.id = m.registration_id
			WHERE r.subscriber_id = $1 AND m.kind IN ('requested', 'link')`, in.SubscriberID, out.Registration.ID).Scan(&sent, &open); err != nil {
			return fmt.Errorf("events: count request mails: %w", err)
		}
		if sent >= MaxRequestMailsPerDay && !open {
			return nil
		}
		out.Mail, err = queueMail(ctx, tx, out.Registration.ID, kind)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ExpireRequests deletes the requests (Requested) last changed before
// cutoff, with their mails, and returns how many went. They never held a
// place. A person known only through such a request is a contact with no
// registration left, whom subscribers.Store.PurgeContacts deletes.
func (s *Store) ExpireRequests(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM registrations WHERE status = 'requested' AND updated_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("events: expire requests: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
