package texts

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// ProblemKind is what is wrong with a text, as a code; the CLI says it in
// German.
type ProblemKind string

// The problems of a texts file.
const (
	ProblemSyntax         ProblemKind = "syntax"          // the YAML does not parse; Detail says why
	ProblemUnknownKey     ProblemKind = "unknown_key"     // a key no text has (a typo)
	ProblemPlaceholder    ProblemKind = "placeholder"     // Detail: a placeholder the text cannot have
	ProblemMissingHolder  ProblemKind = "missing_holder"  // Detail: a placeholder the text must keep (a link)
	ProblemEmpty          ProblemKind = "empty"           // a text left empty
	ProblemConsentVersion ProblemKind = "consent_version" // the consent wording changed without a new version
)

// Problem is one thing wrong with a texts file.
type Problem struct {
	Place
	Key    string
	Kind   ProblemKind
	Detail string
}

func (p Problem) Error() string {
	return fmt.Sprintf("texts: %s: %s: %s %s", p.Place, p.Key, p.Kind, p.Detail)
}

var holderPattern = regexp.MustCompile(`\{([A-Za-zÄÖÜäöüß_]+)\}`)

// placeholders are the names in braces in s.
func placeholders(s string) []string {
	var out []string
	for _, m := range holderPattern.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// required are the placeholders a text must keep: without them the mail
// or page would lose a link or a fact the person needs.
var required = map[string]bool{"Link": true, "Aktion": true}

// check compares a file's entries with the shipped texts of lang.
func check(entries []entry, base map[string]string) []Problem {
	var out []Problem
	for _, e := range entries {
		want, ok := base[e.key]
		if !ok {
			out = append(out, Problem{Place: e.at, Key: e.key, Kind: ProblemUnknownKey})
			continue
		}
		if e.text == "" && want != "" {
			out = append(out, Problem{Place: e.at, Key: e.key, Kind: ProblemEmpty})
			continue
		}
		allowed := placeholders(want)
		for _, h := range placeholders(e.text) {
			if !slices.Contains(allowed, h) {
				out = append(out, Problem{Place: e.at, Key: e.key, Kind: ProblemPlaceholder, Detail: h})
			}
		}
		for _, h := range allowed {
			if required[h] && !slices.Contains(placeholders(e.text), h) {
				out = append(out, Problem{Place: e.at, Key: e.key, Kind: ProblemMissingHolder, Detail: h})
			}
		}
	}
	// The consent wording of the shipped version may not change under
	// the same version: the consent log would name a wording nobody saw.
	own := map[string]entry{}
	for _, e := range entries {
		own[e.key] = e
	}
	text, changed := own[KeyConsentText]
	version := base[KeyConsentVersion]
	if v, ok := own[KeyConsentVersion]; ok {
		version = v.text
	}
	if changed && text.text != base[KeyConsentText] && version == base[KeyConsentVersion] {
		out = append(out, Problem{Place: text.at, Key: KeyConsentText, Kind: ProblemConsentVersion, Detail: version})
	}
	return out
}

// Check reads the folder dir as Load does and returns what is wrong in
// it; known maps each consent version already in use to its wording (from
// the consent log's store), so that a wording changed under a version in
// use is found too.
func Check(dir string, known map[i18n.Lang]map[string]string) ([]Problem, error) {
	c, problems, err := Load(dir)
	if err != nil {
		return nil, err
	}
	for _, lang := range i18n.All() {
		version, text := c.Consent(lang)
		if was, ok := known[lang][version]; ok && was != text {
			problems = append(problems, Problem{Place: c.Where(lang, KeyConsentText), Key: KeyConsentText, Kind: ProblemConsentVersion, Detail: version})
		}
	}
	return problems, nil
}
