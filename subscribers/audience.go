package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// TopicAllEvents is the topic a subscriber chooses to hear of every event
// for their kind ("Alle Veranstaltungen"): an audience about an event
// (Audience.Event) reaches them whatever the event's own topics are. A
// newsletter that names it reaches them like any other topic.
const TopicAllEvents = "veranstaltungen"

// Audience is who a mailing reaches: confirmed subscribers whose kind is in
// Kinds and who share at least one topic with Topics. An empty list means
// all kinds, or all topics. An audience about an event (Event) also
// reaches, among those kinds, everyone who chose TopicAllEvents.
type Audience struct {
	Kinds  []Kind   `json:"kinds"`
	Topics []string `json:"topics"`
	Event  bool     `json:"event,omitempty"`
}

// matchTopics are the topics a subscriber must share one of to be
// reached: Topics, and TopicAllEvents for an audience about an event that
// names topics at all.
func (a Audience) matchTopics() []string {
	if !a.Event || len(a.Topics) == 0 || slices.Contains(a.Topics, TopicAllEvents) {
		return orEmpty(a.Topics)
	}
	return append(slices.Clone(a.Topics), TopicAllEvents)
}

// Match is a subscriber an audience reaches, and why.
type Match struct {
	SubscriberID int64
	Email        string
	Kind         Kind
	// Topics are the audience's topics the subscriber chose (with
	// TopicAllEvents for an audience about an event); empty when the
	// audience names no topics.
	Topics []string
}

// EachMatch calls fn for every confirmed subscriber a reaches who is not on
// the suppression list, in the order of their IDs. It stops at fn's first
// error and returns it.
func (s *Store) EachMatch(ctx context.Context, a Audience, fn func(Match) error) error {
	_, _, err := s.EachMatchAfter(ctx, a, 0, 0, fn)
	return err
}

// EachMatchAfter is EachMatch for the subscribers a reaches whose IDs are
// above after, and only the first limit of them (0: all), those on the
// suppression list counted too. It returns the last ID it read, and more
// when it read limit of them: there may be more after it.
func (s *Store) EachMatchAfter(ctx context.Context, a Audience, after int64, limit int, fn func(Match) error) (last int64, more bool, err error) {
	suppressed, err := s.suppressedHashes(ctx)
	if err != nil {
		return 0, false, err
	}
	kinds := make([]string, len(a.Kinds))
	for i, k := range a.Kinds {
		kinds[i] = string(k)
	}
	topics := a.matchTopics()
	var rows *sqlx.Rows
	if len(topics) == 0 {
		rows, err = s.db.QueryxContext(ctx, audienceSQL, pq.StringArray(kinds), after, nullLimit(limit))
	} else {
		// A subscriber has a row for each of their topics the audience
		// names: limit subscribers have at most limit × len(topics)
		// rows, and one row more says the last of them is whole.
		rowLimit := 0
		if limit > 0 {
			rowLimit = limit*len(topics) + 1
		}
		rows, err = s.db.QueryxContext(ctx, audienceTopicsSQL, pq.StringArray(kinds), pq.StringArray(topics), after, nullLimit(rowLimit))
	}
	if err != nil {
		return 0, false, fmt.Errorf("subscribers: audience: %w", err)
	}
	defer rows.Close()
	var (
		m    Match // the subscriber being read
		have bool  // m holds a subscriber
		read int   // subscribers read before m
	)
	send := func(m Match) error {
		last, read = m.SubscriberID, read+1
		if len(suppressed) > 0 {
			if _, ok := suppressed[string(s.keys.AddressHash(m.Email))]; ok {
				return nil
			}
		}
		slices.Sort(m.Topics)
		return fn(m)
	}
	for rows.Next() {
		var (
			r     Match
			topic string
		)
		dest := []any{&r.SubscriberID, &r.Email, &r.Kind}
		if len(topics) > 0 {
			dest = append(dest, &topic)
		}
		if err := rows.Scan(dest...); err != nil {
			return 0, false, fmt.Errorf("subscribers: audience: %w", err)
		}
		if have && r.SubscriberID == m.SubscriberID {
			m.Topics = append(m.Topics, topic)
			continue
		}
		if have {
			if err := send(m); err != nil {
				return 0, false, err
			}
			if read == limit {
				return last, true, nil
			}
		}
		m, have = r, true
		m.Topics = []string{}
		if len(topics) > 0 {
			m.Topics = append(m.Topics, topic)
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("subscribers: audience: %w", err)
	}
	if have {
		if err := send(m); err != nil {
			return 0, false, err
		}
	}
	return last, limit > 0 && read == limit, nil
}

// audienceSQL reads the subscribers of an audience without topics: $1 the
// kinds (none: all), above ID $2, the first $3 (NULL: all).
const audienceSQL = `SELECT s.id, s.email, s.kind
	FROM subscribers s
	WHERE s.status = 'confirmed' AND (cardinality($1::text[]) = 0 OR s.kind = ANY ($1::text[])) AND s.id > $2
	ORDER BY s.id
	LIMIT $3`

// audienceTopicsSQL reads the subscribers of an audience with topics $2, a
// row for each of their topics among $2, in the order of their IDs. An
// aggregate of each subscriber's topics cost PostgreSQL three times as
// much (cmd/rundbrief-bench, 100,000 subscribers: 105 against 322 ms).
const audienceTopicsSQL = `SELECT s.id, s.email, s.kind, t.topic
	FROM subscribers s
	JOIN subscriber_topics t ON t.subscriber_id = s.id AND t.topic = ANY ($2::text[])
	WHERE s.status = 'confirmed' AND (cardinality($1::text[]) = 0 OR s.kind = ANY ($1::text[])) AND s.id > $3
	ORDER BY s.id
	LIMIT $4`

// nullLimit is limit as a LIMIT: NULL for 0 (all).
func nullLimit(limit int) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(limit), Valid: limit > 0}
}

// CheckAudience returns a with its kinds and topics checked, sorted and
// without repeats, or an error wrapping ErrUnknownTopic that names the
// first unknown topic.
func (s *Store) CheckAudience(ctx context.Context, a Audience) (Audience, error) {
	known, err := s.Topics(ctx)
	if err != nil {
		return a, err
	}
	out := Audience{Kinds: []Kind{}, Topics: []string{}, Event: a.Event}
	for _, k := range a.Kinds {
		kind, err := ParseKind(string(k))
		if err != nil {
			return a, err
		}
		if !slices.Contains(out.Kinds, kind) {
			out.Kinds = append(out.Kinds, kind)
		}
	}
	for _, t := range a.Topics {
		if !slices.ContainsFunc(known, func(k Topic) bool { return k.Slug == t }) {
			return a, fmt.Errorf("%w %q", ErrUnknownTopic, t)
		}
		if !slices.Contains(out.Topics, t) {
			out.Topics = append(out.Topics, t)
		}
	}
	slices.Sort(out.Kinds)
	slices.Sort(out.Topics)
	return out, nil
}

func (s *Store) suppressedHashes(ctx context.Context) (map[string]struct{}, error) {
	var hashes [][]byte
	if err := s.db.SelectContext(ctx, &hashes, `SELECT address_hash FROM suppressions`); err != nil {
		return nil, fmt.Errorf("subscribers: suppression list: %w", err)
	}
	set := make(map[string]struct{}, len(hashes))
	for _, h := range hashes {
		set[string(h)] = struct{}{}
	}
	return set, nil
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// Contact is what a mail to a subscriber needs, read as the mail is sent.
type Contact struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
	Org   string `db:"organisation"`
	Phone string `db:"phone"`
	// Salutation is the Anrede, for a formal greeting.
	Salutation Salutation `db:"salutation"`
	Kind       Kind       `db:"kind"`
	Language   i18n.Lang  `db:"language"`
	Status     Status     `db:"status"`
	// Suppressed says the address is on the suppression list.
	Suppressed bool `db:"-"`
}

const contactsSQL = `SELECT id, coalesce(email, '') AS email, name, organisation, phone, salutation, kind, language, status
	FROM subscribers WHERE id = ANY ($1)`

// Contacts returns the subscribers with the given IDs that still exist,
// keyed by ID, with their suppression marked.
func (s *Store) Contacts(ctx context.Context, ids []int64) (map[int64]*Contact, error) {
	var cs []*Contact
	if err := s.contacts.Select(ctx, &cs, pq.Int64Array(ids)); err != nil {
		return nil, fmt.Errorf("subscribers: contacts: %w", err)
	}
	hashes := make([][]byte, len(cs))
	byHash := make(map[string]*Contact, len(cs))
	out := make(map[int64]*Contact, len(cs))
	for i, c := range cs {
		hashes[i] = s.keys.AddressHash(c.Email)
		byHash[string(hashes[i])] = c
		out[c.ID] = c
	}
	var found [][]byte
	if err := s.suppressed.Select(ctx, &found, pq.ByteaArray(hashes)); err != nil {
		return nil, fmt.Errorf("subscribers: suppression list: %w", err)
	}
	for _, h := range found {
		if c := byHash[string(h)]; c != nil {
			c.Suppressed = true
		}
	}
	return out, nil
}

// Bounce records that the receiving server refused the address of the
// subscriber with id for good: the subscriber is marked bounced, the
// address goes on the suppression list with the reply's codes, and the
// consent log notes reply.
func (s *Store) Bounce(ctx context.Context, id int64, reply string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.bounce(ctx, tx, id, reply) })
}

func (s *Store) bounce(ctx context.Context, tx *sqlx.Tx, id int64, reply string) error {
	var email string
	err := tx.GetContext(ctx, &email, `UPDATE subscribers SET status = 'bounced', bounced_at = now(), updated_at = now()
		WHERE id = $1 RETURNING email`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("subscribers: mark bounced: %w", err)
	}
	if err := addSuppression(ctx, tx, s.keys.AddressHash(email), SuppressedBounce, replyCodesOf(reply)); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO consent_log (subscriber_id, action, source, note)
		VALUES ($1, $2, $3, $4)`, id, ActionBounced, SourceSystem, truncate(reply, MaxNoteLength))
	if err != nil {
		return fmt.Errorf("subscribers: consent log: %w", err)
	}
	return nil
}

// EachAmong calls fn for each of the subscribers with the given IDs who
// may still be mailed about something they asked for (an event they
// registered for): any status but bounced, not suppressed, and with an
// address (a contact staff registered may have none). Their topics are
// left empty.
func (s *Store) EachAmong(ctx context.Context, ids []int64, fn func(Match) error) error {
	cs, err := s.Contacts(ctx, ids)
	if err != nil {
		return err
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for _, id := range slices.Compact(sorted) {
		c := cs[id]
		if c == nil || c.Suppressed || c.Status == StatusBounced || c.Email == "" {
			continue
		}
		if err := fn(Match{SubscriberID: c.ID, Email: c.Email, Kind: c.Kind, Topics: []string{}}); err != nil {
			return err
		}
	}
	return nil
}

// Kinds returns the kind of each of the subscribers ids that still
// exists, as the events package counts them in an event's report
// (events.KindsOf).
func (s *Store) Kinds(ctx context.Context, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ID   int64  `db:"id"`
		Kind string `db:"kind"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, kind FROM subscribers WHERE id = ANY ($1)`, pq.Int64Array(ids)); err != nil {
		return nil, fmt.Errorf("subscribers: kinds: %w", err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Kind
	}
	return out, nil
}
