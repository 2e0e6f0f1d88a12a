package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// A prepared query answers on every connection of the pool, parsed once
// per connection (pg_prepared_statements); one whose table does not exist
// yet runs unprepared once it does; and a connection that died is
// replaced without the caller seeing it.
func TestPreparedQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := postgres.Open(ctx, testenv.EmptyDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	early := postgres.Prepare(db, `SELECT n FROM numbers WHERE n = $1`) // no table yet
	if _, err := db.Exec(`CREATE TABLE numbers (n int); INSERT INTO numbers SELECT generate_series(1, 10)`); err != nil {
		t.Fatal(err)
	}
	q := postgres.Prepare(db, `SELECT n FROM numbers WHERE n = $1`)
	for _, query := range []*postgres.Query{early, q} {
		for i := 1; i <= 3; i++ {
			var n int
			if err := query.Get(ctx, &n, i); err != nil || n != i {
				t.Fatalf("Get(%d) = %d, %v", i, n, err)
			}
		}
		var n int
		if err := query.Get(ctx, &n, 99); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("a missing row: %v, want sql.ErrNoRows", err)
		}
	}
	var prepared int
	if err := db.Get(&prepared, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT n FROM numbers%'`); err != nil {
		t.Fatal(err)
	}
	if prepared == 0 {
		t.Error("the query is not prepared on the connection")
	}

	// Every connection of the pool is ended; the next Get prepares the
	// query on a new one.
	if _, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	db.SetMaxIdleConns(0) // drop the connection that ended the others
	db.SetMaxIdleConns(2)
	var n int
	if err := q.Get(ctx, &n, 7); err != nil || n != 7 {
		t.Errorf("after the connections died: %d, %v", n, err)
	}
}
