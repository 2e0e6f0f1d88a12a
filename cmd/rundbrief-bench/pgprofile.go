package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/jmoiron/sqlx"
)

// pgStatement is one statement's share of a run, from pg_stat_statements.
type pgStatement struct {
	Query       string  `db:"query" json:"query"`
	Calls       int64   `db:"calls" json:"calls"`
	TotalMillis float64 `db:"total_ms" json:"total_ms"`
	Rows        int64   `db:"rows" json:"rows"`
	WALBytes    int64   `db:"wal_bytes" json:"wal_bytes"`
}

// pgProfile reads what PostgreSQL did for a run: the WAL it wrote
// (pg_stat_wal) and, where the extension pg_stat_statements is loaded
// (shared_preload_libraries), the time of each statement.
type pgProfile struct {
	admin    *sqlx.DB
	dbName   string
	walStart int64
	hasPSS   bool
}

func startPGProfile(ctx context.Context, admin *sqlx.DB, dbName string) *pgProfile {
	p := &pgProfile{admin: admin, dbName: dbName}
	admin.GetContext(ctx, &p.walStart, `SELECT wal_bytes::bigint FROM pg_stat_wal`)
	if _, err := admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err == nil {
		if _, err := admin.ExecContext(ctx, `SELECT pg_stat_statements_reset()`); err == nil {
			p.hasPSS = true
		}
	}
	return p
}

// finish returns the WAL bytes written since the start (by every
// database) and the run's statements by total time, the most costly
// first.
func (p *pgProfile) finish(ctx context.Context, top int) (int64, []pgStatement) {
	var wal int64
	p.admin.GetContext(ctx, &wal, `SELECT wal_bytes::bigint FROM pg_stat_wal`)
	if !p.hasPSS {
		return wal - p.walStart, nil
	}
	var out []pgStatement
	err := p.admin.SelectContext(ctx, &out, `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 120) AS query, calls,
		total_exec_time + total_plan_time AS total_ms, rows, wal_bytes::bigint AS wal_bytes
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = $1 ORDER BY total_exec_time + total_plan_time DESC LIMIT $2`, p.dbName, top)
	if err != nil {
		fmt.Println("pg_stat_statements:", err)
	}
	return wal - p.walStart, out
}

// printStatements writes the statements of each run, per mail.
func printStatements(w io.Writer, rs []*result) {
	for _, r := range rs {
		if len(r.Statements) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nPostgreSQL, %d recipients: %.0f bytes of WAL per mail; statements by time (pg_stat_statements)\n", r.Recipients, r.WALBytesPerMail)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "µs/mail\tcalls/mail\trows/call\tWAL B/mail\tstatement")
		n := float64(r.Recipients)
		for _, s := range r.Statements {
			rows := 0.0
			if s.Calls > 0 {
				rows = float64(s.Rows) / float64(s.Calls)
			}
			fmt.Fprintf(tw, "%.1f\t%.3f\t%.1f\t%.0f\t%s\n", s.TotalMillis*1000/n, float64(s.Calls)/n, rows, float64(s.WALBytes)/n,
				strings.TrimSpace(s.Query))
		}
		tw.Flush()
	}
}
