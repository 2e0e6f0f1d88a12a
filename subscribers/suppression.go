package subscribers

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
)

// SuppressionReason says why an address is on the suppression list.
type SuppressionReason string

// The reasons for suppressing an address.
const (
	SuppressedBounce    SuppressionReason = "bounced"   // the receiving server refused it for good
	SuppressedComplaint SuppressionReason = "complaint" // the person reported mail as spam
	SuppressedErased    SuppressionReason = "erased"    // the person had their data deleted
	SuppressedByStaff   SuppressionReason = "staff"     // staff removed the address
)

// IsSuppressed reports whether email is on the suppression list.
func (s *Store) IsSuppressed(ctx context.Context, email string) (bool, error) {
	return isSuppressed(ctx, s.db, s.keys.AddressHash(email))
}

// Suppress puts email on the suppression list, keeping only its keyed hash.
// Suppressing an address twice keeps the first reason.
func (s *Store) Suppress(ctx context.Context, email string, reason SuppressionReason) error {
	return addSuppression(ctx, s.db, s.keys.AddressHash(email), reason, "")
}

func isSuppressed(ctx context.Context, q sqlx.QueryerContext, hash []byte) (bool, error) {
	var found bool
	if err := sqlx.GetContext(ctx, q, &found, `SELECT EXISTS (SELECT 1 FROM suppressions WHERE address_hash = $1)`, hash); err != nil {
		return false, fmt.Errorf("subscribers: suppression list: %w", err)
	}
	return found, nil
}

// replyCodes matches the reply code and enhanced status code at the start
// of a relay's reply, "550 5.1.1", or the enhanced status code alone, as a
// delivery status notification gives it.
var (
	replyCodes = regexp.MustCompile(`^(?:[245]\d\d(?: [245]\.\d{1,3}\.\d{1,3})?|[245]\.\d{1,3}\.\d{1,3})`)
	statusCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}$`)
)

// replyCodesOf is what the suppression list keeps of a relay's reply: its
// codes ("550 5.1.1"), not its text. An entry outlives the person's
// erasure, and a reply's text may name them.
func replyCodesOf(reply string) string { return replyCodes.FindString(strings.TrimSpace(reply)) }

func addSuppression(ctx context.Context, e sqlx.ExecerContext, hash []byte, reason SuppressionReason, detail string) error {
	_, err := e.ExecContext(ctx, `INSERT INTO suppressions (address_hash, reason, detail) VALUES ($1, $2, $3)
		ON CONFLICT (address_hash) DO NOTHING`, hash, reason, detail)
	if err != nil {
		return fmt.Errorf("subscribers: suppress: %w", err)
	}
	return nil
}
