package subscribers

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// importLock serialises imports, so two staff importing overlapping lists
// at once cannot both add the same address.
const importLock int64 = 0x52424946 // "RBIF"

// MaxListed is how many rows of each kind an ImportReport names; it counts
// the rest.
const MaxListed = 1000

// RowSource yields the rows of an import one at a time; io.EOF ends them.
// An ImportReader is one; RowsOf makes one of rows in memory.
type RowSource interface {
	Next() (ImportRow, error)
}

// ImportNote names one row of an import that needed a word to staff.
type ImportNote struct {
	Line      int
	Email     string
	FirstLine int // for a duplicate: the line the address came first
	// Status, for an address left alone, is why: unsubscribed or bounced.
	Status Status
	// For a known subscriber the import added to: what it added.
	NameAdded, OrganisationAdded bool
	TopicsAdded                  []string
}

// Notes are the rows of one kind in an import: how many, and the first
// MaxListed of them in file order.
type Notes struct {
	Total  int
	Listed []ImportNote
}

// MailRef identifies an open subscription mail, for queueing its task.
type MailRef struct {
	ID           int64    `db:"id"`
	SubscriberID int64    `db:"subscriber_id"`
	Kind         MailKind `db:"kind"`
}

// MailRange is the mails an import queued: Count opt-in mails with IDs
// from First to Last (see QueuedOptIns).
type MailRange struct {
	Count int   `db:"count"`
	First int64 `db:"first"`
	Last  int64 `db:"last"`
}

// ImportReport says what an import did, or would do in a dry run.
type ImportReport struct {
	Rows      int // valid rows read, duplicates included
	Added     int // new subscribers
	Updated   Notes
	Unchanged int // already on the list with everything the file says
	// Duplicates are rows whose address came earlier in the file: their
	// topics, and a name or organisation the first row lacked, went into
	// the first.
	Duplicates Notes
	Suppressed Notes // on the suppression list; not imported
	Withdrawn  Notes // on the list but unsubscribed or bounced; left alone
	// OptIns are the opt-in mails queued for the new pending subscribers.
	OptIns MailRange
}

// Import stores the rows of an import in one transaction, as they come:
// each row goes into a temporary table (COPY), and the rest is done by
// PostgreSQL in a few statements, so an import of two million rows needs
// no more memory here than one of ten. Then, all or nothing:
//
//   - rows of one address (in any case or spelling) become one, with the
//     kind and language of the first, the first name and organisation
//     given, and the topics of all;
//   - new addresses are added, pending with an opt-in mail queued, or
//     confirmed if c.Confirmed;
//   - addresses already on the list get the file's topics and a name or
//     organisation they lack;
//   - addresses on the suppression list or withdrawn (unsubscribed,
//     bounced) are left alone and reported.
//
// Importing the same file twice changes nothing the second time. If rows
// ends with an error (ErrInvalidRows, a file too large), nothing is
// stored. With dryRun, Import works out the same report and rolls back.
func (s *Store) Import(ctx context.Context, rows RowSource, c Consent, dryRun bool) (*ImportReport, error) {
	if c.Source == "" {
		c.Source = SourceImport
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	var rep *ImportReport
	copied := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if copied {
			// The rows were read by a first attempt that PostgreSQL broke
			// off; they cannot be read again.
			return errors.New("subscribers: import: the transaction was broken off; import the file again")
		}
		copied = true
		rep = &ImportReport{}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, importLock); err != nil {
			return fmt.Errorf("subscribers: import lock: %w", err)
		}
		var err error
		if rep.Rows, err = s.copyImportRows(ctx, tx, rows); err != nil {
			return err
		}
		if err := mergeDuplicates(ctx, tx, rep); err != nil {
			return err
		}
		if err := sortImportRows(ctx, tx, rep); err != nil {
			return err
		}
		if err := addImported(ctx, tx, rep, c.Confirmed); err != nil {
			return err
		}
		if err := mergeImported(ctx, tx, rep); err != nil {
			return err
		}
		if err := logImport(ctx, tx, c, rep); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		rep.OptIns = MailRange{} // rolled back: nothing to send
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// errDryRun rolls back a dry-run import.
var errDryRun = errors.New("subscribers: dry run")

// copyImportRows streams rows into the temporary table import_rows with
// COPY (lib/pq's bulk path: one prepared COPY statement, one Exec per
// row, a final Exec without arguments) and returns how many there were.
func (s *Store) copyImportRows(ctx context.Context, tx *sqlx.Tx, rows RowSource) (int, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_rows (
		line int NOT NULL, email text NOT NULL, email_key text NOT NULL, address_hash text NOT NULL,
		name text NOT NULL, organisation text NOT NULL, kind text NOT NULL, language text NOT NULL, topics text NOT NULL,
		salutation text NOT NULL, phone text NOT NULL, note text NOT NULL
	) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("subscribers: import: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, `COPY import_rows (line, email, email_key, address_hash, name, organisation, kind, language, topics, salutation, phone, note) FROM STDIN`)
	if err != nil {
		return 0, fmt.Errorf("subscribers: import: copy: %w", err)
	}
	defer stmt.Close()
	n := 0
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		n++
		if _, err := stmt.ExecContext(ctx, r.Line, r.Email, EmailKey(r.Email), hex.EncodeToString(s.keys.AddressHash(r.Email)),
			r.Name, r.Organisation, string(r.Kind), string(r.Language), strings.Join(r.Topics, "|"),
			string(r.Salutation), r.Phone, r.Note); err != nil {
			return n, fmt.Errorf("subscribers: import: copy: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return n, fmt.Errorf("subscribers: import: copy: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE import_rows`); err != nil {
		return n, fmt.Errorf("subscribers: import: %w", err)
	}
	return n, nil
}

// execAll runs statements in order.
func execAll(ctx context.Context, tx *sqlx.Tx, what string, stmts ...string) error {
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("subscribers: import: %s: %w", what, err)
		}
	}
	return nil
}

// mergeDuplicates makes import_new, one row per address: the first row of
// each, with the topics of the later ones added and a name or organisation
// the first lacked taken from the first later row that has one. The later
// rows are reported as duplicates.
func mergeDuplicates(ctx context.Context, tx *sqlx.Tx, rep *ImportReport) error {
	err := execAll(ctx, tx, "merge duplicates",
		`CREATE TEMP TABLE import_new ON COMMIT DROP AS
		 SELECT DISTINCT ON (email_key) line, email, email_key, decode(address_hash, 'hex') AS address_hash,
		        name, organisation, kind, language, topics, salutation, phone, note
		 FROM import_rows ORDER BY email_key, line`,
		`CREATE TEMP TABLE import_dups ON COMMIT DROP AS
		 SELECT r.*, n.line AS first_line FROM import_rows r JOIN import_new n USING (email_key) WHERE r.line <> n.line`,
		`UPDATE import_new n SET name = d.name FROM (
		   SELECT DISTINCT ON (email_key) email_key, name FROM import_dups WHERE name <> '' ORDER BY email_key, line) d
		 WHERE n.email_key = d.email_key AND n.name = ''`,
		`UPDATE import_new n SET organisation = d.organisation FROM (
		   SELECT DISTINCT ON (email_key) email_key, organisation FROM import_dups WHERE organisation <> '' ORDER BY email_key, line) d
		 WHERE n.email_key = d.email_key AND n.organisation = ''`,
		// The topics of all rows, each once, in the order they came.
		`UPDATE import_new n SET topics = array_to_string(ARRAY(
		   SELECT t FROM unnest(string_to_array(n.topics || '|' || d.topics, '|')) WITH ORDINALITY AS u (t, i)
		   WHERE t <> '' GROUP BY t ORDER BY min(i)), '|')
		 FROM (SELECT email_key, string_agg(topics, '|' ORDER BY line) AS topics FROM import_dups GROUP BY email_key) d
		 WHERE n.email_key = d.email_key`,
		`ANALYZE import_new`)
	if err != nil {
		return err
	}
	rep.Duplicates, err = listNotes(ctx, tx, `SELECT line, email, '' AS status, first_line FROM import_dups`)
	return err
}

// sortImportRows classifies each address of import_new in import_class:
// withdrawn (on the list, but unsubscribed or bounced), suppressed, new,
// or known.
func sortImportRows(ctx context.Context, tx *sqlx.Tx, rep *ImportReport) error {
	err := execAll(ctx, tx, "look up addresses",
		`CREATE TEMP TABLE import_class ON COMMIT DROP AS
		 SELECT n.*, s.id AS sub_id, coalesce(s.status, '') AS status, coalesce(s.name, '') AS cur_name,
		        coalesce(s.organisation, '') AS cur_org,
		        CASE WHEN s.status IN ('unsubscribed', 'bounced') THEN 'withdrawn'
		             WHEN x.address_hash IS NOT NULL THEN 'suppressed'
		             WHEN s.id IS NULL THEN 'new'
		             WHEN s.status = 'contact' THEN 'contact'
		             ELSE 'known' END AS fate
		 FROM import_new n
		 LEFT JOIN subscribers s ON s.email_key = n.email_key
		 LEFT JOIN suppressions x ON x.address_hash = n.address_hash`,
		`ANALYZE import_class`)
	if err != nil {
		return err
	}
	if rep.Withdrawn, err = listNotes(ctx, tx, `SELECT line, email, status, 0 AS first_line FROM import_class WHERE fate = 'withdrawn'`); err != nil {
		return err
	}
	rep.Suppressed, err = listNotes(ctx, tx, `SELECT line, email, '' AS status, 0 AS first_line FROM import_class WHERE fate = 'suppressed'`)
	return err
}

// listNotes counts the rows of query (line, email, status, first_line)
// and lists the first MaxListed by line.
func listNotes(ctx context.Context, tx *sqlx.Tx, query string) (Notes, error) {
	var out Notes
	if err := tx.GetContext(ctx, &out.Total, `SELECT count(*) FROM (`+query+`) q`); err != nil {
		return out, fmt.Errorf("subscribers: import: %w", err)
	}
	var rows []struct {
		Line      int    `db:"line"`
		Email     string `db:"email"`
		Status    string `db:"status"`
		FirstLine int    `db:"first_line"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT * FROM (`+query+`) q ORDER BY line LIMIT $1`, MaxListed); err != nil {
		return out, fmt.Errorf("subscribers: import: %w", err)
	}
	for _, r := range rows {
		out.Listed = append(out.Listed, ImportNote{Line: r.Line, Email: r.Email, Status: Status(r.Status), FirstLine: r.FirstLine})
	}
	return out, nil
}

// addImported adds the new addresses, set-based, with their topics:
// pending, or confirmed when staff attest the consent. The consent log and
// the opt-in mails follow in logImport.
func addImported(ctx context.Context, tx *sqlx.Tx, rep *ImportReport, confirmed bool) error {
	status := StatusPending
	if confirmed {
		status = StatusConfirmed
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_added ON COMMIT DROP AS
		 WITH added AS (
			INSERT INTO subscribers (email, name, organisation, kind, language, status, confirmed_at, salutation, phone, note)
			SELECT email, name, organisation, kind, language, $1::text, CASE WHEN $1::text = 'confirmed' THEN now() END,
			       salutation, phone, note
			FROM import_class WHERE fate = 'new' ORDER BY line
			ON CONFLICT (email_key) DO NOTHING
			RETURNING id, email_key)
		 SELECT * FROM added`, status); err != nil {
		return fmt.Errorf("subscribers: import: add: %w", err)
	}
	// A contact known from a registration (StatusContact) whom the file
	// lists becomes a subscriber like a new address: the registrations
	// stay, and the consent and the opt-in follow as for the new ones.
	if _, err := tx.ExecContext(ctx, `WITH upgraded AS (
			UPDATE subscribers s SET status = $1::text, confirmed_at = CASE WHEN $1::text = 'confirmed' THEN now() END,
			       name = CASE WHEN s.name = '' THEN c.name ELSE s.name END,
			       organisation = CASE WHEN s.organisation = '' THEN c.organisation ELSE s.organisation END,
			       kind = c.kind, language = c.language, updated_at = now()
			FROM import_class c WHERE c.fate = 'contact' AND s.id = c.sub_id AND s.status = 'contact'
			RETURNING s.id, c.email_key)
		INSERT INTO import_added SELECT * FROM upgraded`, status); err != nil {
		return fmt.Errorf("subscribers: import: add contacts: %w", err)
	}
	err := execAll(ctx, tx, "add",
		`INSERT INTO subscriber_topics (subscriber_id, topic)
		 SELECT a.id, unnest(string_to_array(n.topics, '|'))
		 FROM import_class n JOIN import_added a ON a.email_key = n.email_key
		 WHERE n.fate IN ('new', 'contact') AND n.topics <> ''
		 ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	if err := tx.GetContext(ctx, &rep.Added, `SELECT count(*) FROM import_added`); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	return nil
}

// mergeImported gives the addresses already on the list what the file
// adds: topics, and a name or organisation they lack.
func mergeImported(ctx context.Context, tx *sqlx.Tx, rep *ImportReport) error {
	err := execAll(ctx, tx, "merge",
		`CREATE TEMP TABLE import_merge ON COMMIT DROP AS
		 SELECT c.sub_id AS id, c.line, c.email,
		        c.cur_name = '' AND c.name <> '' AS name_added,
		        c.cur_org = '' AND c.organisation <> '' AS org_added,
		        CASE WHEN c.cur_name = '' THEN c.name ELSE c.cur_name END AS name,
		        CASE WHEN c.cur_org = '' THEN c.organisation ELSE c.cur_org END AS organisation,
		        ARRAY(SELECT t FROM unnest(string_to_array(c.topics, '|')) WITH ORDINALITY AS u (t, i)
		              WHERE NOT EXISTS (SELECT 1 FROM subscriber_topics st WHERE st.subscriber_id = c.sub_id AND st.topic = u.t)
		              ORDER BY i) AS add_topics
		 FROM import_class c WHERE c.fate = 'known'`,
		`DELETE FROM import_merge WHERE NOT name_added AND NOT org_added AND cardinality(add_topics) = 0`,
		`UPDATE subscribers s SET name = m.name, organisation = m.organisation, updated_at = now()
		 FROM import_merge m WHERE s.id = m.id AND (m.name_added OR m.org_added)`,
		// An Anrede, a phone number or a note the person lacks is
		// filled in; one they have stays.
		`UPDATE subscribers s SET salutation = CASE WHEN s.salutation = '' THEN c.salutation ELSE s.salutation END,
		        phone = CASE WHEN s.phone = '' THEN c.phone ELSE s.phone END,
		        note = CASE WHEN s.note = '' THEN c.note ELSE s.note END
		 FROM import_class c WHERE c.fate = 'known' AND s.id = c.sub_id
		   AND ((s.salutation = '' AND c.salutation <> '') OR (s.phone = '' AND c.phone <> '') OR (s.note = '' AND c.note <> ''))`,
		`INSERT INTO subscriber_topics (subscriber_id, topic)
		 SELECT id, unnest(add_topics) FROM import_merge ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	var known int
	if err := tx.GetContext(ctx, &known, `SELECT count(*) FROM import_class WHERE fate = 'known'`); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	if err := tx.GetContext(ctx, &rep.Updated.Total, `SELECT count(*) FROM import_merge`); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	rep.Unchanged = known - rep.Updated.Total
	var listed []struct {
		Line      int            `db:"line"`
		Email     string         `db:"email"`
		NameAdded bool           `db:"name_added"`
		OrgAdded  bool           `db:"org_added"`
		Topics    pq.StringArray `db:"add_topics"`
	}
	if err := tx.SelectContext(ctx, &listed, `SELECT line, email, name_added, org_added, add_topics
		FROM import_merge ORDER BY line LIMIT $1`, MaxListed); err != nil {
		return fmt.Errorf("subscribers: import: %w", err)
	}
	for _, m := range listed {
		rep.Updated.Listed = append(rep.Updated.Listed, ImportNote{Line: m.Line, Email: m.Email,
			NameAdded: m.NameAdded, OrganisationAdded: m.OrgAdded, TopicsAdded: m.Topics})
	}
	return nil
}

// logImport writes the consent log of the import (the request of each new
// subscriber, their confirmation when staff attest it, the topics added to
// known ones) and queues the opt-in mails of the new pending subscribers.
func logImport(ctx context.Context, tx *sqlx.Tx, c Consent, rep *ImportReport) error {
	type step struct {
		sql  string
		args []any
	}
	steps := []step{
		{`INSERT INTO consent_log (subscriber_id, action, source, note, wording_version)
		  SELECT id, 'subscribed', $1, $2, $3 FROM import_added`, []any{c.Source, c.Note, c.WordingVersion}},
		{`INSERT INTO consent_log (subscriber_id, action, source, note)
		  SELECT id, 'topics_changed', $1, 'Themen hinzugefügt: ' || array_to_string(add_topics, ', ')
		  FROM import_merge WHERE cardinality(add_topics) > 0`, []any{c.Source}},
	}
	if c.Confirmed {
		steps = append(steps, step{`INSERT INTO consent_log (subscriber_id, action, source, note, wording_version)
			  SELECT id, 'confirmed', $1, $2, $3 FROM import_added`, []any{c.Source, c.Note, c.WordingVersion}})
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("subscribers: import: consent log: %w", err)
		}
	}
	if c.Confirmed {
		return nil
	}
	err := tx.GetContext(ctx, &rep.OptIns, `WITH queued AS (
			INSERT INTO subscription_mails (subscriber_id, kind)
			SELECT id, 'optin' FROM import_added ORDER BY id
			RETURNING id)
		SELECT count(*) AS count, coalesce(min(id), 0) AS first, coalesce(max(id), 0) AS last FROM queued`)
	if err != nil {
		return fmt.Errorf("subscribers: import: queue opt-in mails: %w", err)
	}
	return nil
}

// QueuedOptIns returns up to limit opt-in mails of r (an import's) that
// are still queued, with IDs above after, in order: for queueing their
// tasks a page at a time.
func (s *Store) QueuedOptIns(ctx context.Context, r MailRange, after int64, limit int) ([]MailRef, error) {
	var refs []MailRef
	err := s.db.SelectContext(ctx, &refs, `SELECT id, subscriber_id, kind FROM subscription_mails
		WHERE id BETWEEN $1 AND $2 AND id > $3 AND kind = 'optin' AND status = 'queued'
		ORDER BY id LIMIT $4`, r.First, r.Last, after, limit)
	if err != nil {
		return nil, fmt.Errorf("subscribers: queued opt-in mails: %w", err)
	}
	return refs, nil
}
