// Package subscribers keeps the people who hear from the Kommunale
// Netzwerkstelle Fachkräftesicherung: companies, schools, families and
// partners, with their interests (topics), language and status; the consent
// log that proves each opt-in (DSGVO Art. 7(1)); the suppression list; the
// tokens in their links; and the import of the contact lists staff keep in
// Excel. The Store is its PostgreSQL side.
package subscribers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/plain"
)

// Kind is what sort of recipient a subscriber is.
type Kind string

// The kinds of subscriber.
const (
	KindCompany Kind = "company" // Unternehmen: HR staff and owners
	KindSchool  Kind = "school"  // Schule: teachers, career counsellors
	KindFamily  Kind = "family"  // Familie: parents, young people of 16 and over
	KindOther   Kind = "other"   // Sonstige: chambers, the Hochschule, associations
)

// Kinds lists every kind in display order.
func Kinds() []Kind { return []Kind{KindCompany, KindSchool, KindFamily, KindOther} }

// ErrUnknownKind is returned by ParseKind for a value that names no kind.
var ErrUnknownKind = errors.New("subscribers: unknown kind")

// ParseKind reads a kind written in German or English, in any case
// ("Unternehmen", "company", "Schule", ...).
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "company", "unternehmen", "firma", "betrieb":
		return KindCompany, nil
	case "school", "schule":
		return KindSchool, nil
	case "family", "familie":
		return KindFamily, nil
	case "other", "sonstige", "sonstiges", "partner":
		return KindOther, nil
	}
	return "", fmt.Errorf("%w %q (known: Unternehmen/company, Schule/school, Familie/family, Sonstige/other)", ErrUnknownKind, s)
}

// Status is where a subscriber stands.
type Status string

// The statuses of a subscriber.
const (
	StatusPending      Status = "pending"      // subscribed, opt-in not yet confirmed
	StatusConfirmed    Status = "confirmed"    // confirmed; receives mail
	StatusUnsubscribed Status = "unsubscribed" // withdrew consent; receives nothing
	StatusBounced      Status = "bounced"      // the address was refused for good
	// StatusContact is a person known only through a registration for an
	// event: no audience reaches them; they get the mails about their
	// registration and nothing else.
	StatusContact Status = "contact"
)

// ParseStatus reads a status by its name ("pending", "confirmed", ...) or its
// German label ("unbestätigt", "bestätigt", "abgemeldet", "unzustellbar").
func ParseStatus(s string) (Status, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "pending", "unbestätigt", "ausstehend":
		return StatusPending, nil
	case "confirmed", "bestätigt":
		return StatusConfirmed, nil
	case "unsubscribed", "abgemeldet", "abbestellt":
		return StatusUnsubscribed, nil
	case "bounced", "unzustellbar":
		return StatusBounced, nil
	case "contact", "kontakt", "nur anmeldung":
		return StatusContact, nil
	}
	return "", fmt.Errorf("subscribers: unknown status %q (known: pending, confirmed, unsubscribed, bounced, contact)", s)
}

// Source is where a subscription or a change came from.
type Source string

// The sources of a consent log entry.
const (
	SourceWeb    Source = "web"    // the subscriber, through the web form
	SourceImport Source = "import" // a CSV import by staff
	SourceStaff  Source = "staff"  // staff, by hand
	SourceSystem Source = "system" // rundbrief itself (mail sent, bounce)
	// SourceRequest is the office asking a contact it knows for consent:
	// an import or an entry by staff without an attested consent. The
	// opt-in mail is then a request for permission.
	SourceRequest Source = "request"
)

// Subscriber is one person or organisation on the list.
type Subscriber struct {
	ID           int64      `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Organisation string     `json:"organisation"`
	Phone        string     `json:"phone,omitempty"`
	Salutation   Salutation `json:"salutation,omitempty"`
	Note         string     `json:"note,omitempty"`
	Kind         Kind       `json:"kind"`
	Language     i18n.Lang  `json:"language"`
	Status       Status     `json:"status"`
	Topics       []string   `json:"topics"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ConfirmedAt  *time.Time `json:"confirmed_at,omitempty"`
	Unsubscribed *time.Time `json:"unsubscribed_at,omitempty"`
	BouncedAt    *time.Time `json:"bounced_at,omitempty"`
	// RequestedVia is where the last subscription request came from; set
	// by ClaimMail for an opt-in mail, which is worded by it.
	RequestedVia Source `json:"-"`
}

// Topic is an interest subscribers choose and audiences are drawn from.
type Topic struct {
	Slug    string `db:"slug" json:"slug"`
	TitleDE string `db:"title_de" json:"title_de"`
	TitleEN string `db:"title_en" json:"title_en"`
}

// Title is the topic's title in lang.
func (t Topic) Title(lang i18n.Lang) string {
	if lang == i18n.English {
		return t.TitleEN
	}
	return t.TitleDE
}

// Limits on free-text fields, as the schema enforces them.
const (
	MaxNameLength = 200
	MaxNoteLength = 1000
)

// Errors of CleanText.
var (
	ErrTextTooLong = errors.New("subscribers: text is too long")
	ErrTextControl = errors.New("subscribers: text contains a line break, a control character or an invisible character")
)

// CleanText trims s and checks it for use as a name or organisation: at most
// max characters, and none that a line of text must not hold (see package
// plain): no line break that could end up in a mail header, no
// bidirectional control that makes a name read backwards, no invisible
// character.
func CleanText(s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if n := len([]rune(s)); n > max {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrTextTooLong, n, max)
	}
	if r, bad := plain.Find(s); bad {
		return "", fmt.Errorf("%w (%U)", ErrTextControl, r)
	}
	return s, nil
}
