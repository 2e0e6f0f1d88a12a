package campaigns

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/plain"
	"github.com/knf-nordhausen/rundbrief/postgres"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// DefaultBatchSize is how many deliveries one task carries. What a batch
// costs besides its mails (its claim, its recipients' contacts, its
// release, its task) is shared by that many: at 100 rather than 50 the
// bench measured PostgreSQL at 31 instead of 44 µs per mail and the
// worker at 49 instead of 54. A batch still goes out in a tenth of a
// second, and a killed worker still sends at most ten of it again.
const DefaultBatchSize = 100

// Store keeps campaigns and their deliveries in PostgreSQL. It is safe for
// concurrent use.
type Store struct {
	db          *sqlx.DB
	subscribers *subscribers.Store
	events      *events.Store
	// BatchSize is how many deliveries a task carries; DefaultBatchSize
	// when 0.
	BatchSize int
	// q are the statements a worker runs for every batch, prepared.
	q batchQueries
	// readRecipients, when set, reads a campaign's audience for Start
	// instead of eachRecipientAfter (tests).
	readRecipients recipientReader
}

// recipientReader reads the recipients of c whose IDs are above after,
// only the first limit (0: all), as eachRecipientAfter does.
type recipientReader func(ctx context.Context, c *Campaign, after int64, limit int, fn func(subscribers.Match) error) (last int64, more bool, err error)

// NewStore returns a store on db. It reads audiences from subs and
// invitations' events from evs.
func NewStore(db *sqlx.DB, subs *subscribers.Store, evs *events.Store) *Store {
	return &Store{db: db, subscribers: subs, events: evs, q: prepareBatchQueries(db)}
}

const campaignColumns = `c.id, c.kind, c.event_id, c.subject, c.body, c.subject_en, c.body_en, c.intro, c.intro_en, c.audience_kinds, c.audience_topics, c.to_registered, c.new_only, c.greeting,
	c.archive,
	ARRAY(SELECT f.name FROM campaign_files f WHERE f.campaign_id = c.id AND f.content_id = '' ORDER BY f.position) AS attachments,
	COALESCE(c.reminder_hours, 0) AS reminder_hours, c.note, c.status, c.send_at,
	c.created_at, c.updated_at, c.started_at, c.finished_at`

const campaignFrom = ` FROM campaigns c`

type campaignRow struct {
	ID         int64          `db:"id"`
	Kind       Kind           `db:"kind"`
	EventID    *int64         `db:"event_id"`
	Subject    string         `db:"subject"`
	Body       string         `db:"body"`
	SubjectEN  string         `db:"subject_en"`
	BodyEN     string         `db:"body_en"`
	Intro      string         `db:"intro"`
	IntroEN    string         `db:"intro_en"`
	Files      pq.StringArray `db:"attachments"`
	Archive    bool           `db:"archive"`
	Kinds      pq.StringArray `db:"audience_kinds"`
	Topics     pq.StringArray `db:"audience_topics"`
	ToReg      bool           `db:"to_registered"`
	NewOnly    bool           `db:"new_only"`
	Greeting   Greeting       `db:"greeting"`
	Hours      int            `db:"reminder_hours"`
	Note       string         `db:"note"`
	Status     Status         `db:"status"`
	SendAt     *time.Time     `db:"send_at"`
	CreatedAt  time.Time      `db:"created_at"`
	UpdatedAt  time.Time      `db:"updated_at"`
	StartedAt  *time.Time     `db:"started_at"`
	FinishedAt *time.Time     `db:"finished_at"`
}

func (r *campaignRow) campaign() *Campaign {
	c := &Campaign{
		ID: r.ID, Kind: r.Kind, EventID: r.EventID,
		Subject: r.Subject, Body: r.Body, SubjectEN: r.SubjectEN, BodyEN: r.BodyEN, Intro: r.Intro, IntroEN: r.IntroEN, Attachments: append([]string{}, r.Files...), Archive: r.Archive, Status: r.Status,
		ToRegistered: r.ToReg, NewOnly: r.NewOnly, Greeting: r.Greeting, ReminderHours: r.Hours, Note: r.Note,
		SendAt: r.SendAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Audience: subscribers.Audience{Kinds: []subscribers.Kind{}, Topics: append([]string{}, r.Topics...),
			Event: r.EventID != nil},
	}
	for _, k := range r.Kinds {
		c.Audience.Kinds = append(c.Audience.Kinds, subscribers.Kind(k))
	}
	return c
}

// Get returns the campaign with id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (*Campaign, error) {
	c, err := getCampaign(ctx, s.db, `SELECT `+campaignColumns+campaignFrom+` WHERE c.id = $1`, id)
	if err != nil {
		return nil, err
	}
	return c, s.nameEvents(ctx, c)
}

// nameEvents fills in the slug and title of the events cs are about,
// from the events' Store.
func (s *Store) nameEvents(ctx context.Context, cs ...*Campaign) error {
	var ids []int64
	for _, c := range cs {
		if c.EventID != nil {
			ids = append(ids, *c.EventID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	names, err := s.events.Names(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.EventID != nil {
			n := names[*c.EventID]
			c.EventSlug, c.EventTitle = n.Slug, n.Title
		}
	}
	return nil
}

func getCampaign(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (*Campaign, error) {
	var r campaignRow
	err := sqlx.GetContext(ctx, q, &r, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("campaigns: get: %w", err)
	}
	return r.campaign(), nil
}

// List returns every campaign, newest first.
func (s *Store) List(ctx context.Context) ([]*Campaign, error) {
	var rows []campaignRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+campaignColumns+campaignFrom+` ORDER BY c.id DESC`); err != nil {
		return nil, fmt.Errorf("campaigns: list: %w", err)
	}
	out := make([]*Campaign, len(rows))
	for i := range rows {
		out[i] = rows[i].campaign()
	}
	return out, s.nameEvents(ctx, out...)
}

// Create checks spec and stores it as a draft.
func (s *Store) Create(ctx context.Context, spec Spec) (*Campaign, error) {
	var (
		eventID      *int64
		audience     subscribers.Audience
		toRegistered bool
		hours        *int
	)
	switch spec.Kind {
	case KindInvitation, KindReminder, KindUpdate, KindCancellation, KindLastCall:
		e, err := s.events.Get(ctx, strings.TrimSpace(spec.Event))
		if err != nil {
			return nil, err
		}
		if (e.Status == events.StatusCancelled) != (spec.Kind == KindCancellation) {
			return nil, &EventNotReadyError{Slug: e.Slug, Status: e.Status}
		}
		eventID = &e.ID
		audience = subscribers.Audience{Kinds: e.Kinds, Topics: e.Topics}
		// Reminders, updates and cancellations go to the people
		// registered, when the event takes registrations.
		toRegistered = spec.Kind != KindInvitation && spec.Kind != KindLastCall && e.Registration
		if spec.Kind == KindLastCall && !e.Registration {
			return nil, &EventNotReadyError{Slug: e.Slug, Status: e.Status, NoRegistration: true}
		}
		if spec.Body != "" || spec.BodyEN != "" {
			return nil, invalid("body", ProblemWordsOfEvent)
		}
		if spec.Subject, spec.SubjectEN, spec.Intro, spec.IntroEN, err = checkOwnWords(spec.Kind, spec.Subject, spec.SubjectEN, spec.Intro, spec.IntroEN); err != nil {
			return nil, err
		}
		// A reminder without hours is one staff send now, outside
		// the event's offsets.
		if spec.Kind == KindReminder && spec.ReminderHours != 0 {
			if spec.ReminderHours < 0 {
				return nil, invalid("reminder-hours", ProblemNoHours)
			}
			hours = &spec.ReminderHours
		}
		if spec.Note = strings.TrimSpace(spec.Note); len([]rune(spec.Note)) > MaxNote {
			return nil, &InvalidError{Field: "note", Problem: ProblemTooLong, Limit: MaxNote}
		}
	case KindFollowUp:
		e, err := s.events.Get(ctx, strings.TrimSpace(spec.Event))
		if err != nil {
			return nil, err
		}
		if e.Status != events.StatusPublished || !e.Registration {
			return nil, &EventNotReadyError{Slug: e.Slug, Status: e.Status, NoRegistration: !e.Registration}
		}
		eventID, toRegistered = &e.ID, true
		audience = subscribers.Audience{Kinds: e.Kinds, Topics: e.Topics}
		if spec.Intro != "" || spec.IntroEN != "" {
			return nil, invalid("intro", ProblemIntroOfInvitation)
		}
		if spec.Subject, spec.Body, err = checkText(spec.Subject, spec.Body, "", true); err != nil {
			return nil, err
		}
		if spec.SubjectEN, spec.BodyEN, err = checkText(spec.SubjectEN, spec.BodyEN, "-en", false); err != nil {
			return nil, err
		}
	case KindNewsletter:
		if spec.Event != "" {
			return nil, invalid("event", ProblemEventGiven)
		}
		if spec.Intro != "" || spec.IntroEN != "" {
			return nil, invalid("intro", ProblemIntroOfInvitation)
		}
		var err error
		if spec.Subject, spec.Body, err = checkText(spec.Subject, spec.Body, "", true); err != nil {
			return nil, err
		}
		if spec.SubjectEN, spec.BodyEN, err = checkText(spec.SubjectEN, spec.BodyEN, "-en", false); err != nil {
			return nil, err
		}
	default:
		return nil, &InvalidError{Field: "kind", Problem: ProblemKind, Value: string(spec.Kind)}
	}
	if spec.NewOnly && spec.Kind != KindInvitation {
		return nil, invalid("new-only", ProblemNewOnly)
	}
	if spec.Greeting == "" {
		spec.Greeting = GreetingFormal
	}
	if spec.Greeting != GreetingFormal && spec.Greeting != GreetingNeutral {
		return nil, &InvalidError{Field: "anrede", Problem: ProblemGreeting, Value: string(spec.Greeting)}
	}
	if spec.Audience != nil {
		audience = *spec.Audience
	}
	audience, err := s.subscribers.CheckAudience(ctx, audience)
	if err != nil {
		return nil, err
	}
	if err := checkFiles(spec.Files); err != nil {
		return nil, err
	}
	archive := spec.Kind == KindNewsletter
	if spec.Archive != nil {
		if *spec.Archive && spec.Kind != KindNewsletter && spec.Kind != KindInvitation {
			return nil, invalid("archive", ProblemArchive)
		}
		archive = *spec.Archive
	}
	if spec.Kind != KindNewsletter && slices.ContainsFunc(spec.Files, func(f File) bool { return f.ContentID != "" }) {
		return nil, invalid("picture", ProblemPicture)
	}
	var id int64
	err = postgres.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, `INSERT INTO campaigns
		(kind, event_id, subject, body, subject_en, body_en, audience_kinds, audience_topics, to_registered, reminder_hours, note, new_only, greeting,
		 intro, intro_en, archive)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			spec.Kind, eventID, spec.Subject, spec.Body, spec.SubjectEN, spec.BodyEN,
			pq.StringArray(kindStrings(audience.Kinds)), pq.StringArray(audience.Topics), toRegistered, hours, spec.Note, spec.NewOnly, spec.Greeting,
			spec.Intro, spec.IntroEN, archive); err != nil {
			return fmt.Errorf("campaigns: create: %w", err)
		}
		return setFiles(ctx, tx, id, spec.Files)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// MaxSubject and MaxBody limit a newsletter's text, MaxNote the note of
// an update or a cancellation, MaxIntro an invitation's own paragraph.
const (
	MaxSubject = 200
	MaxBody    = 100000
	MaxNote    = 2000
	MaxIntro   = 2000
)

// checkOwnWords checks what a campaign about an event may say of its own:
// a subject and an intro, in German and English, for an invitation or a
// last call; nothing for the others, which say what their kind says.
func checkOwnWords(kind Kind, subject, subjectEN, intro, introEN string) (string, string, string, string, error) {
	subject, subjectEN = strings.TrimSpace(subject), strings.TrimSpace(subjectEN)
	intro, introEN = strings.TrimSpace(intro), strings.TrimSpace(introEN)
	if kind != KindInvitation && kind != KindLastCall {
		if subject != "" || subjectEN != "" {
			return "", "", "", "", invalid("subject", ProblemWordsOfEvent)
		}
		if intro != "" || introEN != "" {
			return "", "", "", "", invalid("intro", ProblemIntroOfInvitation)
		}
		return "", "", "", "", nil
	}
	for _, f := range []struct{ field, v string }{{"subject", subject}, {"subject-en", subjectEN}} {
		switch {
		case len([]rune(f.v)) > MaxSubject:
			return "", "", "", "", &InvalidError{Field: f.field, Problem: ProblemTooLong, Limit: MaxSubject}
		case strings.ContainsFunc(f.v, plain.Forbidden):
			return "", "", "", "", invalid(f.field, ProblemInvisible)
		}
	}
	for _, f := range []struct{ field, v string }{{"intro", intro}, {"intro-en", introEN}} {
		if len([]rune(f.v)) > MaxIntro {
			return "", "", "", "", &InvalidError{Field: f.field, Problem: ProblemTooLong, Limit: MaxIntro}
		}
	}
	return subject, subjectEN, intro, introEN, nil
}

// checkText checks a newsletter's subject and body; suffix names the
// flags ("-en") in errors. Both may be empty unless required; one without
// the other is an error.
func checkText(subject, body, suffix string, required bool) (string, string, error) {
	subject, body = strings.TrimSpace(subject), strings.TrimSpace(body)
	switch {
	case subject == "" && body == "" && !required:
		return "", "", nil
	case subject == "":
		return "", "", invalid("subject"+suffix, ProblemMissing)
	case body == "":
		return "", "", invalid("body"+suffix, ProblemMissing)
	case len([]rune(subject)) > MaxSubject:
		return "", "", &InvalidError{Field: "subject" + suffix, Problem: ProblemTooLong, Limit: MaxSubject}
	case strings.ContainsFunc(subject, plain.Forbidden):
		return "", "", invalid("subject"+suffix, ProblemInvisible)
	case len([]rune(body)) > MaxBody:
		return "", "", &InvalidError{Field: "body" + suffix, Problem: ProblemTooLong, Limit: MaxBody}
	}
	return subject, body, nil
}

func kindStrings(ks []subscribers.Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

// Facts are what a campaign's mails say besides the campaign itself.
type Facts struct {
	Event  *events.Event       // the event it is about; nil for a newsletter
	Topics []subscribers.Topic // the known topics, for their titles
	Files  []File              // the attachments and pictures
}

// Facts returns the facts of c, for composing its mails.
func (s *Store) Facts(ctx context.Context, c *Campaign) (Facts, error) {
	var f Facts
	var err error
	if c.Kind.AboutEvent() {
		if f.Event, err = s.Event(ctx, c); err != nil {
			return f, err
		}
	}
	if f.Files, err = s.Files(ctx, c.ID); err != nil {
		return f, err
	}
	f.Topics, err = s.subscribers.Topics(ctx)
	return f, err
}

// Event returns the event of a campaign about an event.
func (s *Store) Event(ctx context.Context, c *Campaign) (*events.Event, error) {
	if c.EventID == nil {
		return nil, invalid("event", ProblemNoEvent)
	}
	return s.events.ByID(ctx, *c.EventID)
}

// ready checks that an invitation's event may be invited to at now.
func (s *Store) ready(ctx context.Context, c *Campaign, now time.Time) error {
	if !c.Kind.AboutEvent() {
		return nil
	}
	e, err := s.Event(ctx, c)
	if err != nil {
		return err
	}
	if c.Kind == KindCancellation {
		if e.Status != events.StatusCancelled {
			return &EventNotReadyError{Slug: e.Slug, Status: e.Status}
		}
		return nil
	}
	switch {
	case e.Status == events.StatusDraft, e.Status == events.StatusCancelled:
		return &EventNotReadyError{Slug: e.Slug, Status: e.Status}
	case c.Kind == KindFollowUp:
		// A follow-up is for after the event; before it, nobody is
		// marked as come.
		return nil
	case !e.End.After(now):
		return &EventNotReadyError{Slug: e.Slug, Status: e.Status, Over: true}
	case c.Kind == KindLastCall && (!e.Start.After(now) || (e.Deadline != nil && !e.Deadline.After(now))):
		return &EventNotReadyError{Slug: e.Slug, Status: e.Status, Closed: true}
	}
	return nil
}

// EventNotReadyError says why an invitation's event cannot be invited to:
// it is a draft or cancelled, or it is over. It wraps ErrEventNotReady.
type EventNotReadyError struct {
	Slug   string
	Status events.Status
	Over   bool
	// Closed: registration has closed (a last call comes too late);
	// NoRegistration: the event takes none (a last call has no point).
	Closed, NoRegistration bool
}

func (e *EventNotReadyError) Error() string {
	why := "is " + string(e.Status)
	switch {
	case e.Over:
		why = "is over"
	case e.Closed:
		why = "has closed registration"
	case e.NoRegistration:
		why = "takes no registrations"
	}
	return fmt.Sprintf("%v: %q %s", ErrEventNotReady, e.Slug, why)
}

func (e *EventNotReadyError) Unwrap() error { return ErrEventNotReady }

// EachRecipient calls fn for every subscriber the campaign would reach if
// it were sent now: the people registered for its event (for an update or
// a cancellation those on the waitlist too: they hold a place in line for
// what changed), or its audience; for a follow-up invitation (NewOnly)
// only those of the audience whom no other invitation to the event has
// reached; for a last call those of the audience whom an invitation
// reached and who are neither registered nor waiting.
func (s *Store) EachRecipient(ctx context.Context, c *Campaign, fn func(subscribers.Match) error) error {
	_, _, err := s.eachRecipientAfter(ctx, c, 0, 0, fn)
	return err
}

// eachRecipientAfter is EachRecipient for the subscribers whose IDs are
// above after, and of an audience only the first limit subscribers it
// reaches (0: all; those skipped counted too). It returns the last ID it
// read, and more when there may be more after it. The people registered
// for an event, or who attended it, are read all at once: more is false.
func (s *Store) eachRecipientAfter(ctx context.Context, c *Campaign, after int64, limit int, fn func(subscribers.Match) error) (last int64, more bool, err error) {
	if c.Kind == KindFollowUp && c.EventID != nil {
		ids, err := s.events.Attendees(ctx, *c.EventID)
		if err != nil {
			return 0, false, err
		}
		return 0, false, s.subscribers.EachAmong(ctx, ids, fn)
	}
	if c.ToRegistered && c.EventID != nil {
		ids, err := s.events.RegisteredSubscribers(ctx, *c.EventID, c.toWaiting())
		if err != nil {
			return 0, false, err
		}
		return 0, false, s.subscribers.EachAmong(ctx, ids, fn)
	}
	// A follow-up invitation and a last call are the audience less some.
	var skip func(id int64) bool
	switch {
	case c.NewOnly && c.EventID != nil:
		invited, err := s.invited(ctx, *c.EventID, c.ID, false)
		if err != nil {
			return 0, false, err
		}
		skip = func(id int64) bool { return invited[id] }
	case c.Kind == KindLastCall && c.EventID != nil:
		// Only an invitation that went out calls for a last call: one
		// still queued would arrive with it.
		invited, err := s.invited(ctx, *c.EventID, c.ID, true)
		if err != nil {
			return 0, false, err
		}
		registered, err := s.Registrants(ctx, c)
		if err != nil {
			return 0, false, err
		}
		skip = func(id int64) bool { return !invited[id] || registered[id] }
	default:
		return s.subscribers.EachMatchAfter(ctx, c.Audience, after, limit, fn)
	}
	return s.subscribers.EachMatchAfter(ctx, c.Audience, after, limit, func(m subscribers.Match) error {
		if skip(m.SubscriberID) {
			return nil
		}
		return fn(m)
	})
}

// invited returns the subscribers whom an invitation to event other than
// campaign except has reached or is about to reach: a delivery that is
// queued or sent; with sent, one that is sent.
func (s *Store) invited(ctx context.Context, event, except int64, sent bool) (map[int64]bool, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT DISTINCT d.subscriber_id FROM deliveries d
		JOIN campaigns c ON c.id = d.campaign_id
		WHERE c.event_id = $1 AND c.kind = 'invitation' AND c.id <> $2
		  AND (d.status = 'sent' OR (NOT $3 AND d.status IN ('queued', 'sending')))`, event, except, sent)
	if err != nil {
		return nil, fmt.Errorf("campaigns: invited: %w", err)
	}
	return idSet(ids), nil
}

// StillRegistered returns the people registered for c's event now (and
// those waiting, for an update or a cancellation), for a campaign sent to
// them: someone who cancelled meanwhile gets nothing, nor does someone
// who waits meanwhile get a reminder. It returns nil for other campaigns.
func (s *Store) StillRegistered(ctx context.Context, c *Campaign) (map[int64]bool, error) {
	if !c.ToRegistered || c.EventID == nil {
		return nil, nil
	}
	if c.Kind == KindFollowUp {
		ids, err := s.events.Attendees(ctx, *c.EventID)
		return idSet(ids), err
	}
	ids, err := s.events.RegisteredSubscribers(ctx, *c.EventID, c.toWaiting())
	if err != nil {
		return nil, err
	}
	return idSet(ids), nil
}

// Registrants returns, for a last call (KindLastCall), the people
// registered for its event now or waiting: they are not called again,
// however they registered. It returns nil for other campaigns.
func (s *Store) Registrants(ctx context.Context, c *Campaign) (map[int64]bool, error) {
	if c.Kind != KindLastCall || c.EventID == nil {
		return nil, nil
	}
	ids, err := s.events.RegisteredSubscribers(ctx, *c.EventID, true)
	if err != nil {
		return nil, err
	}
	return idSet(ids), nil
}

// idSet is ids as a set.
func idSet(ids []int64) map[int64]bool {
	set := make(map[int64]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// toWaiting reports whether c goes to the people on its event's waitlist
// as well as to those registered: an update or a cancellation does, a
// reminder does not.
func (c *Campaign) toWaiting() bool { return c.Kind == KindUpdate || c.Kind == KindCancellation }

// statusError says that c is in a status that does not allow what was
// asked.
func statusError(c *Campaign, want string) error {
	return &StatusError{ID: c.ID, Status: c.Status, Want: want}
}

// StatusError is an action refused because of the campaign's status, as
// when two people send the same campaign at once and the second finds it
// sending already. It wraps ErrStatus.
type StatusError struct {
	ID     int64
	Status Status // the status the campaign is in
	Want   string // what the action needs, for developers
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%v: campaign %d is %s; %s", ErrStatus, e.ID, e.Status, e.Want)
}

func (e *StatusError) Unwrap() error { return ErrStatus }

// inTx runs fn in a transaction, again after a deadlock (see
// postgres.InTx).
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return postgres.InTx(ctx, s.db, fn)
}
