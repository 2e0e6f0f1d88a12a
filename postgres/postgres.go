// Package postgres opens rundbrief's PostgreSQL database (creating it when it
// is missing and the role may) and names the driver errors other packages
// need to tell apart.
//
// Connection strings are URLs as lib/pq reads them, e.g.
// postgres://user:pass@127.0.0.1:5432/rundbrief?sslmode=disable.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SQLSTATE codes used by rundbrief.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeInvalidCatalog      = "3D000" // database does not exist
	codeDuplicateDatabase   = "42P04"
	codeInsufficientPriv    = "42501"
)

// Open connects to the database at rawURL and checks the connection. When the
// database does not exist, Open creates it through the server's "postgres"
// database, if the role may create databases; otherwise it says what to do.
func Open(ctx context.Context, rawURL string) (*sqlx.DB, error) {
	db, err := connect(ctx, rawURL)
	if err == nil {
		return db, nil
	}
	if !HasCode(err, codeInvalidCatalog) {
		return nil, err
	}
	if err := createDatabase(ctx, rawURL); err != nil {
		return nil, err
	}
	return connect(ctx, rawURL)
}

func connect(ctx context.Context, rawURL string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", withOneRoundTrip(rawURL))
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", Redact(rawURL), err)
	}
	db.SetMaxOpenConns(20)
	// As many idle as open: with fewer, a burst closes connections that the
	// next burst opens again, and PostgreSQL starts a process for each.
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: cannot connect to %s: %w", Redact(rawURL), err)
	}
	return db, nil
}

// withOneRoundTrip adds binary_parameters=yes to a connection string that
// does not set it: lib/pq then sends a query with arguments in one round
// trip (parse, bind and execute together) instead of two. A page that
// makes four queries answers about a third faster (web/BenchmarkPages).
func withOneRoundTrip(rawURL string) string {
	if strings.Contains(rawURL, "binary_parameters") {
		return rawURL
	}
	if u, err := url.Parse(rawURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("binary_parameters", "yes")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(rawURL) + " binary_parameters=yes"
}

// createDatabase creates the database named in rawURL, connecting to the
// "postgres" database of the same server with the same credentials.
func createDatabase(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("postgres: the database in %s does not exist; create it first", Redact(rawURL))
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return fmt.Errorf("postgres: %s names no database", Redact(rawURL))
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("postgres: database %q does not exist, and creating it failed: %w", name, err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	switch {
	case err == nil, HasCode(err, codeDuplicateDatabase), IsUniqueViolation(err):
		// Another process created it at the same moment (PostgreSQL reports
		// that race as a unique violation on pg_database).
		return nil
	case HasCode(err, codeInsufficientPriv):
		return fmt.Errorf("postgres: database %q does not exist and this role may not create it: "+
			"ask the database administrator to run CREATE DATABASE %s", name, pq.QuoteIdentifier(name))
	default:
		return fmt.Errorf("postgres: create database %q: %w", name, err)
	}
}

// passwordParams are the parameters of a connection string that hold a
// secret.
var passwordParams = []string{"password", "sslpassword"}

// kvPassword matches the password in a key=value connection string
// ("host=db password='geheim'"), quoted or not.
var kvPassword = regexp.MustCompile(`(\b(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// Redact returns a connection string (a PostgreSQL URL or key=value
// string, also a Redis URL) with every password in it replaced by
// "xxxxx": the one in the user information, and the password and
// sslpassword parameters, which lib/pq reads as well. It is for messages,
// logs and `rundbrief config`. A URL that does not parse comes back as "".
func Redact(raw string) string {
	if !strings.Contains(raw, "://") {
		return kvPassword.ReplaceAllString(raw, "${1}xxxxx")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	q := u.Query()
	masked := false
	for _, k := range passwordParams {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			masked = true
		}
	}
	if masked {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// HasCode reports whether err is a PostgreSQL error with the given SQLSTATE.
func HasCode(err error, code string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && string(pqErr.Code) == code
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool { return HasCode(err, codeUniqueViolation) }

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool { return HasCode(err, codeForeignKeyViolation) }

// IsCheckViolation reports whether err is a check-constraint violation.
func IsCheckViolation(err error) bool { return HasCode(err, codeCheckViolation) }

// Code returns the SQLSTATE of err if it is an error PostgreSQL reported,
// or "".
func Code(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return string(pqErr.Code)
	}
	return ""
}

// Constraint returns the name of the constraint err violated, or "".
func Constraint(err error) string {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Constraint
	}
	return ""
}

// SQLSTATE codes of a transaction PostgreSQL broke off to let another go
// on; the same transaction tried again normally succeeds.
const (
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// maxTxAttempts is how often InTx runs a transaction that PostgreSQL
// broke off as a deadlock or serialization failure.
const maxTxAttempts = 4

// InTx runs fn in a transaction and commits it if fn returns nil. When
// PostgreSQL breaks the transaction off to resolve a deadlock or a
// serialization failure, InTx runs it again from the start, up to four
// times in all, after a short random pause: such a failure is a matter of
// timing, not of the data, and the person or worker behind it should not
// see it. fn must therefore start from scratch each time it is called:
// whatever it accumulates is reset at its top.
func InTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := inTx(ctx, db, fn)
		if err == nil || attempt == maxTxAttempts || !(HasCode(err, codeDeadlockDetected) || HasCode(err, codeSerializationFailure)) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(10)) * time.Millisecond):
		}
	}
}

func inTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}
