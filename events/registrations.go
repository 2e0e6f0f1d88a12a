package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

// The statuses of a registration.
const (
	// Requested: asked for on the public page, not yet confirmed by the
	// link mailed to the address; holds no place (see Store.Request).
	Requested  RegistrationStatus = "requested"
	Registered RegistrationStatus = "registered" // has places
	Waiting    RegistrationStatus = "waiting"    // on the waitlist
	Cancelled  RegistrationStatus = "cancelled"  // withdrew, or was withdrawn by staff
)

// RegistrationSource says who made a registration.
type RegistrationSource string

// The sources of a registration.
const (
	ByWeb   RegistrationSource = "web"   // the person, on the registration page
	ByStaff RegistrationSource = "staff" // staff, e.g. after a phone call
)

// Registration is one person's registration for an event.
type Registration struct {
	ID           int64              `db:"id" json:"id"`
	EventID      int64              `db:"event_id" json:"event_id"`
	SubscriberID int64              `db:"subscriber_id" json:"subscriber_id"`
	People       int                `db:"people" json:"people"`
	Status       RegistrationStatus `db:"status" json:"status"`
	Source       RegistrationSource `db:"source" json:"source"`
	CreatedAt    time.Time          `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time          `db:"updated_at" json:"updated_at"`
	WaitingSince *time.Time         `db:"waiting_since" json:"waiting_since,omitempty"`
	// Position is the place on the waitlist, from 1; 0 unless waiting.
	Position int `db:"position" json:"position,omitempty"`
	// Answers are the answers to the event's questions.
	Answers Answers `db:"answers" json:"answers,omitzero"`
	// AttendedAt is when staff marked the person as come (events attend).
	AttendedAt *time.Time `db:"attended_at" json:"attended_at,omitempty"`
}

// Active reports whether r holds places or waits for them.
func (r *Registration) Active() bool { return r.Status == Registered || r.Status == Waiting }

// Errors of registration.
var (
	// ErrClosed means the event takes no registrations (now): it has none,
	// is not published, is cancelled, or its deadline or start has passed.
	ErrClosed = errors.New("events: registration is closed")
	// ErrPartySize means more people than the event allows per
	// registration (Spec.MaxParty), or fewer than one.
	ErrPartySize = errors.New("events: too many people for one registration")
	// ErrNotRegistered means the person has no registration to cancel.
	ErrNotRegistered = errors.New("events: no registration")
)

// NoRoomError refuses a registered person more places than are free; their
// registration stays as it was.
type NoRoomError struct{ Free int }

func (e *NoRoomError) Error() string {
	return fmt.Sprintf("events: only %d more places are free", e.Free)
}

// Outcome is what a registration or cancellation did.
type Outcome struct {
	Registration *Registration
	// Changed is false when the registration was already as asked.
	Changed bool
	// AnswersChanged says the answers were changed (see Store.Enter).
	AnswersChanged bool
	// MovedUp are the people who left the waitlist for a freed place, in
	// order.
	MovedUp []*Registration
	// Mails are the registration mails now owed (to the person and to
	// those who moved up); queue their tasks after the change.
	Mails []int64
}

// finish ends a change of the registration of subscriberID for e: the
// places it freed go to the waitlist, out gets the registration as it is
// now, and the mails the change owes are queued.
func (out *Outcome) finish(ctx context.Context, tx *sqlx.Tx, e *Event, subscriberID int64, now time.Time) error {
	moved, err := moveUp(ctx, tx, e, now)
	if err != nil {
		return err
	}
	out.MovedUp = append(out.MovedUp, moved...)
	if out.Registration, err = registration(ctx, tx, e.ID, subscriberID); err != nil {
		return err
	}
	return out.queueMails(ctx, tx)
}

// queueMails records the mails out owes: one about the registration if it
// changed, and one to each person who moved up.
func (out *Outcome) queueMails(ctx context.Context, tx *sqlx.Tx) error {
	if out.Changed {
		kind := MailRegistered
		switch out.Registration.Status {
		case Waiting:
			kind = MailWaiting
		case Cancelled:
			kind = MailCancelled
		}
		id, err := queueMail(ctx, tx, out.Registration.ID, kind)
		if err != nil {
			return err
		}
		out.Mails = append(out.Mails, id)
	}
	for _, r := range out.MovedUp {
		if r.ID == out.Registration.ID {
			continue // moved up by its own change: the mail above says so
		}
		id, err := queueMail(ctx, tx, r.ID, MailMovedUp)
		if err != nil {
			return err
		}
		out.Mails = append(out.Mails, id)
	}
	return nil
}

// OpenFor says why event e takes no registrations at now, or nil.
func (e *Event) OpenFor(now time.Time) error {
	switch {
	case !e.Registration:
		return fmt.Errorf("%w: %s takes no registrations", ErrClosed, e.Slug)
	case e.Status != StatusPublished:
		return fmt.Errorf("%w: %s is %s", ErrClosed, e.Slug, e.Status)
	case e.Deadline != nil && !now.Before(*e.Deadline):
		return fmt.Errorf("%w: the deadline of %s has passed", ErrClosed, e.Slug)
	case !now.Before(e.Start):
		return fmt.Errorf("%w: %s has begun", ErrClosed, e.Slug)
	}
	return nil
}

// Register registers the subscriber with id for event eventID with people
// places, or changes their registration. Under a lock on the event, so
// that concurrent registrations never overbook:
//
//   - a new (or cancelled) registration gets places if they are free, and
//     goes on the end of the waitlist otherwise;
//   - a registered person who asks for more places gets them if they are
//     free, else a *NoRoomError and nothing changes; fewer places free
//     some for the waitlist;
//   - a waiting person keeps their place on the waitlist with the new
//     number, and moves up at once if that now fits.
//
// Staff (source ByStaff) may register after the deadline, but not for an
// event that has begun or is not published. now is when the request came,
// for the deadline; the change itself is recorded at the time the event's
// lock was won, so the waitlist is first come, first served in that order.
func (s *Store) Register(ctx context.Context, eventID, subscriberID int64, people int, source RegistrationSource, now time.Time) (*Outcome, error) {
	return s.Enter(ctx, Entry{EventID: eventID, SubscriberID: subscriberID, People: people, Source: source}, now)
}

// Entry is a registration as a person or staff ask for it.
type Entry struct {
	EventID, SubscriberID int64
	People                int
	// Answers replace the stored answers; nil keeps them.
	Answers *Answers
	Source  RegistrationSource
}

// Enter is Register with the answers to the event's questions: they are
// stored with the registration, also when the number of people stays
// (Outcome.Changed is then false, and no mail is owed). A request from
// the public page (Requested) is confirmed by it: it gets places or a
// place on the waitlist like a new registration.
func (s *Store) Enter(ctx context.Context, in Entry, now time.Time) (*Outcome, error) {
	eventID, subscriberID, people, source := in.EventID, in.SubscriberID, in.People, in.Source
	out := &Outcome{}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		*out = Outcome{}
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if err := openFor(e, source, now); err != nil {
			return err
		}
		if now, err = lockTime(ctx, tx, now); err != nil {
			return err
		}
		if people < 1 || people > e.MaxParty() {
			return fmt.Errorf("%w: %d people, at most %d", ErrPartySize, people, e.MaxParty())
		}
		// Places freed by a larger capacity go to the waitlist first, so
		// that nobody new passes someone who waits and fits.
		if out.MovedUp, err = moveUp(ctx, tx, e, now); err != nil {
			return err
		}
		old, err := registration(ctx, tx, eventID, subscriberID)
		if err != nil && !errors.Is(err, ErrNotRegistered) {
			return err
		}
		free, err := freePlaces(ctx, tx, e)
		if err != nil {
			return err
		}
		switch {
		case old != nil && old.Status == Registered:
			if old.People == people {
				break
			}
			if people > old.People && people-old.People > free {
				return &NoRoomError{Free: free}
			}
			err = setRegistration(ctx, tx, old.ID, people, Registered, source, now)
			out.Changed = true
		case old != nil && old.Status == Waiting:
			if old.People == people {
				break
			}
			err = setRegistration(ctx, tx, old.ID, people, Waiting, source, now)
			out.Changed = true
		default: // new, or back after cancelling
			status := Waiting
			if people <= free {
				status = Registered
			}
			out.Changed = true
			if old != nil {
				err = setRegistration(ctx, tx, old.ID, people, status, source, now)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO registrations (event_id, subscriber_id, people, status, source, created_at, updated_at, waiting_since)
					VALUES ($1, $2, $3, $4, $5, $6, $6, CASE WHEN $4 = 'waiting' THEN $6::timestamptz END)`,
					eventID, subscriberID, people, status, source, now)
			}
		}
		if err != nil {
			return fmt.Errorf("events: register: %w", err)
		}
		if in.Answers != nil {
			res, err := tx.ExecContext(ctx, `UPDATE registrations SET answers = $3, updated_at = $4
				WHERE event_id = $1 AND subscriber_id = $2 AND answers <> $3::jsonb`, eventID, subscriberID, *in.Answers, now)
			if err != nil {
				return fmt.Errorf("events: register: answers: %w", err)
			}
			n, _ := res.RowsAffected()
			out.AnswersChanged = n > 0
		}
		return out.finish(ctx, tx, e, subscriberID, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Cancel withdraws the registration of the subscriber with id for event
// eventID, and moves people up from the waitlist into the freed places.
// Cancelling twice changes nothing the second time.
func (s *Store) Cancel(ctx context.Context, eventID, subscriberID int64, now time.Time) (*Outcome, error) {
	out := &Outcome{}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		*out = Outcome{}
		e, err := lockEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if now, err = lockTime(ctx, tx, now); err != nil {
			return err
		}
		old, err := registration(ctx, tx, eventID, subscriberID)
		if err != nil {
			return err
		}
		if old.Status != Cancelled {
			// The answers go with the places: the children's names are
			// needed for the event, not for a cancellation.
			if _, err := tx.ExecContext(ctx, `UPDATE registrations SET status = 'cancelled', cancelled_at = $2, updated_at = $2,
				waiting_since = NULL, answers = '{}' WHERE id = $1`, old.ID, now); err != nil {
				return fmt.Errorf("events: cancel registration: %w", err)
			}
			out.Changed = true
		}
		return out.finish(ctx, tx, e, subscriberID, now)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Registrations returns the registrations of event eventID that hold
// places or wait for them: the registered ones first, by time, then the
// waitlist in order. Cancelled ones and unconfirmed requests are not
// among them.
func (s *Store) Registrations(ctx context.Context, eventID int64) ([]*Registration, error) {
	var rs []*Registration
	err := s.db.SelectContext(ctx, &rs, `SELECT `+registrationColumns+` FROM registrations r
		WHERE r.event_id = $1 AND r.status IN ('registered', 'waiting')
		ORDER BY r.status = 'waiting', r.waiting_since NULLS FIRST, r.created_at, r.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("events: registrations: %w", err)
	}
	return rs, nil
}

// Registration returns the registration of the subscriber with id for
// event eventID, or ErrNotRegistered.
func (s *Store) Registration(ctx context.Context, eventID, subscriberID int64) (*Registration, error) {
	var r Registration
	return registrationOf(&r, s.registration.Get(ctx, &r, eventID, subscriberID))
}

// Taken returns how many places of event eventID are taken, and how many
// people wait.
func (s *Store) Taken(ctx context.Context, eventID int64) (taken, waiting int, err error) {
	err = s.db.QueryRowxContext(ctx, `SELECT COALESCE(sum(people) FILTER (WHERE status = 'registered'), 0),
		COALESCE(sum(people) FILTER (WHERE status = 'waiting'), 0) FROM registrations WHERE event_id = $1`, eventID).Scan(&taken, &waiting)
	if err != nil {
		return 0, 0, fmt.Errorf("events: places taken: %w", err)
	}
	return taken, waiting, nil
}

// registrationColumns selects a registration r with its waitlist position.
const registrationColumns = `r.id, r.event_id, r.subscriber_id, r.people, r.status, r.source, r.created_at, r.updated_at,
	r.waiting_since, r.answers, r.attended_at, CASE WHEN r.status = 'waiting' THEN (SELECT count(*) FROM registrations w
		WHERE w.event_id = r.event_id AND w.status = 'waiting'
		  AND (w.waiting_since, w.id) <= (r.waiting_since, r.id)) ELSE 0 END AS position`

// registrationOfPerson selects the registration of person $2 for event $1.
const registrationOfPerson = `SELECT ` + registrationColumns + ` FROM registrations r WHERE r.event_id = $1 AND r.subscriber_id = $2`

func registration(ctx context.Context, q sqlx.QueryerContext, eventID, subscriberID int64) (*Registration, error) {
	var r Registration
	return registrationOf(&r, sqlx.GetContext(ctx, q, &r, registrationOfPerson, eventID, subscriberID))
}

// registrationOf is the registration r, read with error err.
func registrationOf(r *Registration, err error) (*Registration, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotRegistered
	}
	if err != nil {
		return nil, fmt.Errorf("events: registration: %w", err)
	}
	return r, nil
}

// lockEvent loads event id and locks its row until the transaction ends:
// every change of its registrations goes one after another.
func lockEvent(ctx context.Context, tx *sqlx.Tx, id int64) (*Event, error) {
	return getEvent(ctx, tx, `SELECT `+eventColumns+` FROM events e WHERE e.id = $1 FOR UPDATE`, id)
}

// lockTime is the time a change of registrations is recorded at, taken
// once the event's lock is held: the later of now (when the request came)
// and the database's clock. Taken before the lock, the waitlist would be
// in the order requests came, not the order they got their places: a
// request that came a moment earlier but won the lock later would pass
// people who had already been told their place.
func lockTime(ctx context.Context, tx *sqlx.Tx, now time.Time) (time.Time, error) {
	var t time.Time
	if err := tx.GetContext(ctx, &t, `SELECT greatest($1::timestamptz, clock_timestamp())`, now); err != nil {
		return now, fmt.Errorf("events: lock time: %w", err)
	}
	return t, nil
}

func openFor(e *Event, source RegistrationSource, now time.Time) error {
	err := e.OpenFor(now)
	if err != nil && source == ByStaff && e.Deadline != nil && !now.Before(*e.Deadline) {
		// Staff may take a late registration by phone; the rest holds.
		late := *e
		late.Deadline = nil
		return late.OpenFor(now)
	}
	return err
}

// freePlaces is how many places of e are free; a large number when it has
// no limit.
func freePlaces(ctx context.Context, tx *sqlx.Tx, e *Event) (int, error) {
	if e.Capacity <= 0 {
		return 1 << 30, nil
	}
	var taken int
	if err := tx.GetContext(ctx, &taken, `SELECT COALESCE(sum(people), 0) FROM registrations
		WHERE event_id = $1 AND status = 'registered'`, e.ID); err != nil {
		return 0, fmt.Errorf("events: places taken: %w", err)
	}
	return max(e.Capacity-taken, 0), nil
}

func setRegistration(ctx context.Context, tx *sqlx.Tx, id int64, people int, status RegistrationStatus, source RegistrationSource, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE registrations SET people = $2, status = $3, source = $4, updated_at = $5, cancelled_at = NULL,
		waiting_since = CASE WHEN $3 <> 'waiting' THEN NULL ELSE COALESCE(waiting_since, $5) END
		WHERE id = $1`, id, people, status, source, now)
	return err
}

// moveUp gives freed places to the waitlist in order: each waiting party
// that fits the places still free is registered; a party too large waits
// on, and the ones behind it that fit move past it.
func moveUp(ctx context.Context, tx *sqlx.Tx, e *Event, now time.Time) ([]*Registration, error) {
	free, err := freePlaces(ctx, tx, e)
	if err != nil || free == 0 {
		return nil, err
	}
	var waiting []*Registration
	if err := tx.SelectContext(ctx, &waiting, `SELECT `+registrationColumns+` FROM registrations r
		WHERE r.event_id = $1 AND r.status = 'waiting' ORDER BY r.waiting_since, r.id`, e.ID); err != nil {
		return nil, fmt.Errorf("events: waitlist: %w", err)
	}
	var moved []*Registration
	for _, w := range waiting {
		if w.People > free {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE registrations SET status = 'registered', waiting_since = NULL, updated_at = $2
			WHERE id = $1`, w.ID, now); err != nil {
			return nil, fmt.Errorf("events: move up: %w", err)
		}
		free -= w.People
		w.Status, w.Position, w.WaitingSince = Registered, 0, nil
		moved = append(moved, w)
		if free == 0 {
			break
		}
	}
	return moved, nil
}

// RegisteredSubscribers returns the IDs of the subscribers registered for
// event eventID, and with waiting those on its waitlist too; never those
// who cancelled.
func (s *Store) RegisteredSubscribers(ctx context.Context, eventID int64, waiting bool) ([]int64, error) {
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, `SELECT subscriber_id FROM registrations
		WHERE event_id = $1 AND (status = 'registered' OR ($2 AND status = 'waiting')) ORDER BY subscriber_id`, eventID, waiting); err != nil {
		return nil, fmt.Errorf("events: registered people: %w", err)
	}
	return ids, nil
}

// Withdraw cancels every open registration of the subscriber with id for
// events still to come, moving each waitlist up, before the person is
// deleted: deleting the rows alone would leave their places empty. The
// outcomes name the mails owed to those who moved up; the person
// themselves is owed none.
func (s *Store) Withdraw(ctx context.Context, subscriberID int64, now time.Time) ([]*Outcome, error) {
	var eventIDs []int64
	if err := s.db.SelectContext(ctx, &eventIDs, `SELECT r.event_id FROM registrations r JOIN events e ON e.id = r.event_id
		WHERE r.subscriber_id = $1 AND r.status <> 'cancelled' AND e.starts_at > $2 ORDER BY r.event_id`, subscriberID, now); err != nil {
		return nil, fmt.Errorf("events: registrations of subscriber: %w", err)
	}
	var outs []*Outcome
	for _, id := range eventIDs {
		out, err := s.Cancel(ctx, id, subscriberID, now)
		if err != nil {
			return outs, err
		}
		// The person is about to be deleted: no receipt for them.
		if out.Changed && len(out.Mails) > 0 {
			if _, err := s.db.ExecContext(ctx, `UPDATE registration_mails SET status = 'skipped', reply = 'subscriber erased', finished_at = now()
				WHERE id = $1 AND status = 'queued'`, out.Mails[0]); err != nil {
				return outs, fmt.Errorf("events: withdraw: %w", err)
			}
			out.Mails = out.Mails[1:]
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// PersonRegistration is one of a person's registrations, with its event:
// what "Meine Daten" and the preferences page show them.
type PersonRegistration struct {
	EventID    int64              `db:"event_id" json:"-"`
	EventSlug  string             `db:"slug" json:"event"`
	EventTitle string             `db:"title" json:"event_title"`
	Start      time.Time          `db:"starts_at" json:"starts_at"`
	People     int                `db:"people" json:"people"`
	Status     RegistrationStatus `db:"status" json:"status"`
	Source     RegistrationSource `db:"source" json:"source"`
	CreatedAt  time.Time          `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time          `db:"updated_at" json:"updated_at"`
	// Position is the place on the waitlist, from 1; 0 unless waiting.
	Position int     `db:"position" json:"position,omitempty"`
	Answers  Answers `db:"answers" json:"answers,omitzero"`
}

// RegistrationsOf returns every registration of the subscriber with id,
// cancelled ones included (they are data about the person too), by the
// start of their event.
func (s *Store) RegistrationsOf(ctx context.Context, subscriberID int64) ([]PersonRegistration, error) {
	var out []PersonRegistration
	err := s.db.SelectContext(ctx, &out, `SELECT r.event_id, e.slug, e.title, e.starts_at, r.people, r.status, r.source, r.created_at, r.updated_at, r.answers,
		CASE WHEN r.status = 'waiting' THEN (SELECT count(*) FROM registrations w
			WHERE w.event_id = r.event_id AND w.status = 'waiting' AND (w.waiting_since, w.id) <= (r.waiting_since, r.id)) ELSE 0 END AS position
		FROM registrations r JOIN events e ON e.id = r.event_id
		WHERE r.subscriber_id = $1 ORDER BY e.starts_at, e.id`, subscriberID)
	if err != nil {
		return nil, fmt.Errorf("events: registrations of a person: %w", err)
	}
	for i := range out {
		out[i].Start = out[i].Start.In(Berlin())
	}
	return out, nil
}
