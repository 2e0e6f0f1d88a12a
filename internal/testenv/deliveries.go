package testenv

import (
	"testing"

	"github.com/jmoiron/sqlx"
)

// ManyDeliveries fills db with a history of campaigns newsletters and
// people subscribers, each person with a delivery of every campaign
// (straight into the tables), and analyzes it: a table of the size whose
// plans the tests of a query look at.
func ManyDeliveries(t testing.TB, db *sqlx.DB, campaigns, people int) {
	t.Helper()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO campaigns (kind, subject, body) SELECT 'newsletter', 'Rundbrief ' || g, 'Text' FROM generate_series(1, $1) g`, []any{campaigns}},
		{`INSERT INTO subscribers (email, kind) SELECT 'person' || g || '@example.org', 'family' FROM generate_series(1, $1) g`, []any{people}},
		{`INSERT INTO deliveries (campaign_id, subscriber_id, batch, matched_kind)
			SELECT c.id, s.id, s.id / 100, 'family' FROM campaigns c, subscribers s ORDER BY c.id, s.id`, nil},
		{`ANALYZE`, nil},
	} {
		if _, err := db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
}
