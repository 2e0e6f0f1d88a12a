// Package events keeps the events the KNF runs or invites to — the
// Regionalkonferenz, the Job-Speeddating, the Talent-Campus, the Codeweek,
// the Seminarfachbörse: when and where, for whom (kinds × topics), whether
// people register, and when reminders go out. Times are stored as
// timestamptz and entered and shown in Europe/Berlin. The Store is its
// PostgreSQL side; it owns the tables events, event_topics, registrations,
// registration_mails (in the one mail log, package maillog) and
// reminders (when each reminder of an event is due; campaigns turns a due
// one into a campaign). It reads no other package's table.
package events

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Berlin on systems without zoneinfo (distroless)

	"github.com/knf-nordhausen/rundbrief/internal/plain"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Berlin is the time zone events are entered and shown in.
var Berlin = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic("events: no time zone data for Europe/Berlin: " + err.Error())
	}
	return loc
})

// Status is where an event stands.
type Status string

// The statuses of an event.
const (
	StatusDraft     Status = "draft"     // being prepared; no invitations
	StatusPublished Status = "published" // invitations may go out
	StatusCancelled Status = "cancelled" // called off
)

// DefaultPartyMax is how many people one registration may bring unless the
// event says otherwise; MaxPartyMax the most an event may allow (a school
// registers a class, a company its apprentices; never more than the
// capacity, see MaxParty).
const (
	DefaultPartyMax = 4
	MaxPartyMax     = 500
)

// DefaultReminders are the reminder offsets of an event that names none: 7
// days and 1 day before the start.
func DefaultReminders() []time.Duration { return []time.Duration{7 * 24 * time.Hour, 24 * time.Hour} }

// Spec is what staff say about an event, from flags or a YAML file.
type Spec struct {
	Slug         string             `json:"slug"`
	Title        string             `json:"title"`
	Description  string             `json:"description,omitempty"` // Markdown
	Start        time.Time          `json:"start"`
	End          time.Time          `json:"end"`
	PlaceName    string             `json:"place,omitempty"`
	PlaceAddress string             `json:"address,omitempty"`
	OnlineURL    string             `json:"online,omitempty"`
	Organiser    string             `json:"organiser,omitempty"`
	Partners     []string           `json:"partners"`
	Kinds        []subscribers.Kind `json:"kinds"`  // empty: every kind
	Topics       []string           `json:"topics"` // empty: every topic
	Capacity     int                `json:"capacity,omitempty"`
	// PartyMax is how many people one registration may bring at most
	// (themselves included); DefaultPartyMax when 0.
	PartyMax     int             `json:"party_max,omitempty"`
	Registration bool            `json:"registration"`
	Deadline     *time.Time      `json:"deadline,omitempty"`
	Reminders    []time.Duration `json:"-"` // before the start
	// LastCall is how long before the deadline "Anmeldeschluss naht"
	// goes to those invited who have not registered; 0 for none.
	LastCall time.Duration `json:"-"`
	// TitleEN and DescriptionEN are the English words, for English
	// subscribers; without them they get the German mail (English).
	TitleEN       string `json:"title_en,omitempty"`
	DescriptionEN string `json:"description_en,omitempty"`
	// ForWhom says whom the event is for in people's words ("Jugendliche
	// von 12 bis 18 Jahren"); without it, the mails describe the audience.
	ForWhom   string  `json:"for_whom,omitempty"`
	ForWhomEN string  `json:"for_whom_en,omitempty"`
	Contact   Contact `json:"contact,omitzero"`
	// Sessions are the days of an event over several, in order; Start
	// and End are then the first one's start and the last one's end.
	// Empty for an event in one piece.
	Sessions []Session `json:"sessions,omitempty"`
	// Questions are what a registration is asked besides the number of
	// people, in order; Names whether it names each person.
	Questions []Question `json:"questions,omitempty"`
	Names     Names      `json:"names,omitempty"`
	// FollowUp, when set, is sent automatically after the event to those
	// marked as come.
	FollowUp *FollowUp `json:"followup,omitempty"`
}

// Event is a stored event.
type Event struct {
	ID int64 `json:"id"`
	Spec
	Status    Status    `json:"status"`
	Sequence  int       `json:"sequence"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// RegistrationsPurgedAt is when the registrations were deleted after
	// the event (Store.PurgeRegistrations); Figures is what was kept of
	// them. Both nil before.
	RegistrationsPurgedAt *time.Time `json:"registrations_purged_at,omitempty"`
	Figures               *Figures   `json:"figures,omitempty"`
	// CalendarUID is the random part of the event's iCalendar UID (see
	// UID); empty for an event from before UIDs were random.
	CalendarUID string `json:"-"`
	// CancelReason is why a cancelled event was called off, as its page
	// says; may be empty.
	CancelReason string `json:"cancel_reason,omitempty"`
}

// Limits of the text fields.
const (
	maxTitle       = 200
	maxDescription = 20000
	maxPlace       = 200
	maxAddress     = 300
)

// Check normalises s and checks every field, returning all problems at
// once. Topics are checked against the database by the Store.
func (s Spec) Check() (Spec, error) {
	var errs InvalidFields
	fail := func(field string, p Problem, value string, limit int) {
		errs = append(errs, FieldError{Field: field, Problem: p, Value: value, Limit: limit})
	}
	text := func(field string, v *string, limit int, required bool) {
		*v = strings.TrimSpace(*v)
		switch {
		case required && *v == "":
			fail(field, ProblemMissing, "", 0)
		case len([]rune(*v)) > limit:
			fail(field, ProblemTooLong, "", limit)
		case strings.ContainsFunc(*v, plain.Forbidden):
			fail(field, ProblemInvisible, "", 0)
		}
	}
	s.Slug = strings.ToLower(strings.TrimSpace(s.Slug))
	if !validSlug(s.Slug) {
		fail("slug", ProblemSlug, s.Slug, 0)
	}
	text("title", &s.Title, maxTitle, true)
	text("place", &s.PlaceName, maxPlace, false)
	text("address", &s.PlaceAddress, maxAddress, false)
	text("organiser", &s.Organiser, maxPlace, false)
	s.Description = strings.TrimSpace(s.Description)
	if len([]rune(s.Description)) > maxDescription {
		fail("description", ProblemTooLong, "", maxDescription)
	}
	s.OnlineURL = strings.TrimSpace(s.OnlineURL)
	if s.OnlineURL != "" {
		if u, err := url.Parse(s.OnlineURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsFunc(s.OnlineURL, isSpaceOrControl) {
			fail("online", ProblemURL, s.OnlineURL, 0)
		} else {
			// The scheme is case-insensitive (RFC 3986, section 3.1);
			// written in lower case, as the schema and every mail program
			// expect it. "HTTPS://" becomes "https://".
			s.OnlineURL = u.Scheme + s.OnlineURL[len(u.Scheme):]
		}
	}
	if s.PlaceName == "" && s.OnlineURL == "" {
		fail("place", ProblemNoPlace, "", 0)
	}
	s.checkDetails(fail)
	if s.Start.IsZero() {
		fail("start", ProblemMissing, "", 0)
	}
	if s.End.IsZero() {
		fail("end", ProblemMissing, "", 0)
	} else if !s.Start.IsZero() && !s.End.After(s.Start) {
		fail("end", ProblemNotAfterStart, "", 0)
	}
	partners := s.Partners[:0:0]
	for _, p := range s.Partners {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if len([]rune(p)) > maxPlace || strings.ContainsFunc(p, plain.Forbidden) {
			fail("partners", ProblemPartner, p, maxPlace)
		}
		partners = append(partners, p)
	}
	s.Partners = partners
	kinds := s.Kinds[:0:0]
	for _, k := range s.Kinds {
		kind, err := subscribers.ParseKind(string(k))
		if err != nil {
			fail("kinds", ProblemKind, string(k), 0)
			continue
		}
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	s.Kinds = kinds
	topics := s.Topics[:0:0]
	for _, t := range s.Topics {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" && !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	slices.Sort(topics)
	s.Topics = topics
	if s.Capacity < 0 {
		fail("capacity", ProblemNegative, "", 0)
	}
	if s.Deadline != nil {
		if !s.Registration {
			fail("deadline", ProblemNeedsRegistration, "", 0)
		} else if !s.Start.IsZero() && s.Deadline.After(s.Start) {
			fail("deadline", ProblemAfterStart, "", 0)
		}
	}
	if s.Capacity > 0 && !s.Registration {
		fail("capacity", ProblemNeedsRegistration, "", 0)
	}
	switch {
	case s.PartyMax == 0:
		s.PartyMax = DefaultPartyMax
	case s.PartyMax < 1 || s.PartyMax > MaxPartyMax:
		fail("party_max", ProblemPartySize, fmt.Sprint(s.PartyMax), MaxPartyMax)
	}
	if s.Reminders == nil {
		s.Reminders = DefaultReminders()
	}
	for _, r := range s.Reminders {
		if r < time.Hour || r%time.Hour != 0 || r > 90*24*time.Hour {
			fail("reminders", ProblemReminder, FormatOffset(r), 0)
		}
	}
	switch {
	case s.LastCall == 0:
	case !s.Registration || s.Deadline == nil:
		fail("last_call", ProblemLastCallDeadline, FormatOffset(s.LastCall), 0)
	case s.LastCall < time.Hour || s.LastCall%time.Hour != 0 || s.LastCall > 90*24*time.Hour:
		fail("last_call", ProblemReminder, FormatOffset(s.LastCall), 0)
	}
	slices.Sort(s.Reminders)
	slices.Reverse(s.Reminders)
	s.Reminders = slices.Compact(s.Reminders)
	if len(errs) > 0 {
		return s, errs
	}
	return s, nil
}

// CheckWith is Check for a spec whose reading already found problems (a
// time or offset that could not be read): it returns those together with
// what Check finds in the other fields, so every problem is reported at
// once.
func (s Spec) CheckWith(found InvalidFields) (Spec, error) {
	checked, err := s.Check()
	errs := slices.Clone(found)
	var more InvalidFields
	if errors.As(err, &more) {
		for _, m := range more {
			if !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Field == m.Field }) {
				errs = append(errs, m)
			}
		}
	}
	if len(errs) > 0 {
		return checked, errs
	}
	return checked, nil
}

func validSlug(s string) bool {
	if len(s) < 2 || len(s) > 60 || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func isSpaceOrControl(r rune) bool { return r == ' ' || isControl(r) }

// MaxParty is how many people one registration may bring: PartyMax, but
// never more than the event's capacity, since a party larger than every
// place would wait on the waitlist forever.
func (s Spec) MaxParty() int {
	if s.Capacity > 0 && s.Capacity < s.PartyMax {
		return s.Capacity
	}
	return s.PartyMax
}

// Place is the place with its address: "Stadtbibliothek, Promenadenweg 3,
// 99734 Nordhausen", or "" for an event that is only online.
func (s Spec) Place() string { return strings.Join(nonEmpty(s.PlaceName, s.PlaceAddress), ", ") }

// Where says where the event is, for people: the place and address, the
// online link, or both.
func (s Spec) Where() string {
	place := s.Place()
	switch {
	case place != "" && s.OnlineURL != "":
		return place + " und online"
	case place != "":
		return place
	default:
		return "online"
	}
}

func nonEmpty(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
