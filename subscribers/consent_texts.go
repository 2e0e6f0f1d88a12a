package subscribers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// ConsentText is the wording of one version of the consent, in one
// language, as the subscription form showed it from FirstUsed on.
type ConsentText struct {
	Version   string    `db:"version" json:"version"`
	Lang      i18n.Lang `db:"lang" json:"lang"`
	Text      string    `db:"text" json:"text"`
	FirstUsed time.Time `db:"first_used" json:"first_used"`
}

// ErrConsentTextChanged is returned by RecordConsentText for a version
// whose stored wording differs: the consent log would name a wording
// nobody saw. Give the new wording a new version.
var ErrConsentTextChanged = errors.New("subscribers: the consent wording of this version has changed")

// RecordConsentText stores the wording of version in lang the first time
// it is used, and refuses (ErrConsentTextChanged) a version whose wording
// is stored differently.
func (s *Store) RecordConsentText(ctx context.Context, version string, lang i18n.Lang, text string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO consent_texts (version, lang, text) VALUES ($1, $2, $3)
		ON CONFLICT (version, lang) DO NOTHING`, version, string(lang), text); err != nil {
		return fmt.Errorf("subscribers: consent text: %w", err)
	}
	var stored string
	if err := s.db.GetContext(ctx, &stored, `SELECT text FROM consent_texts WHERE version = $1 AND lang = $2`, version, string(lang)); err != nil {
		return fmt.Errorf("subscribers: consent text: %w", err)
	}
	if stored != text {
		return fmt.Errorf("%w: version %s (%s)", ErrConsentTextChanged, version, lang)
	}
	return nil
}

// ConsentTexts returns every stored wording, by version and language.
func (s *Store) ConsentTexts(ctx context.Context) ([]ConsentText, error) {
	var out []ConsentText
	if err := s.db.SelectContext(ctx, &out, `SELECT version, lang, text, first_used FROM consent_texts ORDER BY first_used, version, lang`); err != nil {
		return nil, fmt.Errorf("subscribers: consent texts: %w", err)
	}
	return out, nil
}
