package migrations_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// referenceDB is a database with one campaign (1) and two subscribers (1
// and 2), each with a delivery of the campaign.
func referenceDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db, _ := testenv.Database(t)
	for _, q := range []string{
		`INSERT INTO campaigns (id, kind, subject, body) OVERRIDING SYSTEM VALUE VALUES (1, 'newsletter', 'Rundbrief', 'Text')`,
		`INSERT INTO subscribers (id, email, kind) OVERRIDING SYSTEM VALUE VALUES (1, 'a@example.org', 'family'), (2, 'b@example.org', 'school')`,
		`INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind) VALUES (1, 1, 0, 'family'), (1, 2, 0, 'school')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// secondCampaign adds campaign 2, with no deliveries, to a referenceDB.
func secondCampaign(t *testing.T, db *sqlx.DB) {
	t.Helper()
	db.MustExec(`INSERT INTO campaigns (id, kind, subject, body) OVERRIDING SYSTEM VALUE VALUES (2, 'newsletter', 'Rundbrief', 'Text')`)
}

func deliveriesOf(t *testing.T, db *sqlx.DB, where string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM deliveries WHERE `+where); err != nil {
		t.Fatal(err)
	}
	return n
}

// A delivery names a campaign and a subscriber that exist, and never
// another; deleting either deletes its deliveries.
func TestDeliveryReferences(t *testing.T) {
	t.Parallel()
	refused := []struct {
		name, sql, constraint string
		level                 sql.IsolationLevel
	}{
		{"no such campaign", `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind) VALUES (2, 1, 0, 'family')`, "deliveries_campaign_exists", 0},
		{"no such subscriber", `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind) VALUES (1, 3, 0, 'family')`, "deliveries_subscriber_exists", 0},
		{"one of many missing", `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind)
			SELECT 1, s, 1, 'family' FROM generate_series(3, 1000) s`, "deliveries_subscriber_exists", 0},
		{"one of two campaigns missing", `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind)
			VALUES (1, 3, 0, 'family'), (3, 3, 0, 'family')`, "deliveries_campaign_exists", 0},
		{"no such subscriber, REPEATABLE READ", `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind) VALUES (1, 3, 0, 'family')`,
			"deliveries_subscriber_exists", sql.LevelRepeatableRead},
		{"one of many missing, REPEATABLE READ", `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind)
			SELECT 1, s, 1, 'family' FROM generate_series(3, 1000) s`, "deliveries_subscriber_exists", sql.LevelRepeatableRead},
		{"another subscriber", `UPDATE deliveries SET subscriber_id = 2 WHERE subscriber_id = 1`, "deliveries_references_fixed", 0},
		{"another campaign", `UPDATE deliveries SET campaign_id = 2`, "deliveries_references_fixed", 0},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := referenceDB(t)
			err := inTxAt(context.Background(), db, tt.level, func(tx *sqlx.Tx) error {
				_, err := tx.Exec(tt.sql)
				return err
			})
			if !postgres.IsForeignKeyViolation(err) || postgres.Constraint(err) != tt.constraint {
				t.Errorf("got %v (constraint %q), want a foreign-key violation of %s", err, postgres.Constraint(err), tt.constraint)
			}
		})
	}
	deleted := []struct {
		name, sql, gone string
		left            int
	}{
		{"subscriber deleted", `DELETE FROM subscribers WHERE id = 1`, "subscriber_id = 1", 1},
		{"campaign deleted", `DELETE FROM campaigns WHERE id = 1`, "campaign_id = 1", 0},
		{"subscribers truncated", `TRUNCATE subscribers CASCADE`, "true", 0},
		{"campaigns truncated", `TRUNCATE campaigns CASCADE`, "true", 0},
	}
	for _, tt := range deleted {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := referenceDB(t)
			if _, err := db.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			if n := deliveriesOf(t, db, tt.gone); n != 0 {
				t.Errorf("%d deliveries left where %s, want none", n, tt.gone)
			}
			if n := deliveriesOf(t, db, "true"); n != tt.left {
				t.Errorf("%d deliveries left, want %d", n, tt.left)
			}
		})
	}
}

// A plan and an erasure at the same time leave no delivery without its
// subscriber, in either order and at either isolation level a plan may
// use, as a foreign key would: the erasure waits for the plan and then
// deletes what it wrote; a plan after an erasure fails.
func TestDeliveryReferencesConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const plan = `INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind) VALUES (2, 1, 0, 'family')`
	const erase = `DELETE FROM subscribers WHERE id = 1`
	for _, level := range []sql.IsolationLevel{sql.LevelReadCommitted, sql.LevelRepeatableRead} {
		t.Run("erasure during a plan at "+level.String(), func(t *testing.T) {
			t.Parallel()
			db := referenceDB(t)
			secondCampaign(t, db)
			tx := db.MustBeginTx(ctx, &sql.TxOptions{Isolation: level})
			defer tx.Rollback()
			tx.MustExec(plan)
			erased := make(chan error, 1)
			go func() { _, err := db.Exec(erase); erased <- err }()
			select {
			case err := <-erased:
				t.Fatalf("the erasure did not wait for the plan: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-erased; err != nil {
				t.Fatal(err)
			}
			if n := deliveriesOf(t, db, "subscriber_id = 1"); n != 0 {
				t.Errorf("%d deliveries of the erased subscriber left, want none", n)
			}
		})
		t.Run("plan during an erasure at "+level.String(), func(t *testing.T) {
			t.Parallel()
			db := referenceDB(t)
			secondCampaign(t, db)
			tx := db.MustBeginTx(ctx, nil)
			defer tx.Rollback()
			tx.MustExec(erase)
			planned := make(chan error, 1)
			go func() {
				planned <- inTxAt(ctx, db, level, func(ptx *sqlx.Tx) error {
					_, err := ptx.Exec(plan)
					return err
				})
			}()
			select {
			case err := <-planned:
				t.Fatalf("the plan did not wait for the erasure: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-planned; !postgres.IsForeignKeyViolation(err) && postgres.Code(err) != codeSerializationFailure {
				t.Errorf("plan after the erasure: %v, want a foreign-key violation or a serialization failure", err)
			}
			if n := deliveriesOf(t, db, "subscriber_id = 1"); n != 0 {
				t.Errorf("%d deliveries of the erased subscriber left, want none", n)
			}
		})
	}
	// A plan at REPEATABLE READ whose snapshot still holds a subscriber
	// erased since then fails rather than write for someone who is gone.
	t.Run("plan at REPEATABLE READ after an erasure since its snapshot", func(t *testing.T) {
		t.Parallel()
		db := referenceDB(t)
		secondCampaign(t, db)
		tx := db.MustBeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
		defer tx.Rollback()
		var n int
		if err := tx.Get(&n, `SELECT count(*) FROM subscribers`); err != nil { // the snapshot
			t.Fatal(err)
		}
		db.MustExec(erase)
		_, err := tx.Exec(plan)
		if !postgres.IsForeignKeyViolation(err) && postgres.Code(err) != codeSerializationFailure {
			t.Errorf("plan: %v, want a foreign-key violation or a serialization failure", err)
		}
	})
	// An erasure at REPEATABLE READ could not see the deliveries written
	// since its snapshot, so it is refused.
	t.Run("erasure at REPEATABLE READ", func(t *testing.T) {
		t.Parallel()
		db := referenceDB(t)
		err := inTxAt(ctx, db, sql.LevelRepeatableRead, func(tx *sqlx.Tx) error {
			_, err := tx.Exec(erase)
			return err
		})
		if got, want := postgres.Code(err), "0A000"; got != want {
			t.Errorf("erasure at REPEATABLE READ: %v (code %q), want code %s", err, got, want)
		}
		if n := deliveriesOf(t, db, "true"); n != 2 {
			t.Errorf("%d deliveries, want the 2 there were", n)
		}
	})
}

// inTxAt runs fn in a transaction at level and commits it if fn returns
// nil.
func inTxAt(ctx context.Context, db *sqlx.DB, level sql.IsolationLevel, fn func(*sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: level})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// codeSerializationFailure is PostgreSQL's SQLSTATE for a transaction that
// saw a row change since its snapshot.
const codeSerializationFailure = "40001"

// Writing deliveries does not lock their subscribers' rows: a plan of
// 100,000 recipients locked 100,000 rows, a WAL record and a dirtied page
// of subscribers for each.
func TestPlanLeavesSubscribersUnlocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := referenceDB(t)
	db.MustExec(`INSERT INTO campaigns (id, kind, subject, body) OVERRIDING SYSTEM VALUE VALUES (2, 'newsletter', 'Rundbrief', 'Text')`)
	tx := db.MustBeginTx(ctx, nil)
	defer tx.Rollback()
	tx.MustExec(`INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind) VALUES (2, 1, 0, 'family'), (2, 2, 0, 'school')`)
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM (SELECT FROM subscribers FOR UPDATE NOWAIT) s`); err != nil {
		t.Fatalf("subscribers locked by a plan not yet committed: %v", err)
	}
	if n != 2 {
		t.Errorf("%d subscribers, want 2", n)
	}
}

// No row trigger runs on an update of deliveries: one before an update,
// even one that does not fire for the columns set, has PostgreSQL lock each
// row first, a WAL record more for every outcome recorded.
func TestNoRowTriggerOnDeliveryUpdates(t *testing.T) {
	t.Parallel()
	db, _ := testenv.Database(t)
	var names []string
	// tgtype bits (pg_trigger.h): 1 row, 16 update.
	if err := db.Select(&names, `SELECT tgname FROM pg_trigger
		WHERE tgrelid = 'deliveries'::regclass AND tgtype & 1 = 1 AND tgtype & 16 = 16 AND NOT tgisinternal`); err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("row triggers on updates of deliveries: %v", names)
	}
}

// A plan's row goes into two indexes, by ID and by campaign and
// subscriber; no index leads with the subscriber. A subscriber's
// deliveries are found campaign by campaign: the deletion of one is
// planned as a lookup per campaign, and a deletion of many deletes all of
// theirs and no others.
func TestSubscribersDeliveriesFoundByCampaign(t *testing.T) {
	t.Parallel()
	db, _ := testenv.Database(t)
	var indexes []string
	if err := db.Select(&indexes, `SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'deliveries'::regclass ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"deliveries_once", "deliveries_pkey"}; !slices.Equal(indexes, want) {
		t.Errorf("indexes on deliveries: %v, want %v", indexes, want)
	}
	testenv.ManyDeliveries(t, db, 40, 2500)
	// The trigger's statement, as PostgreSQL plans it for one subscriber.
	var src string
	if err := db.Get(&src, `SELECT prosrc FROM pg_proc WHERE proname = 'deliveries_delete_of_subscribers'`); err != nil {
		t.Fatal(err)
	}
	stmt := regexp.MustCompile(`(?s)DELETE FROM deliveries.*?;`).FindString(src)
	if stmt == "" {
		t.Fatalf("no DELETE in deliveries_delete_of_subscribers:\n%s", src)
	}
	var one int64
	if err := db.Get(&one, `SELECT min(id) + 1000 FROM subscribers`); err != nil {
		t.Fatal(err)
	}
	err := inTxAt(context.Background(), db, sql.LevelReadCommitted, func(tx *sqlx.Tx) error {
		tx.MustExec(`CREATE TEMPORARY TABLE deleted ON COMMIT DROP AS SELECT id FROM subscribers WHERE id = $1`, one)
		tx.MustExec(`ANALYZE deleted`)
		var lines []string
		if err := tx.Select(&lines, `EXPLAIN `+strings.ReplaceAll(strings.TrimSuffix(stmt, ";"), "deleted_subscribers", "deleted")); err != nil {
			return err
		}
		plan := strings.Join(lines, "\n")
		lookup := regexp.MustCompile(`Index Scan using deliveries_once on deliveries \w+ .*\n\s+Index Cond: \(\(campaign_id = \w+\.id\) AND \(subscriber_id = \w+\.id\)\)`)
		if !lookup.MatchString(plan) || strings.Contains(plan, "Seq Scan on deliveries") {
			t.Errorf("the deletion of one subscriber does not look their deliveries up by campaign:\n%s", plan)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.MustExec(`DELETE FROM subscribers WHERE id = $1`, one)
	if n := deliveriesOf(t, db, fmt.Sprintf("subscriber_id = %d", one)); n != 0 {
		t.Errorf("%d deliveries of the deleted subscriber left", n)
	}
	db.MustExec(`DELETE FROM subscribers WHERE id % 3 = 0`)
	if n := deliveriesOf(t, db, "subscriber_id % 3 = 0"); n != 0 {
		t.Errorf("%d deliveries of subscribers deleted together left", n)
	}
	var left int
	if err := db.Get(&left, `SELECT count(*) * 40 FROM subscribers`); err != nil {
		t.Fatal(err)
	}
	if n := deliveriesOf(t, db, "true"); n != left {
		t.Errorf("%d deliveries left, want %d (40 for each subscriber left)", n, left)
	}
}
