package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// MaxLinkMailsPerDay is how many opt-in and preferences-link mails one
// inbox gets in 24 hours, however often its form is sent, and under
// however many "+tag" spellings of its address: a form that anyone can
// fill in must not become a way to bomb someone's inbox.
const MaxLinkMailsPerDay = 3

// mailboxLock is the class of the advisory locks that make the requests
// for one inbox count their mails one after the other.
const mailboxLock int32 = 0x524D // "RM"

// FieldError is a field of a form or row that breaks the rules.
type FieldError struct {
	Field Field
	Value string
	Err   error
}

// InvalidFields is the error of Subscribe and UpdatePreferences when fields
// break the rules: one FieldError per bad field, for showing each next to
// its field.
type InvalidFields []FieldError

func (e InvalidFields) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = string(f.Field) + ": " + f.Err.Error()
	}
	return "subscribers: " + strings.Join(parts, "; ")
}

// Unwrap returns the errors of the fields, so errors.Is finds them.
func (e InvalidFields) Unwrap() []error {
	errs := make([]error, len(e))
	for i, f := range e {
		errs[i] = f.Err
	}
	return errs
}

// SubscribeOutcome says what Subscribe did. It is for logs and tests: the
// web page must answer every outcome alike, so that nobody can learn from it
// who is subscribed.
type SubscribeOutcome int

const (
	// OptInQueued: a new, pending or returning subscriber was (re)asked to
	// confirm; an opt-in mail is owed.
	OptInQueued SubscribeOutcome = iota + 1
	// LinkQueued: the address is confirmed already; nothing changed, and a
	// mail with the preferences link is owed instead of an opt-in.
	LinkQueued
	// MailLimited: the address had MaxLinkMailsPerDay mails in the last 24
	// hours; nothing was sent.
	MailLimited
)

// SubscribeResult is what Subscribe did, and the mail to enqueue, if any.
type SubscribeResult struct {
	SubscriberID int64
	Outcome      SubscribeOutcome
	Mail         *MailRef
}

// Subscribe records a subscription request made by the person themselves
// (through the web form) and queues the mail it needs, in one transaction:
//
//   - a new address is stored as pending, and an opt-in mail is owed;
//   - a pending, unsubscribed or bounced subscriber takes the new details,
//     becomes pending and is asked again to confirm;
//   - a confirmed subscriber is left unchanged and is sent their
//     preferences link instead.
//
// The suppression list does not stop a request: the opt-in mail goes only to
// the address's owner, and their confirmation lifts the suppression. At most
// MaxLinkMailsPerDay mails go to one address a day. Bad fields give
// InvalidFields.
func (s *Store) Subscribe(ctx context.Context, n NewSubscriber, c Consent) (SubscribeResult, error) {
	var res SubscribeResult
	if err := c.check(); err != nil {
		return res, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res = SubscribeResult{}
		known, err := topicSet(ctx, tx)
		if err != nil {
			return err
		}
		out, problems := n.check(known)
		if len(problems) > 0 {
			return fieldErrors(problems)
		}
		n = out
		var cur struct {
			ID     int64  `db:"id"`
			Status Status `db:"status"`
		}
		err = tx.GetContext(ctx, &cur, `INSERT INTO subscribers (email, name, organisation, kind, language)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (email_key) DO NOTHING RETURNING id, status`,
			n.Email, n.Name, n.Organisation, n.Kind, n.Language)
		isNew := err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.GetContext(ctx, &cur, `SELECT id, status FROM subscribers WHERE email_key = $1 FOR UPDATE`, EmailKey(n.Email))
		}
		if err != nil {
			return fmt.Errorf("subscribers: subscribe: %w", err)
		}
		res.SubscriberID = cur.ID
		if !isNew && cur.Status != StatusConfirmed {
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers
				SET name = $2, organisation = $3, kind = $4, language = $5, status = 'pending', updated_at = now()
				WHERE id = $1`, cur.ID, n.Name, n.Organisation, n.Kind, n.Language); err != nil {
				return fmt.Errorf("subscribers: subscribe: %w", err)
			}
			cur.Status = StatusPending
		}
		if cur.Status == StatusPending {
			if err := setTopics(ctx, tx, cur.ID, n.Topics); err != nil {
				return err
			}
			repeated, err := repeatedRequest(ctx, tx, cur.ID, c)
			if err != nil {
				return err
			}
			if !repeated {
				if err := logConsent(ctx, tx, cur.ID, ActionSubscribed, c); err != nil {
					return err
				}
			}
		}
		res.Outcome, res.Mail, err = queueLinkMail(ctx, tx, cur.ID, cur.Status)
		return err
	})
	return res, err
}

// RequestLogWindow is how long a subscription request stands in the
// consent log for its repeats: the same request again (same source, same
// wording) while the log's last entry is that request, younger than this,
// adds nothing to the proof and is not logged again. A form that anyone
// can send a thousand times must not grow the log a thousand rows.
const RequestLogWindow = time.Hour

// repeatedRequest reports whether the consent log of subscriber id ends
// in the request c, made within RequestLogWindow.
func repeatedRequest(ctx context.Context, tx *sqlx.Tx, id int64, c Consent) (bool, error) {
	var repeated bool
	err := tx.GetContext(ctx, &repeated, `SELECT action = 'subscribed' AND source = $2 AND wording_version = $3
		AND at > now() - make_interval(secs => $4)
		FROM consent_log WHERE subscriber_id = $1 ORDER BY id DESC LIMIT 1`,
		id, c.Source, c.WordingVersion, RequestLogWindow.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("subscribers: consent log: %w", err)
	}
	return repeated, nil
}

// RequestLink queues the mail a subscriber asks for from an expired or used
// link: a new opt-in mail while they are pending, their preferences link once
// they are confirmed. It keeps to MaxLinkMailsPerDay. A subscriber who
// unsubscribed or bounced gets ErrNotPending: they subscribe again through
// the form.
func (s *Store) RequestLink(ctx context.Context, id int64) (SubscribeResult, error) {
	res := SubscribeResult{SubscriberID: id}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		status, err := lockStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		if status != StatusPending && status != StatusConfirmed {
			return fmt.Errorf("%w (status %s)", ErrNotPending, status)
		}
		res.Outcome, res.Mail, err = queueLinkMail(ctx, tx, id, status)
		return err
	})
	return res, err
}

// queueLinkMail queues the opt-in (pending) or preferences (confirmed) mail
// for subscriber id, unless the day's mails are used up. A mail of the kind
// still waiting to be sent is reused, not doubled.
func queueLinkMail(ctx context.Context, tx *sqlx.Tx, id int64, status Status) (SubscribeOutcome, *MailRef, error) {
	kind, outcome := MailOptIn, OptInQueued
	if status == StatusConfirmed {
		kind, outcome = MailPreferences, LinkQueued
	}
	// The limit is per inbox: the mails to every address that differs
	// from this one only in a "+tag" count together, one request after
	// the other.
	var mailbox string
	if err := tx.GetContext(ctx, &mailbox, `SELECT mailbox_key FROM subscribers WHERE id = $1`, id); err != nil {
		return 0, nil, fmt.Errorf("subscribers: count mails: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, mailboxLock, mailbox); err != nil {
		return 0, nil, fmt.Errorf("subscribers: count mails: %w", err)
	}
	var recent struct {
		Sent int  `db:"sent"` // opt-in and link mails to the inbox in the last 24 hours
		Open bool `db:"open"` // a mail of kind still waiting for this subscriber, which is reused
	}
	if err := tx.GetContext(ctx, &recent, `SELECT
		count(*) FILTER (WHERE m.kind IN ('optin', 'preferences') AND m.created_at > now() - interval '24 hours') AS sent,
		coalesce(bool_or(m.subscriber_id = $1 AND m.kind = $2 AND m.status IN ('queued', 'sending')), false) AS open
		FROM subscription_mails m JOIN subscribers s ON s.id = m.subscriber_id
		WHERE s.mailbox_key = $3`, id, kind, mailbox); err != nil {
		return 0, nil, fmt.Errorf("subscribers: count mails: %w", err)
	}
	if recent.Sent >= MaxLinkMailsPerDay && !recent.Open {
		return MailLimited, nil, nil
	}
	mailID, err := queueMail(ctx, tx, id, kind)
	if err != nil {
		return 0, nil, err
	}
	return outcome, &MailRef{ID: mailID, SubscriberID: id, Kind: kind}, nil
}

func fieldErrors(problems []fieldProblem) InvalidFields {
	out := make(InvalidFields, len(problems))
	for i, p := range problems {
		out[i] = FieldError{Field: p.field, Value: p.value, Err: p.err}
	}
	return out
}

// setTopics replaces the topics of subscriber id.
func setTopics(ctx context.Context, tx *sqlx.Tx, id int64, topics []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM subscriber_topics WHERE subscriber_id = $1 AND topic <> ALL($2::text[])`,
		id, pq.StringArray(topics)); err != nil {
		return fmt.Errorf("subscribers: set topics: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO subscriber_topics (subscriber_id, topic)
		SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`, id, pq.StringArray(topics)); err != nil {
		return fmt.Errorf("subscribers: set topics: %w", err)
	}
	return nil
}

// Preferences are what a subscriber may change on their preferences page.
type Preferences struct {
	Name         string
	Organisation string
	Kind         Kind
	Language     i18n.Lang
	Topics       []string
}

// UpdatePreferences stores p for the subscriber with id. A change of topics
// goes into the consent log, naming the new topics. Bad fields give
// InvalidFields.
func (s *Store) UpdatePreferences(ctx context.Context, id int64, p Preferences, c Consent) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		sub, err := getSubscriber(ctx, tx, `SELECT `+subscriberColumns+` FROM subscribers s WHERE s.id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		known, err := topicSet(ctx, tx)
		if err != nil {
			return err
		}
		n, problems := NewSubscriber{
			Email: sub.Email, Name: p.Name, Organisation: p.Organisation,
			Kind: p.Kind, Language: p.Language, Topics: p.Topics,
		}.check(known)
		if len(problems) > 0 {
			return fieldErrors(problems)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers
			SET name = $2, organisation = $3, kind = $4, language = $5, updated_at = now()
			WHERE id = $1`, id, n.Name, n.Organisation, n.Kind, n.Language); err != nil {
			return fmt.Errorf("subscribers: update preferences: %w", err)
		}
		slices.Sort(n.Topics)
		if slices.Equal(n.Topics, sub.Topics) {
			return nil
		}
		if err := setTopics(ctx, tx, id, n.Topics); err != nil {
			return err
		}
		c.Note = "Themen: " + strings.Join(n.Topics, ", ")
		if len(n.Topics) == 0 {
			c.Note = "Themen: keine"
		}
		return logConsent(ctx, tx, id, ActionTopicsChange, c)
	})
}

// Unsubscribe withdraws the consent of the subscriber with id (DSGVO Art.
// 7(3)): they get no more mail, and mails still queued for them are not
// sent. It reports whether anything changed; unsubscribing twice changes
// nothing.
func (s *Store) Unsubscribe(ctx context.Context, id int64, c Consent) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		changed = false
		res, err := tx.ExecContext(ctx, `UPDATE subscribers
			SET status = 'unsubscribed', unsubscribed_at = now(), updated_at = now()
			WHERE id = $1 AND status IN ('pending', 'confirmed')`, id)
		if err != nil {
			return fmt.Errorf("subscribers: unsubscribe: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var exists bool
			if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM subscribers WHERE id = $1)`, id); err != nil {
				return fmt.Errorf("subscribers: unsubscribe: %w", err)
			}
			if !exists {
				return ErrNotFound
			}
			return nil
		}
		changed = true
		if _, err := tx.ExecContext(ctx, `UPDATE subscription_mails
			SET status = 'skipped', finished_at = now(), reply = 'unsubscribed before sending'
			WHERE subscriber_id = $1 AND status = 'queued'`, id); err != nil {
			return fmt.Errorf("subscribers: unsubscribe: %w", err)
		}
		return logConsent(ctx, tx, id, ActionUnsubscribed, c)
	})
	return changed, err
}

// Validate checks the fields of n as Subscribe would, without storing
// anything, and returns one FieldError per bad field (nil if all are good).
func (s *Store) Validate(ctx context.Context, n NewSubscriber) (InvalidFields, error) {
	known, err := topicSet(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if _, problems := n.check(known); len(problems) > 0 {
		return fieldErrors(problems), nil
	}
	return nil, nil
}
