package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/lib/pq"
)

// Salutation is how a person is addressed in a formal letter: the Anrede.
type Salutation string

// The salutations; empty is none known (a family, an office, "divers").
const (
	SalutationNone Salutation = ""
	SalutationMs   Salutation = "ms" // Frau
	SalutationMr   Salutation = "mr" // Herr
)

// ErrSalutation is an Anrede that is neither Frau nor Herr nor one that
// stands for none.
var ErrSalutation = errors.New("subscribers: unknown salutation")

// ParseSalutation reads an Anrede as offices write it: "Frau", "Fr.",
// "Herr", "Hr.", "Ms", "Mrs", "Mr"; "", "divers", "keine", "-", "Familie",
// "Firma" are none.
func ParseSalutation(s string) (Salutation, error) {
	switch strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ".")) {
	case "frau", "fr", "ms", "mrs", "miss":
		return SalutationMs, nil
	case "herr", "hr", "hrn", "mr":
		return SalutationMr, nil
	case "", "-", "divers", "keine", "keine angabe", "familie", "firma", "mx":
		return SalutationNone, nil
	}
	return "", fmt.Errorf("%w %q", ErrSalutation, s)
}

// CleanNote returns a note as one line: the line breaks a spreadsheet
// cell may hold become "; ", and it is checked like any text (CleanText,
// MaxNoteLength).
func CleanNote(s string) (string, error) {
	s = strings.NewReplacer("\r\n", "; ", "\n", "; ", "\r", "; ").Replace(strings.TrimSpace(s))
	return CleanText(s, MaxNoteLength)
}

// MaxPhoneLength is the longest phone number kept.
const MaxPhoneLength = 40

// ErrPhone is a phone number with characters no phone number has.
var ErrPhone = errors.New("subscribers: a phone number holds digits, spaces and + ( ) / - only")

// CleanPhone returns phone trimmed, or ErrPhone: digits, spaces and the
// signs + ( ) / - . only, at most MaxPhoneLength characters.
func CleanPhone(phone string) (string, error) {
	phone = strings.TrimSpace(phone)
	if len(phone) > MaxPhoneLength {
		return "", ErrPhone
	}
	for _, r := range phone {
		if !strings.ContainsRune("0123456789 +()/-.", r) {
			return "", ErrPhone
		}
	}
	return phone, nil
}

// NewContact is a person staff register for an event who has not
// subscribed: their address, and what the sign-in sheet and a call back
// need.
type NewContact struct {
	Email        string
	Name         string
	Organisation string
	Phone        string
	Kind         Kind // KindOther when empty
	// Language is the language of the mails to a new contact; German when
	// empty.
	Language i18n.Lang
	// Note says how the person became known, for the log ("Anruf am
	// 02.12.2026, Job-Speeddating").
	Note string
	// Source is who gave the address: SourceStaff when empty, SourceWeb
	// for the public registration form.
	Source Source
}

// ErrNoAddress is a contact without an e-mail address that lacks the name
// or the phone number by which staff know them.
var ErrNoAddress = errors.New("subscribers: a contact without an e-mail address needs a name and a phone number")

// FindOrAddContact returns the subscriber with n's address, whatever their
// status, or stores n as a contact: known only through a registration, in
// no audience, with no opt-in mail (see StatusContact), with an entry in
// the log that says so. A phone number given is kept for a known person
// who has none. It returns ErrSuppressed for an address on the
// suppression list that is not on the list.
//
// Without an address, n is always a new contact, known by name and phone
// (ErrNoAddress without them): staff register someone who has no e-mail;
// they appear on the sign-in sheet and are sent nothing.
func (s *Store) FindOrAddContact(ctx context.Context, n NewContact) (sub *Subscriber, added bool, err error) {
	if n, err = n.clean(); err != nil {
		return nil, false, err
	}
	if n.Email == "" && (n.Name == "" || n.Phone == "") {
		return nil, false, ErrNoAddress
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if n.Email != "" {
			err := tx.GetContext(ctx, &id, `UPDATE subscribers SET phone = $2, updated_at = now()
				WHERE email_key = $1 AND phone = '' AND $2 <> '' RETURNING id`, EmailKey(n.Email), n.Phone)
			if errors.Is(err, sql.ErrNoRows) {
				err = tx.GetContext(ctx, &id, `SELECT id FROM subscribers WHERE email_key = $1`, EmailKey(n.Email))
			}
			if err == nil {
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("subscribers: find contact: %w", err)
			}
			suppressed, err := isSuppressed(ctx, tx, s.keys.AddressHash(n.Email))
			if err != nil {
				return err
			}
			if suppressed {
				return ErrSuppressed
			}
		}
		err := tx.GetContext(ctx, &id, `INSERT INTO subscribers (email, name, organisation, phone, kind, language, status)
			VALUES (NULLIF($1, ''), $2, $3, $4, $5, $6, 'contact') RETURNING id`, n.Email, n.Name, n.Organisation, n.Phone, n.Kind, n.Language)
		if err != nil {
			return fmt.Errorf("subscribers: add contact: %w", err)
		}
		added = true
		return logConsent(ctx, tx, id, ActionContact, Consent{Source: n.Source, Note: n.Note})
	})
	if err != nil {
		return nil, false, err
	}
	sub, err = s.Get(ctx, id)
	return sub, added, err
}

// clean returns n checked and normalised: the address (if any) as
// NormalizeEmail gives it, the texts cleaned, the kind parsed (KindOther
// when empty).
func (n NewContact) clean() (NewContact, error) {
	var err error
	if strings.TrimSpace(n.Email) != "" {
		if n.Email, err = NormalizeEmail(n.Email); err != nil {
			return n, err
		}
	} else {
		n.Email = ""
	}
	if n.Name, err = CleanText(n.Name, MaxNameLength); err != nil {
		return n, fmt.Errorf("subscribers: %s: %w", FieldName, err)
	}
	if n.Organisation, err = CleanText(n.Organisation, MaxNameLength); err != nil {
		return n, fmt.Errorf("subscribers: %s: %w", FieldOrganisation, err)
	}
	if n.Phone, err = CleanPhone(n.Phone); err != nil {
		return n, err
	}
	if n.Note, err = CleanText(n.Note, MaxNoteLength); err != nil {
		return n, fmt.Errorf("subscribers: note: %w", err)
	}
	if n.Kind == "" {
		n.Kind = KindOther
	} else if n.Kind, err = ParseKind(string(n.Kind)); err != nil {
		return n, err
	}
	if n.Language == "" {
		n.Language = i18n.German
	} else if n.Language, err = i18n.Parse(string(n.Language)); err != nil {
		return n, err
	}
	if n.Source == "" {
		n.Source = SourceStaff
	}
	return n, nil
}

// Registered reports which of the subscribers ids hold a registration
// for an event, read in the transaction q of the purge that asks, so that
// the purge and a registration made meanwhile do not cross. The events
// package owns registrations and answers it.
type Registered func(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64]bool, error)

// PurgePending deletes the subscribers who have not confirmed within ttl
// of their last request, with everything stored about them, and returns
// how many went. Their addresses are not suppressed: they never agreed to
// anything, and may subscribe again. Those of them who hold a registration
// (registered says who) are never deleted with it: they become contacts
// (StatusContact), with ActionOptInExpired in the log, and returned as
// kept.
func (s *Store) PurgePending(ctx context.Context, ttl time.Duration, registered Registered) (deleted, kept int, err error) {
	return s.purge(ctx, StatusPending, ttl, registered)
}

// PurgeContacts deletes the contacts whose last change is older than ttl
// and who hold no registration any more (registered says who does), and
// returns how many went: a contact exists for their registrations only,
// and these have gone (see events.Store.PurgeRegistrations).
func (s *Store) PurgeContacts(ctx context.Context, ttl time.Duration, registered Registered) (int, error) {
	n, _, err := s.purge(ctx, StatusContact, ttl, registered)
	return n, err
}

func (s *Store) purge(ctx context.Context, status Status, ttl time.Duration, registered Registered) (deleted, kept int, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		deleted, kept = 0, 0
		// Locked, so that a registration made now waits for this
		// transaction (its foreign key takes a share lock on the row)
		// and then finds the row gone or changed.
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, `SELECT id FROM subscribers
			WHERE status = $1 AND updated_at < now() - make_interval(secs => $2)
			ORDER BY id FOR UPDATE SKIP LOCKED`, status, ttl.Seconds()); err != nil {
			return fmt.Errorf("subscribers: purge %s: %w", status, err)
		}
		if len(ids) == 0 {
			return nil
		}
		has, err := registered(ctx, tx, ids)
		if err != nil {
			return err
		}
		var drop, keep []int64
		for _, id := range ids {
			if has[id] {
				keep = append(keep, id)
			} else {
				drop = append(drop, id)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM subscribers WHERE id = ANY ($1)`, pq.Int64Array(drop)); err != nil {
			return fmt.Errorf("subscribers: purge %s: %w", status, err)
		}
		deleted = len(drop)
		if status != StatusPending || len(keep) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = 'contact', updated_at = now() WHERE id = ANY ($1)`,
			pq.Int64Array(keep)); err != nil {
			return fmt.Errorf("subscribers: purge pending: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscription_mails SET status = 'skipped', finished_at = now()
			WHERE subscriber_id = ANY ($1) AND status = 'queued'`, pq.Int64Array(keep)); err != nil {
			return fmt.Errorf("subscribers: purge pending: %w", err)
		}
		for _, id := range keep {
			if err := logConsent(ctx, tx, id, ActionOptInExpired, Consent{Source: SourceSystem}); err != nil {
				return err
			}
		}
		kept = len(keep)
		return nil
	})
	return deleted, kept, err
}
