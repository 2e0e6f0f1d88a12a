package postgres

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Query is a query run for nearly every request or mail, prepared once
// per connection of the pool (database/sql prepares it on each connection
// as it is first used there), so that PostgreSQL parses and plans it once
// instead of every time. It is prepared on its first use, when the tables
// it names exist; if it cannot be prepared then, it runs unprepared. Safe
// for concurrent use.
type Query struct {
	db   *sqlx.DB
	text string
	once sync.Once
	stmt *sqlx.Stmt
}

// Prepare returns text as a Query on db.
func Prepare(db *sqlx.DB, text string) *Query {
	return &Query{db: db, text: text}
}

// prepared returns the prepared statement, or nil to run the text.
func (q *Query) prepared(ctx context.Context) *sqlx.Stmt {
	q.once.Do(func() {
		if st, err := q.db.PreparexContext(context.WithoutCancel(ctx), q.text); err == nil {
			q.stmt = st
		}
	})
	return q.stmt
}

// Get runs the query with args and scans its one row into dest, as
// sqlx.GetContext does (sql.ErrNoRows when there is none).
func (q *Query) Get(ctx context.Context, dest any, args ...any) error {
	if st := q.prepared(ctx); st != nil {
		return st.GetContext(ctx, dest, args...)
	}
	return q.db.GetContext(ctx, dest, q.text, args...)
}

// Select runs the query with args and scans its rows into dest, a
// pointer to a slice, as sqlx.SelectContext does.
func (q *Query) Select(ctx context.Context, dest any, args ...any) error {
	if st := q.prepared(ctx); st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return q.db.SelectContext(ctx, dest, q.text, args...)
}

// Exec runs the statement with args.
func (q *Query) Exec(ctx context.Context, args ...any) (sql.Result, error) {
	if st := q.prepared(ctx); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.db.ExecContext(ctx, q.text, args...)
}
