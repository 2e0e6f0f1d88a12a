package testenv

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
)

// TablesMatching lists the tables of db that have a row whose text, lower
// cased, matches the regular expression re: the check that no table still
// holds a person after their erasure.
func TablesMatching(t testing.TB, db *sqlx.DB, re string) []string {
	t.Helper()
	var hits []string
	err := db.SelectContext(context.Background(), &hits, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
		  AND (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I t WHERE lower(t::text) ~ %L',
		        table_schema, table_name, $1::text), false, true, '')))[1]::text::int > 0
		ORDER BY table_name`, re)
	if err != nil {
		t.Fatalf("testenv: search tables: %v", err)
	}
	return hits
}
