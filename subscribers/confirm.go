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
// transaction. It returns the welcome mail to enqueue. Confirming a
// subscriber who is confirmed already changes nothing and returns nil, nil.
func (s *Store) Confirm(ctx context.Context, id int64, c Consent) (*MailRef, error) {
	var ref *MailRef
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var status Status
		err := tx.GetContext(ctx, &status, `SELECT status FROM subscribers WHERE id = $1 FOR UPDATE`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("subscribers: confirm: %w", err)
		}
		switch status {
		case StatusConfirmed:
			return nil
		case StatusPending:
		default:
			return fmt.Errorf("%w (status %s)", ErrNotPending, status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = 'confirmed', confirmed_at = now(), updated_at = now()
			WHERE id = $1`, id); err != nil {
			return fmt.Errorf("subscribers: confirm: %w", err)
		}
		if err := logConsent(ctx, tx, id, actionConfirmed, c); err != nil {
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
