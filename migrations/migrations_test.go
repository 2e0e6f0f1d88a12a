package migrations_test

import (
	"context"
	"sync"
	"testing"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/migrations"
	"github.com/knf-nordhausen/rundbrief/postgres"
)

// Two processes that migrate one new database at once apply each migration
// exactly once and both succeed.
func TestUpConcurrentlyOnMissingDatabase(t *testing.T) {
	t.Parallel()
	url := testenv.EmptyDatabaseURL(t)
	ctx := context.Background()

	const n = 3
	var wg sync.WaitGroup
	applied := make([][]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			db, err := postgres.Open(ctx, url) // creates the database if missing
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = migrations.Up(ctx, db.DB)
		})
	}
	wg.Wait()
	total := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := migrations.List(ctx, db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := total, len(list); got != want {
		t.Errorf("migrations applied in all processes = %d, want %d (each once)", got, want)
	}
	for _, s := range list {
		if !s.Applied || s.AppliedAt.IsZero() {
			t.Errorf("migration %d (%s) not applied: %+v", s.Version, s.File, s)
		}
	}
	var topics int
	if err := db.Get(&topics, "SELECT count(*) FROM topics"); err != nil {
		t.Fatal(err)
	}
	if topics != 6 {
		t.Errorf("seeded topics = %d, want 6", topics)
	}
}

// The schema refuses what Go code must never write, whoever writes it.
func TestSchemaConstraints(t *testing.T) {
	t.Parallel()
	db, _ := testenv.Database(t)
	if _, err := db.Exec(`INSERT INTO subscribers (email, kind) VALUES ('Anna.Beispiel@Example.org', 'family')`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		sql        string
		constraint string
	}{
		{"same address in other case", `INSERT INTO subscribers (email, kind) VALUES ('anna.beispiel@example.ORG', 'school')`, "subscribers_email_unique"},
		{"unknown kind", `INSERT INTO subscribers (email, kind) VALUES ('a@example.org', 'verein')`, "subscribers_kind_valid"},
		{"unknown status", `INSERT INTO subscribers (email, kind, status) VALUES ('b@example.org', 'company', 'active')`, "subscribers_status_valid"},
		{"unknown language", `INSERT INTO subscribers (email, kind, language) VALUES ('c@example.org', 'company', 'fr')`, "subscribers_language_valid"},
		{"no at sign", `INSERT INTO subscribers (email, kind) VALUES ('example.org', 'company')`, "subscribers_email_format"},
		{"line break in address", "INSERT INTO subscribers (email, kind) VALUES (E'd@example.org\\r\\nBcc: x@y.z', 'company')", "subscribers_email_format"},
		{"line break in name", "INSERT INTO subscribers (email, kind, name) VALUES ('e@example.org', 'company', E'A\\nB')", "subscribers_name_clean"},
		{"confirmed without time", `INSERT INTO subscribers (email, kind, status) VALUES ('f@example.org', 'company', 'confirmed')`, "subscribers_confirmed_at_set"},
		{"bad topic slug", `INSERT INTO topics (slug, title_de, title_en) VALUES ('Sport!', 'Sport', 'Sport')`, "topics_slug_format"},
		{"short suppression hash", `INSERT INTO suppressions (address_hash, reason) VALUES ('\x01', 'staff')`, "suppressions_hash_length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Exec(tt.sql)
			if err == nil {
				t.Fatalf("insert succeeded, want violation of %s", tt.constraint)
			}
			if got := postgres.Constraint(err); got != tt.constraint {
				t.Errorf("violated constraint = %q (%v), want %q", got, err, tt.constraint)
			}
		})
	}
}
