// Package migrations holds rundbrief's database schema as numbered SQL files,
// embedded in the binary, and applies them with goose.
//
// Migrations run under a PostgreSQL session-level advisory lock, so several
// processes that start at once (two workers, a worker and `rundbrief migrate`)
// apply each migration exactly once: the second waits for the first and then
// finds nothing left to do.
package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// lockID is the advisory lock key of rundbrief's migrations, the ASCII bytes
// of "Rundbrif", fixed so that every version of the binary takes the same lock.
const lockID int64 = 0x52756e6462726966

// Status is the state of one migration.
type Status struct {
	Version int64
	File    string
	Applied bool
	// AppliedAt is zero when the migration is pending.
	AppliedAt time.Time
}

// newProvider returns a goose provider for db that locks the session while
// it migrates. It waits up to five minutes, checking once a second, for a
// concurrent migration to finish.
func newProvider(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// Up applies every pending migration and returns the versions it applied, in
// order. It is safe to call from several processes at once.
func Up(ctx context.Context, db *sql.DB) ([]int64, error) {
	p, err := newProvider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: up: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// List returns the state of every migration in the binary, oldest first.
func List(ctx context.Context, db *sql.DB) ([]Status, error) {
	p, err := newProvider(db)
	if err != nil {
		return nil, err
	}
	states, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	out := make([]Status, 0, len(states))
	for _, s := range states {
		out = append(out, Status{
			Version:   s.Source.Version,
			File:      s.Source.Path,
			Applied:   s.State == goose.StateApplied,
			AppliedAt: s.AppliedAt,
		})
	}
	return out, nil
}

// Fingerprint is a hash of all migration files. Two binaries with the same
// fingerprint create the same schema; tests use it to name a template
// database.
func Fingerprint() string {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
