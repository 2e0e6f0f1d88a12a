package maillog

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/knf-nordhausen/rundbrief/postgres"
)

// Table is one mail log table and the rules of its rows. Its Name comes
// from the owner's code, never from input.
type Table struct {
	// Name is the table, e.g. "deliveries".
	Name string
	// Supersede, when set, is the column that groups mails of which only
	// the newest waiting one is worth sending (the mails about one
	// registration: the newest state is what the person should read). A
	// claimed mail that is put back in the queue is skipped instead when
	// another mail of its group waits.
	Supersede string
}

// OpenSQL is the condition, on a mail log row, that the mail is open.
const OpenSQL = `status IN ('queued', 'sending')`

// LostSQL is the condition, on a mail log row aliased alias, that the mail
// may have lost its task: queued and due for longer than the grace ($1, in
// seconds), or claimed by a worker whose lease ($2, in seconds) ran out.
// Re-queueing such a mail's task is harmless when the task still exists:
// the claim is fenced.
func LostSQL(alias string) string {
	a := alias + "."
	return `((` + a + `status = 'queued' AND COALESCE(` + a + `retry_at, ` + a + `created_at) <= now() - make_interval(secs => $1))
		OR (` + a + `status = 'sending' AND ` + a + `claimed_at < now() - make_interval(secs => $2)))`
}

// dueSQL is the condition that a mail may be claimed now: queued and due,
// or claimed by a worker whose lease ($1, in seconds) ran out.
const dueSQL = `((x.status = 'queued' AND (x.retry_at IS NULL OR x.retry_at <= now()))
		OR (x.status = 'sending' AND x.claimed_at < now() - make_interval(secs => $1)))`

// Claim claims up to limit (0 for no limit) of t's mails that match where
// and are due, oldest first, for lease: those queued whose retry time (if
// any) has come, and those whose earlier claim ran out. It skips mails
// another transaction holds, so concurrent workers never claim one twice.
//
// where is an SQL condition on t aliased x; its placeholders start at $2
// and take args ($1 is the lease). returning lists the columns of the
// claimed rows that dest, a pointer to a slice, receives; it names at
// least id and attempts, the Claim. Claim returns no error
// when nothing is due.
func (t Table) Claim(ctx context.Context, q sqlx.QueryerContext, dest any, returning, where string,
	limit int, lease time.Duration, args ...any) error {
	lim := "ALL"
	if limit > 0 {
		lim = strconv.Itoa(limit)
	}
	query := `UPDATE ` + t.Name + ` m
		SET status = 'sending', claimed_at = now(), attempts = m.attempts + 1
		WHERE m.id IN (
			SELECT x.id FROM ` + t.Name + ` x
			WHERE (` + where + `) AND ` + dueSQL + `
			ORDER BY x.id LIMIT ` + lim + `
			FOR UPDATE OF x SKIP LOCKED)
		RETURNING ` + returning
	if err := sqlx.SelectContext(ctx, q, dest, query, append([]any{lease.Seconds()}, args...)...); err != nil {
		return fmt.Errorf("maillog: claim %s: %w", t.Name, err)
	}
	return nil
}

// Record writes outcomes in one statement, each provided its claim still
// holds, and returns how many claims were lost to another worker. A mail
// put back in the queue gets its RetryAt; one whose group (Supersede) has
// a newer waiting mail is skipped instead. Record may be repeated: a
// second call for the same outcomes writes nothing and counts them lost.
func (t Table) Record(ctx context.Context, e sqlx.ExecerContext, outs []Outcome) (lost int, err error) {
	status := `u.status`
	if t.Supersede != "" {
		status = `CASE WHEN u.status = 'queued' AND EXISTS (SELECT 1 FROM ` + t.Name + ` n
			WHERE n.` + t.Supersede + ` = m.` + t.Supersede + ` AND n.status = 'queued') THEN 'skipped' ELSE u.status END`
	}
	return t.record(ctx, e, outs, `status = `+status+`,`, `m.attempts = u.attempts AND m.status = 'sending'`)
}

// ClaimedRecorder records the outcomes of mails that a worker claimed as
// groups (the batches of a campaign) rather than one by one: they stay
// queued while their group's claim holds, so each is written once, when
// its outcome is known, and counts one attempt. It records for one fence
// over any number of groups at once, prepared once per connection: a
// worker records the outcomes of all the batches it sends in one
// statement, and parsing and planning it each time cost PostgreSQL more
// than running it.
type ClaimedRecorder struct {
	t      Table
	q      *postgres.Query
	nFence int
}

// PrepareRecordClaimed returns a ClaimedRecorder on db. fence is a SELECT
// that returns a row for each group whose claim holds, locking it (FOR
// SHARE) until the outcomes are committed; it takes nFenceArgs arguments
// ($1 …). group names a group as a bigint, the same for a fence row
// (aliased fence) and for a mail (aliased m) of the group: the SQL
// expression group("fence") or group("m").
func (t Table) PrepareRecordClaimed(db *sqlx.DB, fence string, nFenceArgs int, group func(alias string) string) *ClaimedRecorder {
	return &ClaimedRecorder{t: t, nFence: nFenceArgs, q: postgres.Prepare(db, t.RecordClaimedSQL(fence, nFenceArgs, group))}
}

// RecordClaimedSQL is the statement that PrepareRecordClaimed prepares.
func (t Table) RecordClaimedSQL(fence string, nFenceArgs int, group func(alias string) string) string {
	return t.recordSQL(fence, group, recordClaimedSet, recordClaimedMatch, nFenceArgs) + ` RETURNING m.id`
}

// Record writes outs, each provided its group's claim holds and it is
// still queued, and returns the IDs of those it wrote.
func (r *ClaimedRecorder) Record(ctx context.Context, outs []Outcome, fenceArgs ...any) (written []int64, err error) {
	if len(fenceArgs) != r.nFence {
		return nil, fmt.Errorf("maillog: record %s: %d fence arguments, want %d", r.t.Name, len(fenceArgs), r.nFence)
	}
	if len(outs) == 0 {
		return nil, nil
	}
	args, err := r.t.outcomeArgs(outs)
	if err != nil {
		return nil, err
	}
	if err := r.q.Select(ctx, &written, append(append([]any{}, fenceArgs...), args...)...); err != nil {
		return nil, fmt.Errorf("maillog: record %s: %w", r.t.Name, err)
	}
	return written, nil
}

const (
	recordClaimedSet   = `status = u.status, attempts = m.attempts + 1,`
	recordClaimedMatch = `m.status = 'queued'`
)

// record writes outs with set (the status and the attempts) where match
// holds.
func (t Table) record(ctx context.Context, e sqlx.ExecerContext, outs []Outcome, set, match string) (lost int, err error) {
	if len(outs) == 0 {
		return 0, nil
	}
	args, err := t.outcomeArgs(outs)
	if err != nil {
		return 0, err
	}
	res, err := e.ExecContext(ctx, t.recordSQL("", nil, set, match, 0), args...)
	return t.lost(outs, res, err)
}

// recordSQL is the statement that records outcomes: set (the status and
// the attempts) where match holds, and, with a fence (taking the first
// nFence arguments), where the mail's group is one of the fence's; the
// outcomes are the six arrays after the fence's arguments.
//
// The fence's groups are one array, computed once (an InitPlan), and a
// mail's group is checked against it: the plan can then only look each
// mail up by its ID. With the fence a join (EXISTS), a plan cached while
// the table was small (a first part of 1,000 deliveries) went from the
// fence's campaign to all its deliveries, and each statement read all
// 100,000 of them: 2.5 ms per mail (cmd/rundbrief-bench).
func (t Table) recordSQL(fence string, group func(alias string) string, set, match string, nFence int) string {
	with := ``
	if fence != "" {
		with = `WITH fence AS (` + fence + `) `
		match += ` AND ` + group("m") + ` = ANY ((SELECT array_agg(` + group("fence") + `) FROM fence)::bigint[])`
	}
	p := func(k int) string { return "$" + strconv.Itoa(nFence+k) }
	return with + `UPDATE ` + t.Name + ` m
		SET ` + set + ` message_id = u.message_id, reply = u.reply,
		    retry_at = NULLIF(u.retry_at, '')::timestamptz,
		    finished_at = CASE WHEN u.status = 'queued' THEN NULL ELSE now() END
		FROM unnest(` + p(1) + `::bigint[], ` + p(2) + `::integer[], ` + p(3) + `::text[], ` + p(4) + `::text[], ` + p(5) + `::text[], ` + p(6) + `::text[])
		     AS u (id, attempts, status, message_id, reply, retry_at)
		WHERE m.id = u.id AND ` + match
}

// outcomeArgs are the six arrays of recordSQL.
func (t Table) outcomeArgs(outs []Outcome) ([]any, error) {
	ids := make([]int64, len(outs))
	attempts := make([]int64, len(outs))
	statuses := make([]string, len(outs))
	msgIDs := make([]string, len(outs))
	replies := make([]string, len(outs))
	retries := make([]string, len(outs)) // "" for none
	for i, o := range outs {
		if o.Status == Sending {
			return nil, fmt.Errorf("maillog: record %s mail %d: %q is no outcome", t.Name, o.ID, o.Status)
		}
		ids[i], attempts[i], statuses[i] = o.ID, int64(o.Attempts), string(o.Status)
		msgIDs[i], replies[i] = o.MessageID, keptReply(o.Reply)
		if o.RetryAt != nil {
			retries[i] = o.RetryAt.UTC().Format(time.RFC3339Nano)
		}
	}
	return []any{pq.Int64Array(ids), pq.Int64Array(attempts), pq.StringArray(statuses), pq.StringArray(msgIDs),
		pq.StringArray(replies), pq.StringArray(retries)}, nil
}

// maxReply is how many characters of a reply a mail log keeps.
const maxReply = 1000

// keptReply is reply as a mail log keeps it: PostgreSQL's text holds
// neither bytes that are not UTF-8 nor NUL, and a relay may send either
// (an old server answering in Latin-1), which would fail the statement
// and with it every other outcome in it. Such bytes become U+FFFD, NUL
// bytes go, and the first maxReply characters stay. Done here rather than
// by left() in the statement, which cost PostgreSQL about half a µs per
// mail.
func keptReply(reply string) string {
	reply = strings.ToValidUTF8(reply, "\uFFFD")
	if strings.IndexByte(reply, 0) >= 0 {
		reply = strings.ReplaceAll(reply, "\x00", "")
	}
	if len(reply) <= maxReply {
		return reply
	}
	n := 0
	for i := range reply {
		if n == maxReply {
			return reply[:i]
		}
		n++
	}
	return reply
}

// lost is how many of outs a record statement did not write.
func (t Table) lost(outs []Outcome, res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("maillog: record %s: %w", t.Name, err)
	}
	n, _ := res.RowsAffected()
	return len(outs) - int(n), nil
}

// RecordOne is Record for one outcome; it returns ErrClaimLost when the
// claim no longer holds.
func (t Table) RecordOne(ctx context.Context, e sqlx.ExecerContext, o Outcome) error {
	lost, err := t.Record(ctx, e, []Outcome{o})
	if err != nil {
		return err
	}
	if lost > 0 {
		return ErrClaimLost
	}
	return nil
}
