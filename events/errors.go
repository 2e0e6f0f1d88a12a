package events

import (
	"errors"
	"fmt"
	"strings"
)

// Problem says what is wrong with a field of an event, or with an event
// file, as a code. The events package says nothing in German or English;
// the CLI says each problem in the staff's words.
type Problem string

// The problems of a field.
const (
	ProblemMissing           Problem = "missing"
	ProblemTooLong           Problem = "too_long"  // Limit: the most characters
	ProblemInvisible         Problem = "invisible" // a line break, a control or an invisible character
	ProblemSlug              Problem = "bad_slug"  // Value: not 2 to 60 lower-case letters, digits and hyphens
	ProblemURL               Problem = "bad_url"   // Value: not a whole http(s) address
	ProblemNoPlace           Problem = "no_place"  // neither a place nor an online link
	ProblemNotAfterStart     Problem = "not_after_start"
	ProblemAfterStart        Problem = "after_start"
	ProblemPartner           Problem = "bad_partner"   // Value: too long, or an invisible character
	ProblemKind              Problem = "unknown_kind"  // Value
	ProblemTopic             Problem = "unknown_topic" // Value
	ProblemNegative          Problem = "negative"
	ProblemNeedsRegistration Problem = "needs_registration" // only with registration: true
	ProblemPartySize         Problem = "party_size"         // Value; Limit: the largest party
	ProblemReminder          Problem = "bad_reminder"       // Value: not whole hours from 1h to 90d
	ProblemTime              Problem = "bad_time"           // Value: no time as staff write it
	ProblemNoSuchTime        Problem = "no_such_time"       // Value: the hour skipped when summer time begins
	ProblemOffset            Problem = "bad_offset"         // Value: no offset like 7d or 2h
	ProblemLastCallDeadline  Problem = "last_call_deadline" // a last call without registration and deadline
)

// The problems of an event file (FileError).
const (
	ProblemFileTooLarge Problem = "file_too_large" // Limit: the most KiB
	ProblemFileEmpty    Problem = "file_empty"
	ProblemUnknownKey   Problem = "unknown_key" // Value: the key
	ProblemWrongType    Problem = "wrong_type"  // Value: what was written; Want: what fits
	ProblemSyntax       Problem = "syntax"      // Value: the YAML library's words
)

// FieldError is a field of an event that breaks the rules. Field is the
// name of the YAML key and of the flag.
type FieldError struct {
	Field   string
	Problem Problem
	Value   string // the value at fault, where naming it helps
	Limit   int    // the limit it broke, where there is one
}

func (e FieldError) Error() string {
	s := "events: "
	if e.Field != "" { // ParseTime and ParseOffset leave it to the caller
		s += e.Field + ": "
	}
	s += string(e.Problem)
	if e.Value != "" {
		s += fmt.Sprintf(" %q", e.Value)
	}
	if e.Limit != 0 {
		s += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	return s
}

// Unwrap makes an unknown topic match ErrUnknownTopic.
func (e FieldError) Unwrap() error {
	if e.Problem == ProblemTopic {
		return ErrUnknownTopic
	}
	return nil
}

// InvalidFields lists every bad field of an event.
type InvalidFields []FieldError

func (e InvalidFields) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = strings.TrimPrefix(f.Error(), "events: ")
	}
	return "events: " + strings.Join(parts, "; ")
}

// Unwrap returns the field errors.
func (e InvalidFields) Unwrap() []error {
	out := make([]error, len(e))
	for i, f := range e {
		out[i] = f
	}
	return out
}

// FileError is one thing wrong with the form of an event file, at a line
// where the YAML library says which (0 where it does not). It wraps
// ErrYAML.
type FileError struct {
	Line    int
	Problem Problem
	Value   string
	Want    string // with ProblemWrongType: "int", "bool", "[]string" or "string"
	Limit   int
}

func (e FileError) Error() string {
	s := "events: event file"
	if e.Line > 0 {
		s += fmt.Sprintf(", line %d", e.Line)
	}
	s += ": " + string(e.Problem)
	if e.Value != "" {
		s += fmt.Sprintf(" %q", e.Value)
	}
	if e.Want != "" {
		s += " (want " + e.Want + ")"
	}
	return s
}

// Unwrap returns ErrYAML.
func (e FileError) Unwrap() error { return ErrYAML }

// FileErrors are the errors of an event file's form, all that the YAML
// library found.
type FileErrors []FileError

func (e FileErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the file errors.
func (e FileErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, f := range e {
		out[i] = f
	}
	return out
}

// Errors of the events package that are not about one field.
var (
	ErrNotFound     = errors.New("events: no such event")
	ErrExists       = errors.New("events: an event with this slug exists already")
	ErrUnknownTopic = errors.New("events: unknown topic")
	ErrCancelled    = errors.New("events: the event is cancelled")
	// ErrYAML is wrapped by every error of ParseYAML that is about the
	// file's form rather than a field's value.
	ErrYAML = errors.New("events: the event file is not valid")
)

// Errors of deleting an event.
var (
	// ErrNotDraft: only a draft can be deleted; a published event is
	// cancelled instead, so that those invited hear of it.
	ErrNotDraft = errors.New("events: only a draft can be deleted")
	// ErrHasCampaigns: a campaign about the event exists.
	ErrHasCampaigns = errors.New("events: campaigns about the event exist")
)
