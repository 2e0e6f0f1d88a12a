package postgres_test

import (
	"context"
	"strings"
	"testing"

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
