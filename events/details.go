package events

import (
	"encoding/json"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

// Contact is the person to ask about an event; the mails about it name
// them, and their address is the Reply-To of those mails.
type Contact struct {
	Name  string `json:"name,omitempty" yaml:"name,omitempty"`
	Phone string `json:"phone,omitempty" yaml:"telefon,omitempty"`
	Email string `json:"email,omitempty" yaml:"email,omitempty"`
}

// IsZero reports whether no contact is given.
func (c Contact) IsZero() bool { return c == Contact{} }

// Session is one day (or part of a day) of an event over several: the
// Talent-Campus is five sessions, 9:00 to 15:00 each.
type Session struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// MaxSessions is the most sessions an event may have.
const MaxSessions = 60

// The problems of the details (FieldError).
const (
	ProblemEmail    Problem = "bad_email"    // Value: not an e-mail address
	ProblemSession  Problem = "bad_session"  // Value: no session like "2027-07-05 9:00 bis 15:00"
	ProblemSessions Problem = "bad_sessions" // Value: sessions overlap, or start and end disagree with them; Limit: the most sessions
)

// eventDetails is the JSON object in events.details.
type eventDetails struct {
	TitleEN       string     `json:"title_en,omitempty"`
	DescriptionEN string     `json:"description_en,omitempty"`
	ForWhom       string     `json:"for_whom,omitempty"`
	ForWhomEN     string     `json:"for_whom_en,omitempty"`
	Contact       Contact    `json:"contact,omitzero"`
	Sessions      []Session  `json:"sessions,omitempty"`
	Questions     []Question `json:"questions,omitempty"`
	Names         Names      `json:"names,omitempty"`
	FollowUp      *FollowUp  `json:"followup,omitempty"`
	// CancelReason is the Event's, set when it is cancelled.
	CancelReason string `json:"cancel_reason,omitempty"`
}

func (s Spec) details() []byte {
	b, err := json.Marshal(eventDetails{
		TitleEN: s.TitleEN, DescriptionEN: s.DescriptionEN, ForWhom: s.ForWhom, ForWhomEN: s.ForWhomEN,
		Contact: s.Contact, Sessions: s.Sessions, Questions: s.Questions, Names: s.Names, FollowUp: s.FollowUp,
	})
	if err != nil { // strings and times only
		panic("events: details: " + err.Error())
	}
	return b
}

// setDetails reads raw, the stored details, into s and returns them
// whole (with what belongs to the Event rather than its Spec).
func (s *Spec) setDetails(raw []byte) (eventDetails, error) {
	var d eventDetails
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &d); err != nil {
			return d, err
		}
	}
	s.TitleEN, s.DescriptionEN, s.ForWhom, s.ForWhomEN, s.Contact = d.TitleEN, d.DescriptionEN, d.ForWhom, d.ForWhomEN, d.Contact
	s.Questions, s.Names, s.FollowUp = d.Questions, d.Names, d.FollowUp
	s.Sessions = nil
	for _, x := range d.Sessions {
		s.Sessions = append(s.Sessions, Session{Start: x.Start.In(Berlin()), End: x.End.In(Berlin())})
	}
	return d, nil
}

// checkDetails normalises and checks the details of s: the English words,
// whom it is for, the contact, the sessions. With sessions, start and end
// are the first session's start and the last one's end.
func (s *Spec) checkDetails(fail func(field string, p Problem, value string, limit int)) {
	text := func(field string, v *string, limit int) {
		*v = strings.TrimSpace(*v)
		switch {
		case len([]rune(*v)) > limit:
			fail(field, ProblemTooLong, "", limit)
		case strings.ContainsFunc(*v, plain.Forbidden):
			fail(field, ProblemInvisible, "", 0)
		}
	}
	text("title_en", &s.TitleEN, maxTitle)
	s.DescriptionEN = strings.TrimSpace(s.DescriptionEN)
	if len([]rune(s.DescriptionEN)) > maxDescription {
		fail("description_en", ProblemTooLong, "", maxDescription)
	}
	switch {
	case s.TitleEN == "" && s.DescriptionEN != "":
		fail("title_en", ProblemMissing, "", 0)
	case s.TitleEN != "" && s.DescriptionEN == "" && s.Description != "":
		fail("description_en", ProblemMissing, "", 0)
	}
	text("für_wen", &s.ForWhom, maxPlace)
	text("für_wen_en", &s.ForWhomEN, maxPlace)
	text("kontakt.name", &s.Contact.Name, maxPlace)
	text("kontakt.telefon", &s.Contact.Phone, 40)
	s.Contact.Email = strings.TrimSpace(s.Contact.Email)
	if e := s.Contact.Email; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" {
			fail("kontakt.email", ProblemEmail, e, 0)
		}
	}
	s.checkSessions(fail)
	s.checkQuestions(fail)
	s.checkFollowUp(fail)
}

func (s *Spec) checkSessions(fail func(field string, p Problem, value string, limit int)) {
	switch {
	case len(s.Sessions) == 0:
		s.Sessions = nil
		return
	case len(s.Sessions) > MaxSessions:
		fail("termine", ProblemSessions, "", MaxSessions)
		return
	}
	for i, x := range s.Sessions {
		if !x.End.After(x.Start) {
			fail("termine", ProblemSession, FormatSession(x), 0)
			return
		}
		if i > 0 && x.Start.Before(s.Sessions[i-1].End) {
			fail("termine", ProblemSessions, FormatSession(x), 0)
			return
		}
	}
	first, last := s.Sessions[0].Start, s.Sessions[len(s.Sessions)-1].End
	if (!s.Start.IsZero() && !s.Start.Equal(first)) || (!s.End.IsZero() && !s.End.Equal(last)) {
		fail("termine", ProblemSessions, "", 0)
		return
	}
	s.Start, s.End = first, last
	if len(s.Sessions) == 1 {
		s.Sessions = nil // one session is the event itself
	}
}

// sessionPattern is a session as staff write it: a date and a start,
// then "bis" or a dash and the end's clock time, "Uhr" optional.
var sessionPattern = regexp.MustCompile(`(?i)^(.+?)\s*(?:\s-\s|–|\sbis\s|-(\d))\s*(\d{1,2})(?:[:.](\d{2}))?\s*(?:uhr)?$`)

// ParseSession reads a session as staff write it: "2027-07-05 9:00 bis
// 15:00", "05.07.2027 9:00–15:00", "5.7.2027, 9 bis 15 Uhr". The end is on
// the start's day. Its error is a FieldError without its Field.
func ParseSession(s string) (Session, error) {
	in := strings.TrimSpace(s)
	m := sessionPattern.FindStringSubmatch(in)
	if m == nil {
		return Session{}, FieldError{Problem: ProblemSession, Value: in}
	}
	from, hour, minute := m[1], m[3], m[4]
	if m[2] != "" { // "9:00-15:00": the dash took the end's first digit
		hour = m[2] + hour
	}
	start, err := ParseTime(from)
	if err != nil {
		if start, err = ParseTime(from + " Uhr"); err != nil {
			return Session{}, FieldError{Problem: ProblemSession, Value: in}
		}
	}
	h, _ := strconv.Atoi(hour)
	mi, _ := strconv.Atoi(minute)
	if h > 24 || mi > 59 || (h == 24 && mi > 0) {
		return Session{}, FieldError{Problem: ProblemSession, Value: in}
	}
	y, mo, d := start.Date()
	end := time.Date(y, mo, d, h, mi, 0, 0, Berlin())
	return Session{Start: start, End: end}, nil
}

// FormatSession writes x as ParseSession reads it.
func FormatSession(x Session) string {
	return x.Start.In(Berlin()).Format("2006-01-02 15:04") + " bis " + x.End.In(Berlin()).Format("15:04")
}

// Days are the event's sessions, or the event as one session when it has
// none.
func (s Spec) Days() []Session {
	if len(s.Sessions) > 0 {
		return s.Sessions
	}
	return []Session{{Start: s.Start, End: s.End}}
}

// ForWhomIn is whom the event is for in people's words, in English when
// english is set and the event has its words in English; "" when the
// event does not say (the mails then describe its audience).
func (s Spec) ForWhomIn(english bool) string {
	if english {
		if s.English() {
			return s.ForWhomEN
		}
		return ""
	}
	return s.ForWhom
}

// English reports whether the event has its words in English; without
// them, English subscribers get the German mail whole rather than a mix
// of languages.
func (s Spec) English() bool { return s.TitleEN != "" }

// InLanguage is the title and description in English when english is set
// and the event has them, the German ones otherwise.
func (s Spec) InLanguage(english bool) (title, description string) {
	if english && s.English() {
		return s.TitleEN, s.DescriptionEN
	}
	return s.Title, s.Description
}
