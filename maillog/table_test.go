package maillog_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/maillog"
)

// table creates a mail log table of the shape the package documents, with
// a group column for Supersede, in a database of the test's own.
func table(t *testing.T, supersede bool) (*sqlx.DB, maillog.Table) {
	t.Helper()
	db, _ := testenv.Database(t)
	db.MustExec(`CREATE TABLE test_mails (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		grp integer NOT NULL,
		status text NOT NULL DEFAULT 'queued',
		attempts integer NOT NULL DEFAULT 0,
		created_at timestamptz NOT NULL DEFAULT now(),
		retry_at timestamptz, claimed_at timestamptz, finished_at timestamptz,
		message_id text NOT NULL DEFAULT '', reply text NOT NULL DEFAULT '')`)
	tb := maillog.Table{Name: "test_mails"}
	if supersede {
		tb.Supersede = "grp"
	}
	return db, tb
}

func claim(t *testing.T, db *sqlx.DB, tb maillog.Table, grp int, limit int, lease time.Duration) []maillog.Claim {
	t.Helper()
	var cs []maillog.Claim
	if err := tb.Claim(context.Background(), db, &cs, "m.id, m.attempts", "x.grp = $2", limit, lease, grp); err != nil {
		t.Fatal(err)
	}
	return cs
}

type row struct {
	Status   maillog.Status `db:"status"`
	Attempts int            `db:"attempts"`
	Reply    string         `db:"reply"`
	MsgID    string         `db:"message_id"`
	Retry    *time.Time     `db:"retry_at"`
	Finished *time.Time     `db:"finished_at"`
}

func get(t *testing.T, db *sqlx.DB, id int64) row {
	t.Helper()
	var r row
	if err := db.Get(&r, `SELECT status, attempts, reply, message_id, retry_at, finished_at FROM test_mails WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return r
}

// A claim takes due mails once, up to the limit, oldest first; the fence
// refuses the outcome of a claim that a second worker took over after the
// lease; each outcome lands with its fields.
func TestClaimLeaseRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, tb := table(t, false)
	db.MustExec(`INSERT INTO test_mails (grp) SELECT 1 FROM generate_series(1, 5)`)
	db.MustExec(`INSERT INTO test_mails (grp, retry_at) VALUES (1, now() + interval '1 hour')`) // not due

	first := claim(t, db, tb, 1, 2, time.Hour)
	if len(first) != 2 || first[0].ID != 1 || first[1].ID != 2 || first[0].Attempts != 1 {
		t.Fatalf("first claim = %+v, want mails 1 and 2, attempt 1", first)
	}
	rest := claim(t, db, tb, 1, 0, time.Hour)
	if len(rest) != 3 {
		t.Fatalf("second claim = %+v, want mails 3 to 5 (6 is not due, 1 and 2 are held)", rest)
	}
	// The lease of mail 1 runs out; another worker claims it again.
	db.MustExec(`UPDATE test_mails SET claimed_at = now() - interval '2 minutes' WHERE id = 1`)
	again := claim(t, db, tb, 1, 0, time.Minute)
	if len(again) != 1 || again[0].ID != 1 || again[0].Attempts != 2 {
		t.Fatalf("claim after the lease = %+v, want mail 1, attempt 2", again)
	}

	retry := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	tests := []struct {
		name string
		out  maillog.Outcome
		lost bool
		want row
	}{
		{"stale claim", first[0].Sent("<old@x>", "250 ok"), true, row{Status: maillog.Sending, Attempts: 2}},
		{"sent", again[0].Sent("<a@x>", "250 ok"), false, row{Status: maillog.Sent, Attempts: 2, MsgID: "<a@x>", Reply: "250 ok"}},
		{"deferred", maillog.Outcome{Claim: first[1], Status: maillog.Queued, Reply: "451 later", RetryAt: &retry}, false,
			row{Status: maillog.Queued, Attempts: 1, Reply: "451 later", Retry: &retry}},
		{"bounced", maillog.Outcome{Claim: rest[0], Status: maillog.Bounced, Reply: "550 5.1.1"}, false, row{Status: maillog.Bounced, Attempts: 1, Reply: "550 5.1.1"}},
		{"skipped", rest[1].Skipped("unsubscribed"), false, row{Status: maillog.Skipped, Attempts: 1, Reply: "unsubscribed"}},
		{"failed", rest[2].Failed("no SMTPUTF8"), false, row{Status: maillog.Failed, Attempts: 1, Reply: "no SMTPUTF8"}},
		{"recorded twice", rest[2].Failed("no SMTPUTF8"), true, row{Status: maillog.Failed, Attempts: 1, Reply: "no SMTPUTF8"}},
	}
	for _, tt := range tests {
		err := tb.RecordOne(ctx, db, tt.out)
		if gotLost := errors.Is(err, maillog.ErrClaimLost); gotLost != tt.lost || (err != nil && !gotLost) {
			t.Errorf("%s: RecordOne = %v, want lost %v", tt.name, err, tt.lost)
		}
		got := get(t, db, tt.out.ID)
		if (got.Finished == nil) != tt.want.Status.Open() {
			t.Errorf("%s: finished_at = %v for status %s", tt.name, got.Finished, got.Status)
		}
		got.Finished = nil
		if got.Status != tt.want.Status || got.Attempts != tt.want.Attempts || got.Reply != tt.want.Reply || got.MsgID != tt.want.MsgID ||
			(got.Retry == nil) != (tt.want.Retry == nil) || (got.Retry != nil && !got.Retry.Equal(*tt.want.Retry)) {
			t.Errorf("%s: row = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if n := len(claim(t, db, tb, 1, 0, time.Hour)); n != 0 {
		t.Errorf("claimed %d mails that wait for their retry time", n)
	}
}

// Record writes a batch in one statement and counts the lost claims; a
// mail put back in the queue gives way to a newer waiting mail of its
// group when the table says so.
func TestRecordBatchAndSupersede(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, tb := table(t, true)
	db.MustExec(`INSERT INTO test_mails (grp) VALUES (1), (2)`)
	cs := append(claim(t, db, tb, 1, 0, time.Hour), claim(t, db, tb, 2, 0, time.Hour)...)
	db.MustExec(`INSERT INTO test_mails (grp) VALUES (1)`) // a newer mail of group 1 waits
	outs := []maillog.Outcome{
		{Claim: cs[0], Status: maillog.Queued, Reply: "451"},
		{Claim: cs[1], Status: maillog.Queued, Reply: "451"},
		{Claim: maillog.Claim{ID: cs[1].ID, Attempts: 7}, Status: maillog.Sent},
	}
	lost, err := tb.Record(ctx, db, outs)
	if err != nil || lost != 1 {
		t.Fatalf("Record = %d lost, %v; want 1 lost", lost, err)
	}
	if got := get(t, db, cs[0].ID).Status; got != maillog.Skipped {
		t.Errorf("deferred mail with a newer one waiting: %s, want skipped", got)
	}
	if got := get(t, db, cs[1].ID).Status; got != maillog.Queued {
		t.Errorf("deferred mail alone in its group: %s, want queued", got)
	}
	if _, err := tb.Record(ctx, db, []maillog.Outcome{{Claim: cs[1], Status: maillog.Sending}}); err == nil {
		t.Error("Record took sending as an outcome")
	}
}

// Workers claiming the same mails at once each get a different share, and
// together all of them.
func TestConcurrentClaimsNeverOverlap(t *testing.T) {
	t.Parallel()
	db, tb := table(t, false)
	db.MustExec(`INSERT INTO test_mails (grp) SELECT 1 FROM generate_series(1, 200)`)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cs := claim(t, db, tb, 1, 7, time.Hour)
				if len(cs) == 0 {
					return
				}
				mu.Lock()
				for _, c := range cs {
					seen[c.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Errorf("claimed %d distinct mails, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %d claimed %d times", id, n)
		}
	}
}

// LostSQL finds a queued mail past the grace and a claim past its lease,
// not a fresh one nor one waiting for its retry time.
func TestLost(t *testing.T) {
	t.Parallel()
	db, _ := table(t, false)
	db.MustExec(`INSERT INTO test_mails (grp, created_at) VALUES (1, now() - interval '1 hour')`)                                      // 1 lost
	db.MustExec(`INSERT INTO test_mails (grp) VALUES (1)`)                                                                             // 2 fresh
	db.MustExec(`INSERT INTO test_mails (grp, created_at, retry_at) VALUES (1, now() - interval '1 hour', now() + interval '1 hour')`) // 3 waits
	db.MustExec(`INSERT INTO test_mails (grp, status, claimed_at) VALUES (1, 'sending', now() - interval '1 hour')`)                   // 4 lease out
	db.MustExec(`INSERT INTO test_mails (grp, status, claimed_at) VALUES (1, 'sending', now())`)                                       // 5 held
	db.MustExec(`INSERT INTO test_mails (grp, status, created_at) VALUES (1, 'sent', now() - interval '1 hour')`)                      // 6 final
	var ids []int64
	if err := db.Select(&ids, `SELECT id FROM test_mails t WHERE `+maillog.LostSQL("t")+` ORDER BY id`, 60, 60); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 4 {
		t.Errorf("lost = %v, want [1 4]", ids)
	}
}

// A relay's reply is kept as PostgreSQL's text can hold it, whatever the
// relay sent: bytes that are not UTF-8 (an old server answering in
// Latin-1) become U+FFFD, NUL bytes go, and only the first 1000
// characters stay. Such a reply once failed the whole statement, and
// with it the outcomes of every other mail in it.
func TestRecordKeepsAnyReply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	long := strings.Repeat("ä", 1500)
	tests := []struct {
		name, reply, want string
	}{
		{"plain", "250 2.0.0 Ok: queued as 4Nxk2m1ZQ0z9vF", "250 2.0.0 Ok: queued as 4Nxk2m1ZQ0z9vF"},
		{"Latin-1", "550 5.1.1 Empf\xe4nger unbekannt", "550 5.1.1 Empf\uFFFDnger unbekannt"},
		{"NUL", "250 ok\x00 queued", "250 ok queued"},
		{"cut UTF-8", "451 \xc3", "451 \uFFFD"},
		{"long", long, long[:2000]}, // ä is two bytes
		{"empty", "", ""},
	}
	db, tb := table(t, false)
	db.MustExec(`INSERT INTO test_mails (grp) SELECT 1 FROM generate_series(1, $1)`, len(tests))
	cs := claim(t, db, tb, 1, 0, time.Hour)
	outs := make([]maillog.Outcome, len(tests))
	for i, tt := range tests {
		outs[i] = cs[i].Sent("<m@example.org>", tt.reply)
	}
	if lost, err := tb.Record(ctx, db, outs); lost != 0 || err != nil {
		t.Fatalf("Record: %d lost, %v", lost, err)
	}
	for i, tt := range tests {
		if got := get(t, db, cs[i].ID); got.Status != maillog.Sent || got.Reply != tt.want {
			t.Errorf("%s: %s with reply %q, want sent with %q", tt.name, got.Status, got.Reply, tt.want)
		}
	}
}
