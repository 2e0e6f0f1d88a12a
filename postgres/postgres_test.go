package postgres_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// Open creates a database that does not exist yet, and a second Open finds it.
func TestOpenCreatesMissingDatabase(t *testing.T) {
	t.Parallel()
	url := testenv.EmptyDatabaseURL(t)
	ctx := context.Background()
	for range 2 {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		if err := db.Get(&name, "SELECT current_database()"); err != nil || !strings.HasPrefix(name, "rundbrief_test_") {
			t.Errorf("connected to %q, %v", name, err)
		}
		db.Close()
	}
}

func TestErrorsAndRedaction(t *testing.T) {
	t.Parallel()
	db, _ := testenv.Database(t)
	db.MustExec(`INSERT INTO subscribers (email, kind) VALUES ('a@example.org', 'school')`)
	_, err := db.Exec(`INSERT INTO subscribers (email, kind) VALUES ('A@example.org', 'school')`)
	if !postgres.IsUniqueViolation(err) || postgres.Constraint(err) != "subscribers_email_unique" {
		t.Errorf("duplicate: %v", err)
	}
	_, err = db.Exec(`INSERT INTO subscriber_topics (subscriber_id, topic) VALUES (999, 'jugend')`)
	if !postgres.IsForeignKeyViolation(err) {
		t.Errorf("dangling topic: %v", err)
	}
	_, err = db.Exec(`INSERT INTO subscribers (email, kind) VALUES ('b@example.org', 'verein')`)
	if !postgres.IsCheckViolation(err) {
		t.Errorf("bad kind: %v", err)
	}

	got := postgres.Redact("postgres://knf:geheim@db:5432/rundbrief?sslmode=disable")
	if strings.Contains(got, "geheim") || !strings.Contains(got, "knf:xxxxx@db:5432/rundbrief") {
		t.Errorf("Redact = %q", got)
	}
	_, err = postgres.Open(context.Background(), "postgres://nobody:geheim@127.0.0.1:1/rundbrief?sslmode=disable&connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "geheim") {
		t.Errorf("unreachable server: %v (must fail without showing the password)", err)
	}
}

// Two transactions that lock two rows in opposite order deadlock;
// PostgreSQL breaks one off, and InTx runs it again, so both succeed and
// neither caller sees the deadlock.
func TestInTxRunsADeadlockedTransactionAgain(t *testing.T) {
	t.Parallel()
	db, _ := testenv.Database(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE locks (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
		INSERT INTO locks (id) VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	var (
		both  sync.WaitGroup
		calls atomic.Int32
	)
	both.Add(2)
	tx := func(first, second int) error {
		round := 0
		return postgres.InTx(ctx, db, func(tx *sqlx.Tx) error {
			calls.Add(1)
			round++
			if _, err := tx.ExecContext(ctx, `UPDATE locks SET n = n + 1 WHERE id = $1`, first); err != nil {
				return err
			}
			if round == 1 {
				both.Done() // each holds its first row before either takes its second
				both.Wait()
			}
			_, err := tx.ExecContext(ctx, `UPDATE locks SET n = n + 1 WHERE id = $1`, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- tx(1, 2) }()
	go func() { errs <- tx(2, 1) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("InTx: %v", err)
		}
	}
	var total int
	if err := db.GetContext(ctx, &total, `SELECT sum(n) FROM locks`); err != nil || total != 4 {
		t.Errorf("rows updated %d times (%v), want 4: both transactions once", total, err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("fn ran %d times, want 3: the deadlocked one again", n)
	}
}

// Every password a connection string can carry is masked.
func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://knf:geheim@db:5432/rundbrief?sslmode=disable", "postgres://knf:xxxxx@db:5432/rundbrief?sslmode=disable"},
		{"postgres://knf@db/rundbrief?password=geheim&sslmode=disable", "postgres://knf@db/rundbrief?password=xxxxx&sslmode=disable"},
		{"postgres://db/rundbrief?sslpassword=geheim", "postgres://db/rundbrief?sslpassword=xxxxx"},
		{"host=db user=knf password=geheim dbname=rundbrief", "host=db user=knf password=xxxxx dbname=rundbrief"},
		{"host=db password='ge heim\\'x' dbname=rundbrief", "host=db password=xxxxx dbname=rundbrief"},
		{"redis://:geheim@127.0.0.1:6379/0", "redis://:xxxxx@127.0.0.1:6379/0"},
		{"postgres://db/rundbrief?sslmode=disable", "postgres://db/rundbrief?sslmode=disable"},
	} {
		if got := postgres.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/rundbrief?password=geheim&sslmode=disable&connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "geheim") {
		t.Errorf("unreachable server: %v (must fail without showing the password)", err)
	}
}
