package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/postgres"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Store keeps events in PostgreSQL. It is safe for concurrent use.
type Store struct {
	db *sqlx.DB
	// The queries of the registration page, prepared.
	bySlug, registration *postgres.Query
}

// NewStore returns a store on db.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: db,
		bySlug:       postgres.Prepare(db, `SELECT `+eventColumns+` FROM events e WHERE e.slug = $1`),
		registration: postgres.Prepare(db, registrationOfPerson),
	}
}

const eventColumns = `e.id, e.slug, e.title, e.description, e.starts_at, e.ends_at, e.place_name, e.place_address,
	e.online_url, e.organiser, e.partners, e.audience_kinds, e.capacity, e.registration, e.registration_deadline,
	e.reminder_hours, e.party_max, e.last_call_hours, e.status, e.sequence, e.created_at, e.updated_at,
	e.uid, e.details, e.registrations_purged_at, coalesce(e.figures_registrations, 0) AS figures_registrations,
	coalesce(e.figures_people, 0) AS figures_people, coalesce(e.figures_waiting, 0) AS figures_waiting,
	ARRAY(SELECT t.topic FROM event_topics t WHERE t.event_id = e.id ORDER BY t.topic) AS topics`

type eventRow struct {
	ID           int64          `db:"id"`
	Slug         string         `db:"slug"`
	Title        string         `db:"title"`
	Description  string         `db:"description"`
	StartsAt     time.Time      `db:"starts_at"`
	EndsAt       time.Time      `db:"ends_at"`
	PlaceName    string         `db:"place_name"`
	PlaceAddress string         `db:"place_address"`
	OnlineURL    string         `db:"online_url"`
	Organiser    string         `db:"organiser"`
	Partners     pq.StringArray `db:"partners"`
	Kinds        pq.StringArray `db:"audience_kinds"`
	Capacity     sql.NullInt64  `db:"capacity"`
	Registration bool           `db:"registration"`
	Deadline     *time.Time     `db:"registration_deadline"`
	Reminders    pq.Int64Array  `db:"reminder_hours"`
	PartyMax     int            `db:"party_max"`
	LastCall     sql.NullInt64  `db:"last_call_hours"`
	Status       Status         `db:"status"`
	Sequence     int            `db:"sequence"`
	CreatedAt    time.Time      `db:"created_at"`
	UpdatedAt    time.Time      `db:"updated_at"`
	Topics       pq.StringArray `db:"topics"`
	PurgedAt     *time.Time     `db:"registrations_purged_at"`
	UID          string         `db:"uid"`
	Details      []byte         `db:"details"`
	Figures
}

func (r *eventRow) event() (*Event, error) {
	e := &Event{
		ID: r.ID, Status: r.Status, Sequence: r.Sequence, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CalendarUID: r.UID,
		Spec: Spec{
			Slug: r.Slug, Title: r.Title, Description: r.Description,
			Start: r.StartsAt.In(Berlin()), End: r.EndsAt.In(Berlin()),
			PlaceName: r.PlaceName, PlaceAddress: r.PlaceAddress, OnlineURL: r.OnlineURL, Organiser: r.Organiser,
			Partners: append([]string{}, r.Partners...), Topics: append([]string{}, r.Topics...),
			Capacity: int(r.Capacity.Int64), PartyMax: r.PartyMax, Registration: r.Registration,
			LastCall: time.Duration(r.LastCall.Int64) * time.Hour,
		},
	}
	e.Kinds = []subscribers.Kind{}
	for _, k := range r.Kinds {
		e.Kinds = append(e.Kinds, subscribers.Kind(k))
	}
	if r.Deadline != nil {
		d := r.Deadline.In(Berlin())
		e.Deadline = &d
	}
	e.Reminders = []time.Duration{}
	for _, h := range r.Reminders {
		e.Reminders = append(e.Reminders, time.Duration(h)*time.Hour)
	}
	if r.PurgedAt != nil {
		f := r.Figures
		e.Figures, e.RegistrationsPurgedAt = &f, r.PurgedAt
	}
	d, err := e.setDetails(r.Details)
	if err != nil {
		return nil, fmt.Errorf("events: event %s: details: %w", r.Slug, err)
	}
	e.CancelReason = d.CancelReason
	return e, nil
}

// Get returns the event with slug, or ErrNotFound.
func (s *Store) Get(ctx context.Context, slug string) (*Event, error) {
	var r eventRow
	return eventOf(&r, s.bySlug.Get(ctx, &r, slug))
}

func getEvent(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (*Event, error) {
	var r eventRow
	return eventOf(&r, sqlx.GetContext(ctx, q, &r, query, args...))
}

// eventOf is the event of row r, read with error err.
func eventOf(r *eventRow, err error) (*Event, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("events: get: %w", err)
	}
	return r.event()
}

// List returns the events with status (all if empty), by start.
func (s *Store) List(ctx context.Context, status Status) ([]*Event, error) {
	var rows []eventRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+eventColumns+` FROM events e
		WHERE $1 = '' OR e.status = $1 ORDER BY e.starts_at, e.id`, string(status))
	if err != nil {
		return nil, fmt.Errorf("events: list: %w", err)
	}
	out := make([]*Event, len(rows))
	for i := range rows {
		if out[i], err = rows[i].event(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Create stores a new event as a draft. Bad fields give InvalidFields,
// unknown topics ErrUnknownTopic, a taken slug ErrExists.
func (s *Store) Create(ctx context.Context, spec Spec) (*Event, error) {
	spec, err := spec.Check()
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO events (slug, title, description, starts_at, ends_at, place_name,
			place_address, online_url, organiser, partners, audience_kinds, capacity, registration, registration_deadline, reminder_hours,
			party_max, last_call_hours, details)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`, spec.args()...)
		if postgres.IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s", ErrExists, spec.Slug)
		}
		if err != nil {
			return fmt.Errorf("events: create: %w", err)
		}
		return setTopics(ctx, tx, id, spec.Topics)
	})
	if err != nil {
		return nil, err
	}
	return getEvent(ctx, s.db, `SELECT `+eventColumns+` FROM events e WHERE e.id = $1`, id)
}

// args are the column values of spec, in the order of Create's INSERT.
func (spec Spec) args() []any {
	kinds := make([]string, len(spec.Kinds))
	for i, k := range spec.Kinds {
		kinds[i] = string(k)
	}
	hours := make([]int64, len(spec.Reminders))
	for i, r := range spec.Reminders {
		hours[i] = int64(r / time.Hour)
	}
	capacity := sql.NullInt64{Int64: int64(spec.Capacity), Valid: spec.Capacity > 0}
	lastCall := sql.NullInt64{Int64: int64(spec.LastCall / time.Hour), Valid: spec.LastCall > 0}
	return []any{spec.Slug, spec.Title, spec.Description, spec.Start, spec.End, spec.PlaceName,
		spec.PlaceAddress, spec.OnlineURL, spec.Organiser, pq.StringArray(orEmpty(spec.Partners)), pq.StringArray(kinds),
		capacity, spec.Registration, spec.Deadline, pq.Int64Array(hours), spec.PartyMax, lastCall, string(spec.details())}
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// setTopics replaces the audience topics of event id, refusing unknown
// ones. The topics belong to subscribers; event_topics' foreign key is
// what says a topic exists, so this package never reads their table.
func setTopics(ctx context.Context, tx *sqlx.Tx, id int64, topics []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_topics WHERE event_id = $1`, id); err != nil {
		return fmt.Errorf("events: topics: %w", err)
	}
	for _, t := range topics {
		_, err := tx.ExecContext(ctx, `INSERT INTO event_topics (event_id, topic) VALUES ($1, $2)`, id, t)
		if postgres.IsForeignKeyViolation(err) {
			return FieldError{Field: "topics", Problem: ProblemTopic, Value: t}
		}
		if err != nil {
			return fmt.Errorf("events: topics: %w", err)
		}
	}
	return nil
}

// Change says what an update changed that the people invited must learn of.
type Change struct {
	Time  bool // start or end moved
	Place bool // place, address or online link changed
}

// Any reports whether anything calendar-relevant changed.
func (c Change) Any() bool { return c.Time || c.Place }

// Update replaces the event with slug by spec (the slug itself stays). A
// change of time or place raises the iCalendar SEQUENCE, so calendars that
// hold the event move it. A cancelled event cannot be changed.
func (s *Store) Update(ctx context.Context, slug string, spec Spec) (*Event, Change, error) {
	spec.Slug = slug
	spec, err := spec.Check()
	if err != nil {
		return nil, Change{}, err
	}
	var change Change
	var id int64
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		old, err := getEvent(ctx, tx, `SELECT `+eventColumns+` FROM events e WHERE e.slug = $1 FOR UPDATE`, slug)
		if err != nil {
			return err
		}
		if old.Status == StatusCancelled {
			return ErrCancelled
		}
		id = old.ID
		change.Time = !old.Start.Equal(spec.Start) || !old.End.Equal(spec.End) || !sameSessions(old.Sessions, spec.Sessions)
		change.Place = old.PlaceName != spec.PlaceName || old.PlaceAddress != spec.PlaceAddress || old.OnlineURL != spec.OnlineURL
		bump := 0
		if change.Any() {
			bump = 1
		}
		a := spec.args()
		_, err = tx.ExecContext(ctx, `UPDATE events SET title = $2, description = $3, starts_at = $4, ends_at = $5,
			place_name = $6, place_address = $7, online_url = $8, organiser = $9, partners = $10, audience_kinds = $11,
			capacity = $12, registration = $13, registration_deadline = $14, reminder_hours = $15, party_max = $16,
			last_call_hours = $17, details = $18, sequence = sequence + $19, updated_at = now()
			WHERE id = $1`, append(append([]any{id}, a[1:]...), bump)...)
		if err != nil {
			return fmt.Errorf("events: update: %w", err)
		}
		return setTopics(ctx, tx, id, spec.Topics)
	})
	if err != nil {
		return nil, Change{}, err
	}
	e, err := getEvent(ctx, s.db, `SELECT `+eventColumns+` FROM events e WHERE e.id = $1`, id)
	return e, change, err
}

// Publish makes a draft event published, so invitations may go out.
// Publishing a published event changes nothing.
func (s *Store) Publish(ctx context.Context, slug string) (*Event, error) {
	var status Status
	err := s.db.GetContext(ctx, &status, `UPDATE events
		SET status = 'published', updated_at = CASE WHEN status = 'draft' THEN now() ELSE updated_at END
		WHERE slug = $1 AND status IN ('draft', 'published') RETURNING status`, slug)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.Get(ctx, slug); err != nil {
			return nil, err
		}
		return nil, ErrCancelled
	}
	if err != nil {
		return nil, fmt.Errorf("events: publish: %w", err)
	}
	return s.Get(ctx, slug)
}

// inTx runs fn in a transaction, again after a deadlock (see
// postgres.InTx).
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return postgres.InTx(ctx, s.db, fn)
}

// ByID returns the event with id, or ErrNotFound.
func (s *Store) ByID(ctx context.Context, id int64) (*Event, error) {
	return getEvent(ctx, s.db, `SELECT `+eventColumns+` FROM events e WHERE e.id = $1`, id)
}

// CancelEvent calls the event with slug off: it is cancelled and its
// SEQUENCE raised, so that calendars drop it when the cancellation
// arrives; reason (may be empty) is what its page says of why.
// Cancelling twice changes nothing and reports false.
func (s *Store) CancelEvent(ctx context.Context, slug, reason string) (*Event, bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE events SET status = 'cancelled', sequence = sequence + 1, updated_at = now(),
		details = CASE WHEN $2 = '' THEN details ELSE jsonb_set(details, '{cancel_reason}', to_jsonb($2::text)) END
		WHERE slug = $1 AND status <> 'cancelled'`, slug, strings.TrimSpace(reason))
	if err != nil {
		return nil, false, fmt.Errorf("events: cancel: %w", err)
	}
	n, _ := res.RowsAffected()
	e, err := s.Get(ctx, slug)
	return e, n == 1, err
}

// Name is how an event is named: its slug and its title.
type Name struct {
	Slug  string `db:"slug"`
	Title string `db:"title"`
}

// Names returns the names of the events with ids, by ID; IDs of events
// that do not exist are left out.
func (s *Store) Names(ctx context.Context, ids []int64) (map[int64]Name, error) {
	var rows []struct {
		ID int64 `db:"id"`
		Name
	}
	if len(ids) > 0 {
		if err := s.db.SelectContext(ctx, &rows, `SELECT id, slug, title FROM events WHERE id = ANY($1)`, pq.Int64Array(ids)); err != nil {
			return nil, fmt.Errorf("events: names: %w", err)
		}
	}
	names := make(map[int64]Name, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	return names, nil
}

func sameSessions(a, b []Session) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) {
			return false
		}
	}
	return true
}
