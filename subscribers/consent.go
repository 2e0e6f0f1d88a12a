package subscribers

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
)

// ConsentAction is what a consent log entry records.
type ConsentAction string

// The actions of the consent log.
const (
	ActionSubscribed   ConsentAction = "subscribed"     // the subscription request
	ActionOptInSent    ConsentAction = "optin_sent"     // the opt-in mail left (with its Message-ID)
	ActionConfirmed    ConsentAction = "confirmed"      // the opt-in was confirmed, or attested by staff
	ActionTopicsChange ConsentAction = "topics_changed" // the subscriber changed their topics
	ActionUnsubscribed ConsentAction = "unsubscribed"   // consent withdrawn
	ActionBounced      ConsentAction = "bounced"        // the address was refused for good
	// ActionContact: the person became known through a registration for
	// an event, without consent to the newsletter.
	ActionContact ConsentAction = "contact"
	// ActionOptInExpired: the opt-in was not confirmed in time; the person
	// stays a contact for the registration they hold.
	ActionOptInExpired ConsentAction = "optin_expired"
	// ActionComplained: the person marked a mail as spam with their
	// mailbox provider, which reported it (RFC 5965); they were
	// unsubscribed and the address suppressed.
	ActionComplained ConsentAction = "complained"
)

// ConsentEntry is one line of a subscriber's consent log.
type ConsentEntry struct {
	At             time.Time     `db:"at" json:"at"`
	Action         ConsentAction `db:"action" json:"action"`
	Source         Source        `db:"source" json:"source"`
	WordingVersion string        `db:"wording_version" json:"wording_version,omitempty"`
	Note           string        `db:"note" json:"note,omitempty"`
	MessageID      string        `db:"message_id" json:"message_id,omitempty"`
	// IP and UserAgent are set only where the installation records them.
	IP        string `db:"ip" json:"ip,omitempty"`
	UserAgent string `db:"user_agent" json:"user_agent,omitempty"`
}

// ConsentLog returns the consent log of the subscriber with id, oldest first.
func (s *Store) ConsentLog(ctx context.Context, id int64) ([]ConsentEntry, error) {
	var log []ConsentEntry
	err := s.db.SelectContext(ctx, &log, `SELECT at, action, source, wording_version, note, message_id,
		       coalesce(host(ip), '') AS ip, coalesce(user_agent, '') AS user_agent
		FROM consent_log WHERE subscriber_id = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("subscribers: consent log: %w", err)
	}
	return log, nil
}

func logConsent(ctx context.Context, e sqlx.ExecerContext, id int64, a ConsentAction, c Consent) error {
	var ip, ua sql.NullString
	if addr, err := netip.ParseAddr(c.IP); err == nil {
		ip = sql.NullString{String: addr.Unmap().String(), Valid: true}
	}
	if c.UserAgent != "" {
		clean := strings.TrimSpace(stripControl(strings.ToValidUTF8(c.UserAgent, "")))
		ua = sql.NullString{String: truncate(clean, maxUserAgentLength), Valid: true}
	}
	_, err := e.ExecContext(ctx, `INSERT INTO consent_log (subscriber_id, action, source, wording_version, note, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, a, c.Source, c.WordingVersion, c.Note, ip, ua)
	if err != nil {
		return fmt.Errorf("subscribers: consent log: %w", err)
	}
	return nil
}

// maxUserAgentLength is how much of a user agent the consent log keeps.
const maxUserAgentLength = 300

// stripControl removes control characters, which a user agent may carry but
// the consent log must not.
func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
