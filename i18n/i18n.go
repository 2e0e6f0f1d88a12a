// Package i18n names the languages rundbrief speaks: German, the default,
// and English. One type serves the subscriber's language, the language of
// a mail and the language of a page; the words of each language live with
// the edge that writes them (templates, web, cmd).
package i18n

import (
	"errors"
	"fmt"
	"strings"
)

// Lang is a language, by its ISO 639-1 code as stored in the database.
type Lang string

// The languages of rundbrief. German is the default.
const (
	German  Lang = "de"
	English Lang = "en"
)

// All lists the languages, German first.
func All() []Lang { return []Lang{German, English} }

// ErrUnknown is returned by Parse for a value that names no language
// rundbrief speaks.
var ErrUnknown = errors.New("i18n: unknown language")

// Parse reads a language: "de", "Deutsch", "German", "en", "Englisch",
// "English", in any case. Empty means German.
func Parse(s string) (Lang, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "de", "deutsch", "german", "ger", "deu":
		return German, nil
	case "en", "englisch", "english", "eng":
		return English, nil
	}
	return "", fmt.Errorf("%w %q (known: de/Deutsch, en/Englisch)", ErrUnknown, s)
}

// Known is l if rundbrief speaks it, else German: the language to write
// in for a value from outside.
func (l Lang) Known() Lang {
	if l == English {
		return English
	}
	return German
}
