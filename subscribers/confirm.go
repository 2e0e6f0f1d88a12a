package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// ErrNotPending is returned by Confirm for a subscriber who unsubscribed or
// bounced: their consent cannot be revived by an old link.
var ErrNotPending = errors.New("subscribers: the subscriber is not waiting for confirmation")

// Confirm records that the pending subscriber with id confirmed their
// subscription (c says how), and queues their welcome mail, all in one
// transaction. A confirmed opt-in lifts an earlier suppression of the
// address. It returns the welcome mail to enqueue. Confirming a
// subscriber who is confirmed already changes nothing and returns nil, nil.
func (s *Store) Confirm(ctx context.Context, id int64, c Consent) (*MailRef, error) {
	var ref *MailRef
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		ref = nil
		status, err := lockStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		switch status {
		case StatusConfirmed:
			return nil
		case StatusPending:
		default:
			return fmt.Errorf("%w (status %s)", ErrNotPending, status)
		}
		var email string
		if err := tx.GetContext(ctx, &email, `UPDATE subscribers SET status = 'confirmed', confirmed_at = now(), updated_at = now()
			WHERE id = $1 RETURNING email`, id); err != nil {
			return fmt.Errorf("subscribers: confirm: %w", err)
		}
		// A confirmed opt-in is fresh consent: it lifts an earlier
		// suppression (erasure, unsubscribe by staff, an old bounce).
		if _, err := tx.ExecContext(ctx, `DELETE FROM suppressions WHERE address_hash = $1`, s.keys.AddressHash(email)); err != nil {
			return fmt.Errorf("subscribers: confirm: lift suppression: %w", err)
		}
		if err := logConsent(ctx, tx, id, ActionConfirmed, c); err != nil {
			return err
		}
		mailID, err := queueMail(ctx, tx, id, MailWelcome)
		if err != nil {
			return err
		}
		ref = &MailRef{ID: mailID, SubscriberID: id, Kind: MailWelcome}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ref, nil
}

// lockStatus locks the subscriber with id until the transaction ends and
// returns their status, or ErrNotFound.
func lockStatus(ctx context.Context, tx *sqlx.Tx, id int64) (Status, error) {
	var status Status
	err := tx.GetContext(ctx, &status, `SELECT status FROM subscribers WHERE id = $1 FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("subscribers: lock subscriber: %w", err)
	}
	return status, nil
}
