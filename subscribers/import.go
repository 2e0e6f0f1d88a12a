package subscribers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// importLock serialises imports, so two staff importing overlapping lists
// at once cannot both add the same address.
const importLock int64 = 0x52424946 // "RBIF"

// ImportNote names one row of an import that needed a word to staff.
type ImportNote struct {
	Line   int
	Email  string
	Detail string // e.g. the topics added, or why the row was left alone
}

// MailRef identifies an open subscription mail, for queueing its task.
type MailRef struct {
	ID           int64    `db:"id"`
	SubscriberID int64    `db:"subscriber_id"`
	Kind         MailKind `db:"kind"`
}

// ImportReport says what an import did, or would do in a dry run.
type ImportReport struct {
	Added      int          // new subscribers
	Updated    []ImportNote // already on the list; topics or empty fields added
	Unchanged  int          // already on the list with everything the file says
	Suppressed []ImportNote // on the suppression list; not imported
	Withdrawn  []ImportNote // on the list but unsubscribed or bounced; left alone
	// OptIns are the opt-in mails queued for the new pending subscribers.
	OptIns []MailRef
}

// Import stores the rows of an import file in one transaction: new
// addresses are added (pending with an opt-in mail queued, or confirmed if
// c.Confirmed), addresses already on the list get the file's topics and any
// name or organisation they lack, and addresses on the suppression list or
// withdrawn (unsubscribed, bounced) are left alone and reported. Importing
// the same file twice changes nothing the second time.
//
// With dryRun, Import works out the same report and then rolls back.
func (s *Store) Import(ctx context.Context, rows []ImportRow, c Consent, dryRun bool) (*ImportReport, error) {
	if c.Source == "" {
		c.Source = SourceImport
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	rep := &ImportReport{}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		*rep = ImportReport{}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, importLock); err != nil {
			return fmt.Errorf("subscribers: import lock: %w", err)
		}
		fresh, merges, err := s.sortRows(ctx, tx, rows, rep)
		if err != nil {
			return err
		}
		if err := addImported(ctx, tx, fresh, c, rep); err != nil {
			return err
		}
		if err := mergeImported(ctx, tx, merges, c); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if err == errDryRun {
		rep.OptIns = nil // rolled back: nothing to send
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// errDryRun rolls back a dry-run import.
var errDryRun = fmt.Errorf("subscribers: dry run")

// existing is what Import needs to know of a subscriber already stored.
type existing struct {
	ID           int64          `db:"id"`
	EmailKey     string         `db:"email_key"`
	Name         string         `db:"name"`
	Organisation string         `db:"organisation"`
	Status       Status         `db:"status"`
	Topics       pq.StringArray `db:"topics"`
}

// merge is an update to an existing subscriber.
type merge struct {
	id        int64
	name, org string
	addTopics []string
	notes     string // for the report
}

// sortRows splits rows into new subscribers and updates to existing ones,
// and reports the suppressed, withdrawn and unchanged.
func (s *Store) sortRows(ctx context.Context, tx *sqlx.Tx, rows []ImportRow, rep *ImportReport) ([]ImportRow, []merge, error) {
	keys := make([]string, len(rows))
	hashes := make([][]byte, len(rows))
	for i, r := range rows {
		keys[i] = EmailKey(r.Email)
		hashes[i] = s.keys.AddressHash(r.Email)
	}
	var stored []existing
	err := tx.SelectContext(ctx, &stored, `SELECT s.id, s.email_key, s.name, s.organisation, s.status,
		ARRAY(SELECT t.topic FROM subscriber_topics t WHERE t.subscriber_id = s.id) AS topics
		FROM subscribers s WHERE s.email_key = ANY($1)`, pq.StringArray(keys))
	if err != nil {
		return nil, nil, fmt.Errorf("subscribers: import: look up addresses: %w", err)
	}
	byKey := make(map[string]*existing, len(stored))
	for i := range stored {
		byKey[stored[i].EmailKey] = &stored[i]
	}
	var blocked [][]byte
	if err := tx.SelectContext(ctx, &blocked, `SELECT address_hash FROM suppressions WHERE address_hash = ANY($1)`,
		pq.ByteaArray(hashes)); err != nil {
		return nil, nil, fmt.Errorf("subscribers: import: suppression list: %w", err)
	}
	isBlocked := make(map[string]bool, len(blocked))
	for _, h := range blocked {
		isBlocked[string(h)] = true
	}

	var fresh []ImportRow
	var merges []merge
	for i, r := range rows {
		ex, known := byKey[keys[i]]
		switch {
		case known && (ex.Status == StatusUnsubscribed || ex.Status == StatusBounced):
			rep.Withdrawn = append(rep.Withdrawn, ImportNote{Line: r.Line, Email: r.Email, Detail: ex.Status.Label()})
		case isBlocked[string(hashes[i])]:
			rep.Suppressed = append(rep.Suppressed, ImportNote{Line: r.Line, Email: r.Email})
		case !known:
			fresh = append(fresh, r)
		default:
			if m, changed := mergeInto(ex, r); changed {
				merges = append(merges, m)
				rep.Updated = append(rep.Updated, ImportNote{Line: r.Line, Email: r.Email, Detail: m.notes})
			} else {
				rep.Unchanged++
			}
		}
	}
	return fresh, merges, nil
}

// mergeInto works out what row r adds to the stored subscriber ex.
func mergeInto(ex *existing, r ImportRow) (merge, bool) {
	m := merge{id: ex.ID, name: ex.Name, org: ex.Organisation}
	var notes []string
	if ex.Name == "" && r.Name != "" {
		m.name = r.Name
		notes = append(notes, "Name ergänzt")
	}
	if ex.Organisation == "" && r.Organisation != "" {
		m.org = r.Organisation
		notes = append(notes, "Organisation ergänzt")
	}
	for _, t := range r.Topics {
		if !slices.Contains(ex.Topics, t) {
			m.addTopics = append(m.addTopics, t)
		}
	}
	if len(m.addTopics) > 0 {
		notes = append(notes, "Themen +"+strings.Join(m.addTopics, ", +"))
	}
	m.notes = strings.Join(notes, "; ")
	return m, len(notes) > 0
}

// addImported adds new subscribers in bulk: COPY into a staging table, then
// set-based inserts into subscribers, topics, consent log and mails.
func addImported(ctx context.Context, tx *sqlx.Tx, rows []ImportRow, c Consent, rep *ImportReport) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_new (
		line int, email text, name text, organisation text, kind text, language text, topics text
	) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	err := copyRows(ctx, tx, `COPY import_new (line, email, name, organisation, kind, language, topics) FROM STDIN`,
		len(rows), func(i int) []any {
			r := rows[i]
			return []any{r.Line, r.Email, r.Name, r.Organisation, string(r.Kind), string(r.Language), strings.Join(r.Topics, "|")}
		})
	if err != nil {
		return err
	}
	status := StatusPending
	if c.Confirmed {
		status = StatusConfirmed
	}
	type step struct {
		sql  string
		args []any
	}
	steps := []step{
		{`CREATE TEMP TABLE import_added ON COMMIT DROP AS
		  WITH added AS (
			INSERT INTO subscribers (email, name, organisation, kind, language, status, confirmed_at)
			SELECT email, name, organisation, kind, language, $1::text,
			       CASE WHEN $1::text = 'confirmed' THEN now() END
			FROM import_new ORDER BY line
			ON CONFLICT (email_key) DO NOTHING
			RETURNING id, email_key)
		  SELECT * FROM added`, []any{status}},
		{`INSERT INTO subscriber_topics (subscriber_id, topic)
		  SELECT a.id, unnest(string_to_array(n.topics, '|'))
		  FROM import_new n JOIN import_added a ON a.email_key = lower(n.email)
		  WHERE n.topics <> ''`, nil},
		{`INSERT INTO consent_log (subscriber_id, action, source, note, wording_version)
		  SELECT id, 'subscribed', $1, $2, $3 FROM import_added`, []any{c.Source, c.Note, c.WordingVersion}},
	}
	if c.Confirmed {
		steps = append(steps, step{`INSERT INTO consent_log (subscriber_id, action, source, note, wording_version)
		  SELECT id, 'confirmed', $1, $2, $3 FROM import_added`, []any{c.Source, c.Note, c.WordingVersion}})
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("subscribers: import: %w", err)
		}
	}
	if err := tx.GetContext(ctx, &rep.Added, `SELECT count(*) FROM import_added`); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	if c.Confirmed {
		return nil
	}
	err = tx.SelectContext(ctx, &rep.OptIns, `INSERT INTO subscription_mails (subscriber_id, kind)
		SELECT id, 'optin' FROM import_added ORDER BY id
		RETURNING id, subscriber_id, kind`)
	if err != nil {
		return fmt.Errorf("subscribers: import: queue opt-in mails: %w", err)
	}
	return nil
}

// mergeImported applies updates to subscribers already on the list and notes
// topic changes in their consent log.
func mergeImported(ctx context.Context, tx *sqlx.Tx, merges []merge, c Consent) error {
	if len(merges) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_merge (
		id bigint, name text, organisation text, topics text
	) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	err := copyRows(ctx, tx, `COPY import_merge (id, name, organisation, topics) FROM STDIN`,
		len(merges), func(i int) []any {
			m := merges[i]
			return []any{m.id, m.name, m.org, strings.Join(m.addTopics, "|")}
		})
	if err != nil {
		return err
	}
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE subscribers s SET name = m.name, organisation = m.organisation, updated_at = now()
		 FROM import_merge m WHERE s.id = m.id AND (s.name <> m.name OR s.organisation <> m.organisation)`, nil},
		{`INSERT INTO subscriber_topics (subscriber_id, topic)
		 SELECT id, unnest(string_to_array(topics, '|')) FROM import_merge WHERE topics <> ''
		 ON CONFLICT DO NOTHING`, nil},
		{`INSERT INTO consent_log (subscriber_id, action, source, note)
		 SELECT id, 'topics_changed', $1, 'Themen hinzugefügt: ' || replace(topics, '|', ', ')
		 FROM import_merge WHERE topics <> ''`, []any{c.Source}},
	} {
		if _, err := tx.ExecContext(ctx, step.sql, step.args...); err != nil {
			return fmt.Errorf("subscribers: import: merge: %w", err)
		}
	}
	return nil
}

// copyRows streams n rows into a table with COPY ... FROM STDIN, the bulk
// path of lib/pq: one prepared COPY statement, one Exec per row, and a final
// Exec without arguments.
func copyRows(ctx context.Context, tx *sqlx.Tx, copySQL string, n int, row func(i int) []any) error {
	stmt, err := tx.PrepareContext(ctx, copySQL)
	if err != nil {
		return fmt.Errorf("subscribers: import: copy: %w", err)
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("subscribers: import: copy: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("subscribers: import: copy: %w", err)
	}
	return nil
}
