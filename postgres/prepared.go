package postgres

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Query is a query the pages run for nearly every request, prepared once
// per connection of the pool (database/sql prepares it on each connection
// as it is first used there), so that PostgreSQL parses and plans it once
// instead of for every request. If it cannot be prepared (a database not
// migrated yet), it runs unprepared. Safe for concurrent use.
type Query struct {
	db   *sqlx.DB
	text string
	stmt *sqlx.Stmt
}

// Prepare returns text as a Query on db.
func Prepare(db *sqlx.DB, text string) *Query {
	q := &Query{db: db, text: text}
	if st, err := db.Preparex(text); err == nil {
		q.stmt = st
	}
	return q
}

// Get runs the query with args and scans its one row into dest, as
// sqlx.GetContext does (sql.ErrNoRows when there is none).
func (q *Query) Get(ctx context.Context, dest any, args ...any) error {
	if q.stmt != nil {
		return q.stmt.GetContext(ctx, dest, args...)
	}
	return q.db.GetContext(ctx, dest, q.text, args...)
}
