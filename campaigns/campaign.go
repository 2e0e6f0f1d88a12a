// Package campaigns sends mailings to an audience: an invitation to an event
// or a newsletter, a reminder, an update or a cancellation of an event. It
// owns the tables campaigns and deliveries (in the one mail log, package
// maillog); it reads audiences, events and registrations through the
// Stores of subscribers and events.
//
// The delivery log is the truth about who gets what. Sending a campaign
// first writes one delivery per recipient (unique per campaign and
// subscriber) in bulk, grouped in batches; only then are tasks queued, one
// per batch, carrying the campaign and batch number and nothing else. A
// worker claims a batch's deliveries with a conditional UPDATE before it
// sends and closes each with the relay's reply and the Message-ID, so a
// task that runs twice, or two workers on one batch, never send twice, and
// a queue that lost its data is rebuilt from here.
package campaigns

import (
	"errors"
	"fmt"
	"time"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Kind is what a campaign sends.
type Kind string

// The kinds of campaign.
const (
	KindInvitation Kind = "invitation" // an invitation to an event, with its calendar file
	KindNewsletter Kind = "newsletter" // a subject and a Markdown body
	// KindReminder reminds of an event shortly before it; the worker's
	// scheduler creates it at each of the event's reminder offsets.
	KindReminder Kind = "reminder"
	// KindUpdate says that an event's time or place changed, with the
	// calendar file at a higher SEQUENCE.
	KindUpdate Kind = "update"
	// KindCancellation says that an event is called off, with a
	// METHOD:CANCEL calendar file.
	KindCancellation Kind = "cancellation"
	// KindLastCall says that registration closes soon ("Anmeldeschluss
	// naht"), to those whom an invitation to the event reached and who
	// have not registered.
	KindLastCall Kind = "last_call"
	// KindFollowUp follows an event up: a subject and a Markdown text
	// (thanks, a feedback link) with attachments (the slides), to the
	// people marked as attended.
	KindFollowUp Kind = "followup"
)

// AboutEvent reports whether campaigns of kind k are about an event.
func (k Kind) AboutEvent() bool { return k != KindNewsletter }

// Status is where a campaign stands.
type Status string

// The statuses of a campaign.
const (
	StatusDraft     Status = "draft"     // created; nothing sent
	StatusScheduled Status = "scheduled" // will start at SendAt
	StatusSending   Status = "sending"   // deliveries planned; workers are sending
	StatusPaused    Status = "paused"    // workers send nothing until it is resumed
	StatusDone      Status = "done"      // every delivery is final
	StatusCancelled Status = "cancelled" // stopped for good; open deliveries cancelled
)

// Campaign is a stored campaign.
type Campaign struct {
	ID   int64 `json:"id"`
	Kind Kind  `json:"kind"`
	// EventID and EventSlug name the event of an invitation.
	EventID    *int64 `json:"event_id,omitempty"`
	EventSlug  string `json:"event,omitempty"`
	EventTitle string `json:"event_title,omitempty"`
	// Subject and Body (Markdown) are a newsletter's words; SubjectEN and
	// BodyEN the English ones, if given.
	Subject   string `json:"subject,omitempty"`
	Body      string `json:"body,omitempty"`
	SubjectEN string `json:"subject_en,omitempty"`
	BodyEN    string `json:"body_en,omitempty"`
	// Intro and IntroEN are an invitation's own paragraph above the facts
	// ("Liebe Eltern, …"); an invitation's Subject and SubjectEN, when
	// set, replace the one made from the event's title.
	Intro   string `json:"intro,omitempty"`
	IntroEN string `json:"intro_en,omitempty"`
	// Attachments are the names of the files the mails carry (Files has
	// them whole, with the newsletter's pictures).
	Attachments []string `json:"attachments"`
	// Archive shows the campaign in the public archive (/rundbrief) once
	// it is sent.
	Archive  bool                 `json:"archive"`
	Audience subscribers.Audience `json:"audience"`
	// ToRegistered sends a campaign about an event to the people
	// registered for it instead of the audience.
	// A follow-up (KindFollowUp) goes to those of them marked as come.
	ToRegistered bool `json:"to_registered,omitempty"`
	// NewOnly makes an invitation a follow-up: it reaches only those of
	// its audience whom no other invitation to the event has reached.
	NewOnly bool `json:"new_only,omitempty"`
	// Greeting is how the mails greet: GreetingFormal (the default) or
	// GreetingNeutral.
	Greeting Greeting `json:"greeting"`
	// ReminderHours is how long before the start a reminder goes out;
	// Note what changed (an update) or why (a cancellation).
	ReminderHours int        `json:"reminder_hours,omitempty"`
	Note          string     `json:"note,omitempty"`
	Status        Status     `json:"status"`
	SendAt        *time.Time `json:"send_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

// Spec is what staff say about a new campaign.
type Spec struct {
	Kind Kind
	// Event is the slug of an invitation's event.
	Event string
	// Subject and Body are a newsletter's; the English ones are optional,
	// and English subscribers get the German text without them.
	Subject, Body     string
	SubjectEN, BodyEN string
	// Intro and IntroEN are an invitation's own paragraph above the facts;
	// an invitation (or a last call) takes Subject and SubjectEN as its
	// own subject, and no Body.
	Intro, IntroEN string
	// Files are the attachments and a newsletter's pictures (see File).
	Files []File
	// Archive shows the campaign in the public archive once sent; nil for
	// the default: newsletters yes, invitations no.
	Archive *bool
	// Audience overrides the default: the event's audience for an
	// invitation, everyone for a newsletter.
	Audience *subscribers.Audience
	// Note is what changed (an update) or why (a cancellation).
	Note string
	// ReminderHours is a reminder's offset before the start; 0 for a
	// reminder staff send now.
	ReminderHours int
	// NewOnly makes an invitation a follow-up (Campaign.NewOnly).
	NewOnly bool
	// Greeting is how the mails greet; GreetingFormal when empty.
	Greeting Greeting
}

// Greeting is how a campaign's mails greet their recipients.
type Greeting string

// The greetings.
const (
	// GreetingFormal uses the Anrede where it is known: "Sehr geehrte
	// Frau Köhler,"; "Guten Tag Vorname Nachname," otherwise.
	GreetingFormal Greeting = "formal"
	// GreetingNeutral greets everyone by name: "Guten Tag Sabine Köhler,".
	GreetingNeutral Greeting = "neutral"
)

// Problem says what breaks a rule of a campaign, as a code; the CLI says
// it in the staff's words.
type Problem string

// The problems of a campaign.
const (
	ProblemMissing      Problem = "missing"
	ProblemTooLong      Problem = "too_long"  // Limit: the most characters
	ProblemInvisible    Problem = "invisible" // a line break, a control or an invisible character
	ProblemWordsOfEvent Problem = "words_of_event"
	ProblemNoHours      Problem = "no_hours"       // a reminder's hours before the start are negative
	ProblemEventGiven   Problem = "event_given"    // a newsletter names an event
	ProblemNewOnly      Problem = "new_only"       // new-only for a campaign that is no invitation
	ProblemNoteOfNotice Problem = "note_of_notice" // a note for a newsletter or an invitation
	// ProblemArchive: the archive is for newsletters and invitations.
	ProblemArchive Problem = "archive"
	// ProblemIntroOfInvitation: an intro for a campaign that is not an
	// invitation or a last call.
	ProblemIntroOfInvitation Problem = "intro_of_invitation"
	ProblemToRegistered      Problem = "to_registered" // an audience for a campaign to the people registered
	ProblemGreeting          Problem = "greeting"      // Value: neither formal nor neutral
	ProblemNoEvent           Problem = "no_event"      // a campaign about an event names none
	ProblemKind              Problem = "unknown_kind"  // Value
	ProblemNotFuture         Problem = "not_in_future" // Value: the time, in Europe/Berlin
)

// InvalidError is a campaign that breaks a rule: Field is the name of
// the flag ("subject", "body-en", "note", "at"). It wraps ErrInvalid.
type InvalidError struct {
	Field   string
	Problem Problem
	Value   string
	Limit   int
}

func (e *InvalidError) Error() string {
	s := "campaigns: invalid campaign: " + e.Field + ": " + string(e.Problem)
	if e.Value != "" {
		s += fmt.Sprintf(" %q", e.Value)
	}
	if e.Limit != 0 {
		s += fmt.Sprintf(" (limit %d)", e.Limit)
	}
	return s
}

// Unwrap returns ErrInvalid.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field string, p Problem) *InvalidError { return &InvalidError{Field: field, Problem: p} }

// Errors of the store.
var (
	ErrNotFound = errors.New("campaigns: no such campaign")
	// ErrStatus means the campaign is not in a status that allows the
	// action; the error says which status it is in.
	ErrStatus = errors.New("campaigns: not possible in the campaign's status")
	// ErrEventNotReady means the invitation's event is a draft, cancelled
	// or over.
	ErrEventNotReady = errors.New("campaigns: the event cannot be invited to")
	// ErrInvalid is wrapped by every InvalidError.
	ErrInvalid = errors.New("campaigns: invalid campaign")
	// ErrNotDue means a scheduled campaign's time has not come.
	ErrNotDue = errors.New("campaigns: the campaign is not due yet")
)

// Progress counts a campaign's deliveries by status.
type Progress struct {
	Total     int `json:"total"`
	Queued    int `json:"queued"`
	Sending   int `json:"sending"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Bounced   int `json:"bounced"`
	Skipped   int `json:"skipped"`
	Cancelled int `json:"cancelled"`
}

// Final is how many deliveries are final.
func (p Progress) Final() int { return p.Sent + p.Failed + p.Bounced + p.Skipped + p.Cancelled }

// Remaining is how many deliveries are still open.
func (p Progress) Remaining() int { return p.Queued + p.Sending }
