package subscribers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// The consent log's entries of a correction by staff.
const (
	ActionDetailsChanged ConsentAction = "details_changed" // Note: the fields, by name
	ActionEmailChanged   ConsentAction = "email_changed"   // Note: the staff's note, if any
)

// Change is a correction staff make to a subscriber; a nil field stays as
// it is.
type Change struct {
	Email, Name, Organisation, Phone, Note *string
	Salutation                             *Salutation
	Kind                                   *Kind
	Language                               *i18n.Lang
	Topics                                 *[]string
}

// Changed is what Update did.
type Changed struct {
	Subscriber *Subscriber
	// Fields are the fields that changed, in the order of Change.
	Fields []Field
	// Reconfirm says the new address awaits its confirmation: the
	// subscriber is pending again and an opt-in mail to it is queued
	// (see OpenMails).
	Reconfirm bool
}

// Update applies ch to the subscriber with id, with the rules of Add, and
// records in the consent log what changed (fields by name, a new topic
// list, a new address). A new address of a confirmed subscriber needs a
// new confirmation — the subscriber is pending again and an opt-in mail is
// queued — unless c.Confirmed, where staff attest in c.Note that the new
// address belongs to the same person. It returns ErrExists when the new
// address is another subscriber's and ErrSuppressed when it is on the
// suppression list.
func (s *Store) Update(ctx context.Context, id int64, ch Change, c Consent) (*Changed, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	out := &Changed{}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		out.Fields, out.Reconfirm = nil, false
		sub, err := getSubscriber(ctx, tx, `SELECT `+subscriberColumns+` FROM subscribers s WHERE s.id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		known, err := topicSet(ctx, tx)
		if err != nil {
			return err
		}
		next := NewSubscriber{Email: sub.Email, Name: sub.Name, Organisation: sub.Organisation, Kind: sub.Kind,
			Language: sub.Language, Topics: sub.Topics, Salutation: sub.Salutation, Phone: sub.Phone, Note: sub.Note}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&next.Email, ch.Email)
		set(&next.Name, ch.Name)
		set(&next.Organisation, ch.Organisation)
		set(&next.Phone, ch.Phone)
		set(&next.Note, ch.Note)
		if ch.Salutation != nil {
			next.Salutation = *ch.Salutation
		}
		if ch.Kind != nil {
			next.Kind = *ch.Kind
		}
		if ch.Language != nil {
			next.Language = *ch.Language
		}
		if ch.Topics != nil {
			next.Topics = *ch.Topics
		}
		// A contact staff registered without an address keeps none
		// until one is given; the rules check the rest.
		noAddress := next.Email == ""
		if noAddress {
			next.Email = "none@address.invalid"
		}
		n, err := next.normalize(known)
		if err != nil {
			return err
		}
		if noAddress {
			n.Email = ""
		}
		slices.Sort(n.Topics)
		emailChanged := EmailKey(n.Email) != EmailKey(sub.Email) || n.Email != sub.Email
		for _, f := range []struct {
			field   Field
			changed bool
		}{
			{FieldEmail, emailChanged}, {FieldName, n.Name != sub.Name}, {FieldOrganisation, n.Organisation != sub.Organisation},
			{FieldSalutation, n.Salutation != sub.Salutation}, {FieldPhone, n.Phone != sub.Phone}, {FieldNote, n.Note != sub.Note},
			{FieldKind, n.Kind != sub.Kind}, {FieldLanguage, n.Language != sub.Language},
			{FieldTopics, !slices.Equal(n.Topics, sub.Topics)},
		} {
			if f.changed {
				out.Fields = append(out.Fields, f.field)
			}
		}
		if len(out.Fields) == 0 {
			return nil
		}
		if EmailKey(n.Email) != EmailKey(sub.Email) {
			suppressed, err := isSuppressed(ctx, tx, s.keys.AddressHash(n.Email))
			if err != nil {
				return err
			}
			if suppressed {
				return ErrSuppressed
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscribers SET email = NULLIF($2, ''), name = $3, organisation = $4, phone = $5,
			kind = $6, language = $7, salutation = $8, note = $9, updated_at = now() WHERE id = $1`,
			id, n.Email, n.Name, n.Organisation, n.Phone, n.Kind, n.Language, n.Salutation, n.Note)
		if postgres.IsUniqueViolation(err) {
			return ErrExists
		}
		if err != nil {
			return fmt.Errorf("subscribers: update: %w", err)
		}
		var details []string
		for _, f := range out.Fields {
			if f != FieldEmail && f != FieldTopics {
				details = append(details, string(f))
			}
		}
		if len(details) > 0 {
			if err := logConsent(ctx, tx, id, ActionDetailsChanged, Consent{Source: c.Source, Note: strings.Join(details, ", ")}); err != nil {
				return err
			}
		}
		if slices.Contains(out.Fields, FieldTopics) {
			if err := setTopics(ctx, tx, id, n.Topics); err != nil {
				return err
			}
			if err := logConsent(ctx, tx, id, ActionTopicsChange, Consent{Source: c.Source, Note: strings.Join(n.Topics, ", ")}); err != nil {
				return err
			}
		}
		if !emailChanged {
			return nil
		}
		if err := logConsent(ctx, tx, id, ActionEmailChanged, c); err != nil {
			return err
		}
		// A consent given for the old address does not cover the new
		// one, unless staff attest it or only the case of letters
		// changed; a contact gave none.
		if c.Confirmed || EmailKey(n.Email) == EmailKey(sub.Email) || (sub.Status != StatusConfirmed && sub.Status != StatusPending) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET status = 'pending', confirmed_at = NULL WHERE id = $1`, id); err != nil {
			return fmt.Errorf("subscribers: update: %w", err)
		}
		out.Reconfirm = true
		_, err = queueMail(ctx, tx, id, MailOptIn)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Subscriber, err = s.Get(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}
