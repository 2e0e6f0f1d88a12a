package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// Errors of the store.
var (
	ErrNotFound     = errors.New("subscribers: no such subscriber")
	ErrExists       = errors.New("subscribers: the address is already on the list")
	ErrSuppressed   = errors.New("subscribers: the address is on the suppression list")
	ErrUnknownTopic = errors.New("subscribers: unknown topic")
	ErrConsentNote  = errors.New("subscribers: a confirmed subscription entered by staff needs a consent note saying when and how the person agreed")
)

// Store keeps subscribers in PostgreSQL. It owns the tables subscribers,
// subscriber_topics, topics, consent_log, suppressions and
// subscription_mails. It is safe for concurrent use.
type Store struct {
	db   *sqlx.DB
	keys *Keyring
	get  *postgres.Query // Get, prepared: nearly every page reads a subscriber
	// contacts and suppressed, prepared: every batch of a campaign reads
	// its recipients and checks their addresses.
	contacts, suppressed *postgres.Query
}

// NewStore returns a store on db. keys hashes addresses for the suppression
// list.
func NewStore(db *sqlx.DB, keys *Keyring) *Store {
	return &Store{db: db, keys: keys,
		get:        postgres.Prepare(db, `SELECT `+subscriberColumns+` FROM subscribers s WHERE s.id = $1`),
		contacts:   postgres.Prepare(db, contactsSQL),
		suppressed: postgres.Prepare(db, `SELECT address_hash FROM suppressions WHERE address_hash = ANY ($1)`),
	}
}

// subscriberColumns selects a subscriber, aliased s, with its topics.
const subscriberColumns = `s.id, coalesce(s.email, '') AS email, s.name, s.organisation, s.phone, s.salutation, s.note, s.kind, s.language, s.status,
	s.created_at, s.updated_at, s.confirmed_at, s.unsubscribed_at, s.bounced_at,
	ARRAY(SELECT t.topic FROM subscriber_topics t WHERE t.subscriber_id = s.id ORDER BY t.topic) AS topics`

type subscriberRow struct {
	ID             int64          `db:"id"`
	Email          string         `db:"email"`
	Name           string         `db:"name"`
	Organisation   string         `db:"organisation"`
	Phone          string         `db:"phone"`
	Salutation     Salutation     `db:"salutation"`
	Note           string         `db:"note"`
	Kind           Kind           `db:"kind"`
	Language       i18n.Lang      `db:"language"`
	Status         Status         `db:"status"`
	CreatedAt      time.Time      `db:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
	ConfirmedAt    *time.Time     `db:"confirmed_at"`
	UnsubscribedAt *time.Time     `db:"unsubscribed_at"`
	BouncedAt      *time.Time     `db:"bounced_at"`
	Topics         pq.StringArray `db:"topics"`
}

func (r *subscriberRow) subscriber() *Subscriber {
	topics := []string(r.Topics)
	if topics == nil {
		topics = []string{}
	}
	return &Subscriber{
		ID: r.ID, Email: r.Email, Name: r.Name, Organisation: r.Organisation, Phone: r.Phone,
		Salutation: r.Salutation, Note: r.Note,
		Kind: r.Kind, Language: r.Language, Status: r.Status, Topics: topics,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		ConfirmedAt: r.ConfirmedAt, Unsubscribed: r.UnsubscribedAt, BouncedAt: r.BouncedAt,
	}
}

// Get returns the subscriber with id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (*Subscriber, error) {
	var r subscriberRow
	return subscriberOf(&r, s.get.Get(ctx, &r, id))
}

// GetByEmail returns the subscriber with the address email, matched without
// regard to case, or ErrNotFound.
func (s *Store) GetByEmail(ctx context.Context, email string) (*Subscriber, error) {
	return getSubscriber(ctx, s.db, `SELECT `+subscriberColumns+` FROM subscribers s WHERE s.email_key = $1`, EmailKey(email))
}

func getSubscriber(ctx context.Context, q sqlx.QueryerContext, query string, arg any) (*Subscriber, error) {
	var r subscriberRow
	return subscriberOf(&r, sqlx.GetContext(ctx, q, &r, query, arg))
}

// subscriberOf is the subscriber of row r, read with error err.
func subscriberOf(r *subscriberRow, err error) (*Subscriber, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("subscribers: get: %w", err)
	}
	return r.subscriber(), nil
}

// Filter selects subscribers for List and Count. Zero fields match all.
type Filter struct {
	Kind   Kind
	Topic  string
	Status Status
	// Limit caps the number of subscribers List returns; 0 means no limit.
	Limit  int
	Offset int
}

const filterWhere = ` WHERE ($1 = '' OR s.kind = $1)
	AND ($2 = '' OR s.status = $2)
	AND ($3 = '' OR EXISTS (SELECT 1 FROM subscriber_topics f WHERE f.subscriber_id = s.id AND f.topic = $3))`

// List returns the subscribers f selects, oldest first.
func (s *Store) List(ctx context.Context, f Filter) ([]*Subscriber, error) {
	limit := sql.NullInt64{Int64: int64(f.Limit), Valid: f.Limit > 0}
	var rows []subscriberRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+subscriberColumns+` FROM subscribers s`+filterWhere+`
		ORDER BY s.id LIMIT $4 OFFSET $5`, string(f.Kind), string(f.Status), f.Topic, limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("subscribers: list: %w", err)
	}
	out := make([]*Subscriber, len(rows))
	for i := range rows {
		out[i] = rows[i].subscriber()
	}
	return out, nil
}

// Count returns how many subscribers f selects, ignoring Limit and Offset.
func (s *Store) Count(ctx context.Context, f Filter) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM subscribers s`+filterWhere,
		string(f.Kind), string(f.Status), f.Topic)
	if err != nil {
		return 0, fmt.Errorf("subscribers: count: %w", err)
	}
	return n, nil
}

// NewSubscriber is what Add needs to know of a new subscriber.
type NewSubscriber struct {
	Email        string
	Name         string
	Organisation string
	Kind         Kind
	Language     i18n.Lang
	Topics       []string
	// Salutation, Phone and Note come from staff and their files only.
	Salutation Salutation
	Phone      string
	Note       string
}

// Consent says how a subscription came about, for the consent log.
type Consent struct {
	Source Source
	// Confirmed stores the subscriber as confirmed without an opt-in mail.
	// Only staff may do this, attesting an earlier consent in Note.
	Confirmed bool
	// Note is the staff's record of how and when the person agreed.
	Note string
	// WordingVersion is the version of the consent text the person saw.
	WordingVersion string
	// IP and UserAgent are the request's, recorded only where the
	// installation chose to (RUNDBRIEF_RECORD_IP); empty otherwise.
	IP        string
	UserAgent string
}

func (c Consent) check() error {
	if _, err := CleanText(c.Note, MaxNoteLength); err != nil {
		return fmt.Errorf("subscribers: consent note: %w", err)
	}
	if c.Confirmed && len(c.Note) == 0 {
		return ErrConsentNote
	}
	return nil
}

// Add stores a new subscriber, or makes a contact (StatusContact) one.
// Unless c.Confirmed, the subscriber is pending and an opt-in mail is
// queued for them in the same transaction (see OpenMails). It returns
// ErrExists when the address is on the list already and ErrSuppressed
// when it is on the suppression list.
func (s *Store) Add(ctx context.Context, n NewSubscriber, c Consent) (*Subscriber, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		known, err := topicSet(ctx, tx)
		if err != nil {
			return err
		}
		n, err = n.normalize(known)
		if err != nil {
			return err
		}
		suppressed, err := isSuppressed(ctx, tx, s.keys.AddressHash(n.Email))
		if err != nil {
			return err
		}
		if suppressed {
			return ErrSuppressed
		}
		status, confirmedAt := StatusPending, sql.NullTime{}
		if c.Confirmed {
			status, confirmedAt = StatusConfirmed, sql.NullTime{Time: time.Now(), Valid: true}
		}
		err = tx.GetContext(ctx, &id, `INSERT INTO subscribers (email, name, organisation, kind, language, status, confirmed_at, salutation, phone, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (email_key) DO NOTHING RETURNING id`,
			n.Email, n.Name, n.Organisation, n.Kind, n.Language, status, confirmedAt, n.Salutation, n.Phone, n.Note)
		if errors.Is(err, sql.ErrNoRows) {
			// A contact (known from a registration) subscribes now: the
			// same person, with their registrations, and the consent
			// they give from here on.
			err = tx.GetContext(ctx, &id, `UPDATE subscribers
				SET name = CASE WHEN $2 = '' THEN name ELSE $2 END,
				    organisation = CASE WHEN $3 = '' THEN organisation ELSE $3 END,
				    kind = $4, language = $5, status = $6, confirmed_at = $7, updated_at = now()
				WHERE email_key = $1 AND status = 'contact' RETURNING id`,
				EmailKey(n.Email), n.Name, n.Organisation, n.Kind, n.Language, status, confirmedAt)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrExists
			}
			if err == nil {
				_, err = tx.ExecContext(ctx, `DELETE FROM subscriber_topics WHERE subscriber_id = $1`, id)
			}
		}
		if err != nil {
			return fmt.Errorf("subscribers: add: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriber_topics (subscriber_id, topic)
			SELECT $1, unnest($2::text[])`, id, pq.StringArray(n.Topics)); err != nil {
			return fmt.Errorf("subscribers: add topics: %w", err)
		}
		if err := logConsent(ctx, tx, id, ActionSubscribed, c); err != nil {
			return err
		}
		if c.Confirmed {
			return logConsent(ctx, tx, id, ActionConfirmed, c)
		}
		_, err = queueMail(ctx, tx, id, MailOptIn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Delete removes the subscriber with id and everything stored about them:
// topics, consent log, mails. With suppress, the address is put on the
// suppression list (as a keyed hash) first, so a later import cannot add it
// back; a new opt-in by the person themselves is still possible.
func (s *Store) Delete(ctx context.Context, id int64, suppress bool) error {
	reason := SuppressionReason("")
	if suppress {
		reason = SuppressedByStaff
	}
	return s.deleteSubscriber(ctx, id, reason)
}

// Erase deletes the subscriber with id at their own request (DSGVO Art. 17):
// the subscriber, topics, consent log and mails go for good. What stays is
// the keyed hash of the address on the suppression list, with the reason
// "erased" and the time, so that no import adds the address back; the
// person can still subscribe again through the form and confirm.
func (s *Store) Erase(ctx context.Context, id int64) error {
	return s.deleteSubscriber(ctx, id, SuppressedErased)
}

// deleteSubscriber deletes subscriber id and, unless reason is empty,
// suppresses the address for reason.
func (s *Store) deleteSubscriber(ctx context.Context, id int64, reason SuppressionReason) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var email string
		err := tx.GetContext(ctx, &email, `DELETE FROM subscribers WHERE id = $1 RETURNING coalesce(email, '')`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("subscribers: delete: %w", err)
		}
		if reason != "" && email != "" {
			return addSuppression(ctx, tx, s.keys.AddressHash(email), reason, "")
		}
		return nil
	})
}

// inTx runs fn in a transaction, again after a deadlock (see
// postgres.InTx).
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return postgres.InTx(ctx, s.db, fn)
}
