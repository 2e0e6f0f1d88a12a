package campaigns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// newsletterTo creates n confirmed families (straight into the table, as
// the bench does) and a newsletter to all, not started.
func newsletterTo(t *testing.T, st *testenv.Stores, n int) *campaigns.Campaign {
	t.Helper()
	st.DB.MustExec(`INSERT INTO subscribers (email, name, kind, language, status, confirmed_at)
		SELECT 'person' || g || '@example.org', 'Person ' || g, 'family', 'de', 'confirmed', now()
		FROM generate_series(1, $1) AS g`, n)
	c, err := st.Campaigns.Create(context.Background(), campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief", Body: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startedTo starts a newsletter to n people in batches of size.
func startedTo(t *testing.T, n, size int) (*testenv.Stores, *campaigns.Campaign) {
	t.Helper()
	st := testenv.NewStores(t)
	st.Campaigns.BatchSize = size
	c := newsletterTo(t, st, n)
	if _, err := st.Campaigns.Start(context.Background(), c.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	return st, c
}

func planned(t *testing.T, st *testenv.Stores, id int64) (deliveries, batches int, done bool) {
	t.Helper()
	var r struct {
		D    int  `db:"d"`
		B    int  `db:"b"`
		Done bool `db:"planned"`
	}
	if err := st.DB.Get(&r, `SELECT (SELECT count(*) FROM deliveries WHERE campaign_id = $1) AS d,
		(SELECT count(*) FROM delivery_batches WHERE campaign_id = $1) AS b,
		(SELECT planned FROM campaigns WHERE id = $1)`, id); err != nil {
		t.Fatal(err)
	}
	return r.D, r.B, r.Done
}

// sendAll claims, sends and releases the batches bs, as a worker does.
func sendAll(t *testing.T, s *campaigns.Store, bs []campaigns.BatchRef) {
	t.Helper()
	ctx := context.Background()
	for _, ref := range bs {
		b, ds, err := s.Claim(ctx, ref, time.Minute)
		if err != nil || b == nil {
			t.Fatalf("claim %+v: %v, %v", ref, b, err)
		}
		// Ten at a time, as a worker records them.
		for lo := 0; lo < len(ds); lo += 10 {
			var outs []maillog.Outcome
			for _, d := range ds[lo:min(lo+10, len(ds))] {
				outs = append(outs, d.Sent("<m@example.org>", "250 ok"))
			}
			if lost, err := s.RecordBatch(ctx, b, outs); err != nil || lost != 0 {
				t.Fatalf("record %+v: %d lost, %v", ref, lost, err)
			}
		}
		if open, _, err := s.Release(ctx, b); err != nil || open {
			t.Fatalf("release %+v: open %v, %v", ref, open, err)
		}
	}
}

// A campaign of 2,500 is planned in two parts: the first 1,000 (20
// batches of 50) are handed out at once, and may even all be sent, before the
// rest is written; the campaign is not done until the plan is whole.
func TestStartPlansInParts(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	st.Campaigns.BatchSize = 50
	ctx := context.Background()
	c := newsletterTo(t, st, 2500)
	var parts [][]campaigns.BatchRef
	plan, err := st.Campaigns.Start(ctx, c.ID, time.Now(), func(bs []campaigns.BatchRef) {
		parts = append(parts, bs)
		if len(parts) > 1 {
			return
		}
		d, b, whole := planned(t, st, c.ID)
		if d != 1000 || b != 20 || whole {
			t.Errorf("when the first part is handed out: %d deliveries, %d batches, planned %v; want 1000, 20, false", d, b, whole)
		}
		sendAll(t, st.Campaigns, bs)
		if done, err := st.Campaigns.FinishIfDone(ctx, c.ID); done || err != nil {
			t.Errorf("FinishIfDone with the first part sent = %v, %v; want not done: the rest is not planned yet", done, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || len(parts[0]) != 20 || len(parts[1]) != 30 || parts[1][0].Batch != 20 || parts[1][29].Batch != 49 {
		t.Fatalf("parts handed out: %d, want batches 0–19, then 20–49", len(parts))
	}
	if plan.Recipients != 2500 || plan.Batches != 50 {
		t.Errorf("plan = %d recipients, %d batches; want 2500, 50", plan.Recipients, plan.Batches)
	}
	if d, b, whole := planned(t, st, c.ID); d != 2500 || b != 50 || !whole {
		t.Errorf("after Start: %d deliveries, %d batches, planned %v", d, b, whole)
	}
	sendAll(t, st.Campaigns, parts[1])
	if done, err := st.Campaigns.FinishIfDone(ctx, c.ID); !done || err != nil {
		t.Errorf("FinishIfDone with all sent = %v, %v; want done", done, err)
	}
}

// The first part is written and handed out as soon as its recipients are
// read, before the rest of the audience is read: reading 100,000 took two
// thirds of the wait for the first mail. Here the rest is read only once
// the first part's batches are handed out; also when the audience names
// topics and each person has several of them (a row each).
func TestStartHandsOutTheFirstPartWhileTheAudienceIsRead(t *testing.T) {
	t.Parallel()
	for _, topics := range []string{"", "{ausbildung,jugend}"} {
		t.Run("topics "+topics, func(t *testing.T) {
			t.Parallel()
			st := testenv.NewStores(t)
			st.Campaigns.BatchSize = 50
			ctx := context.Background()
			c := newsletterTo(t, st, 2500)
			if topics != "" {
				st.DB.MustExec(`INSERT INTO subscriber_topics (subscriber_id, topic) SELECT s.id, t FROM subscribers s, unnest($1::text[]) t`, topics)
				st.DB.MustExec(`UPDATE campaigns SET audience_topics = $2 WHERE id = $1`, c.ID, topics)
			}
			handedOut := make(chan struct{})
			var reads []int // the limit of each read
			campaigns.SetRecipientReader(st.Campaigns, func(read campaigns.RecipientReader) campaigns.RecipientReader {
				return func(ctx context.Context, c *campaigns.Campaign, after int64, limit int, fn func(subscribers.Match) error) (int64, bool, error) {
					reads = append(reads, limit)
					if after > 0 {
						select {
						case <-handedOut:
						case <-time.After(5 * time.Second):
							return 0, false, errors.New("the first part was not handed out before the rest of the audience was read")
						}
					}
					return read(ctx, c, after, limit, fn)
				}
			})
			var parts [][]campaigns.BatchRef
			plan, err := st.Campaigns.Start(ctx, c.ID, time.Now(), func(bs []campaigns.BatchRef) {
				if parts = append(parts, bs); len(parts) == 1 {
					close(handedOut)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != 2 || len(parts[0]) != 20 || len(parts[1]) != 30 {
				t.Errorf("parts handed out: %d, want batches 0–19, then 20–49", len(parts))
			}
			if len(reads) != 2 || reads[0] != 1000 || reads[1] != 0 {
				t.Errorf("audience read with limits %v, want 1000, then the rest", reads)
			}
			if d, b, whole := planned(t, st, c.ID); d != 2500 || b != 50 || !whole || plan.Recipients != 2500 || plan.Batches != 50 {
				t.Errorf("after Start: %d deliveries, %d batches, planned %v, plan %+v", d, b, whole, plan)
			}
		})
	}
}

// An audience of exactly one first part is written as that part, and the
// plan is whole after it.
func TestStartPlansAnAudienceOfOnePart(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 999, 1000, 1001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			st := testenv.NewStores(t)
			st.Campaigns.BatchSize = 50
			c := newsletterTo(t, st, n)
			var batches int
			plan, err := st.Campaigns.Start(context.Background(), c.ID, time.Now(), func(bs []campaigns.BatchRef) { batches += len(bs) })
			if err != nil {
				t.Fatal(err)
			}
			want := (n + 49) / 50
			d, b, whole := planned(t, st, c.ID)
			if d != n || b != want || !whole || batches != want || plan.Recipients != n || plan.Batches != want {
				t.Errorf("%d deliveries, %d batches (%d handed out), planned %v, plan %d/%d; want %d, %d, planned",
					d, b, batches, whole, plan.Recipients, plan.Batches, n, want)
			}
			wantStatus := campaigns.StatusSending
			if n == 0 {
				wantStatus = campaigns.StatusDone
			}
			if plan.Campaign.Status != wantStatus {
				t.Errorf("status %s, want %s", plan.Campaign.Status, wantStatus)
			}
		})
	}
}

// A start that dies after its first part leaves the campaign sending but
// not planned; the sweep's ContinuePlans writes the rest, for exactly the
// people who have no delivery yet, in new batches.
func TestContinuePlansAfterADeadStart(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	st.Campaigns.BatchSize = 50
	c := newsletterTo(t, st, 2500)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := st.Campaigns.Start(ctx, c.ID, time.Now(), func([]campaigns.BatchRef) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with its context cancelled after the first part: %v", err)
	}
	if d, _, whole := planned(t, st, c.ID); d != 1000 || whole {
		t.Fatalf("after the dead start: %d deliveries, planned %v", d, whole)
	}
	if n, err := st.Campaigns.ContinuePlans(context.Background(), time.Hour, nil); n != 0 || err != nil {
		t.Errorf("ContinuePlans within the grace = %d, %v; want 0: the start may still be at work", n, err)
	}
	var got []campaigns.BatchRef
	n, err := st.Campaigns.ContinuePlans(context.Background(), 0, func(bs []campaigns.BatchRef) { got = append(got, bs...) })
	if n != 1 || err != nil {
		t.Fatalf("ContinuePlans = %d, %v", n, err)
	}
	if len(got) != 30 || got[0].Batch != 20 {
		t.Errorf("ContinuePlans handed out %d batches from %v; want 30 from batch 20", len(got), got)
	}
	if d, b, whole := planned(t, st, c.ID); d != 2500 || b != 50 || !whole {
		t.Errorf("after ContinuePlans: %d deliveries, %d batches, planned %v", d, b, whole)
	}
}

// A start that died just before its last commit, when all its batches
// had been sent: ContinuePlans finds nobody left to plan and marks the
// campaign done, since no batch is left to do it.
func TestContinuePlansFinishesACampaignSentMeanwhile(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	ctx := context.Background()
	c := newsletterTo(t, st, 120)
	var bs []campaigns.BatchRef
	if _, err := st.Campaigns.Start(ctx, c.ID, time.Now(), func(p []campaigns.BatchRef) { bs = append(bs, p...) }); err != nil {
		t.Fatal(err)
	}
	st.DB.MustExec(`UPDATE campaigns SET planned = false WHERE id = $1`, c.ID) // as if the last commit was lost
	sendAll(t, st.Campaigns, bs)
	if done, _ := st.Campaigns.FinishIfDone(ctx, c.ID); done {
		t.Fatal("done before it was planned")
	}
	if n, err := st.Campaigns.ContinuePlans(ctx, 0, nil); n != 1 || err != nil {
		t.Fatalf("ContinuePlans = %d, %v", n, err)
	}
	got, err := st.Campaigns.Get(ctx, c.ID)
	if err != nil || got.Status != campaigns.StatusDone {
		t.Errorf("after ContinuePlans: %v, %v; want done", got.Status, err)
	}
}

// A batch is claimed once; after its lease runs out another worker claims
// it again with a new fencing token, and the first worker's outcomes are
// refused; a deferred delivery puts the batch back in the queue at its
// time.
func TestBatchClaimLeaseAndRelease(t *testing.T) {
	t.Parallel()
	st, c := startedTo(t, 3, 3)
	ctx := context.Background()
	s := st.Campaigns
	ref := campaigns.BatchRef{CampaignID: c.ID, Batch: 0}
	first, ds, err := s.Claim(ctx, ref, time.Minute)
	if err != nil || first == nil || len(ds) != 3 || ds[0].Attempts != 1 {
		t.Fatalf("first claim: %+v, %d deliveries, %v", first, len(ds), err)
	}
	if again, _, err := s.Claim(ctx, ref, time.Minute); again != nil || err != nil {
		t.Fatalf("second claim while the lease runs: %+v, %v; want none", again, err)
	}
	if p, _ := s.Progress(ctx, c.ID); p.Sending != 3 {
		t.Errorf("progress while claimed: %+v, want 3 sending", p)
	}
	st.DB.MustExec(`UPDATE delivery_batches SET leased_until = now() - interval '1 second' WHERE campaign_id = $1`, c.ID)
	second, ds2, err := s.Claim(ctx, ref, time.Minute)
	if err != nil || second == nil || second.Attempts != 2 || len(ds2) != 3 {
		t.Fatalf("claim after the lease: %+v, %d deliveries, %v", second, len(ds2), err)
	}
	if lost, err := s.RecordBatch(ctx, first, []maillog.Outcome{ds[0].Sent("<old@x>", "250")}); lost != 1 || err != nil {
		t.Errorf("outcome of the lost claim: %d lost, %v; want 1 lost", lost, err)
	}
	if open, _, err := s.Release(ctx, first); open || err != nil {
		t.Errorf("release of the lost claim: %v, %v", open, err)
	}
	retry := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	outs := []maillog.Outcome{
		ds2[0].Sent("<a@x>", "250 ok"),
		ds2[1].Skipped("unsubscribed"),
		{Claim: ds2[2].Claim, Status: maillog.Queued, Reply: "451 later", RetryAt: &retry},
	}
	if lost, err := s.RecordBatch(ctx, second, outs); lost != 0 || err != nil {
		t.Fatalf("record: %d lost, %v", lost, err)
	}
	open, at, err := s.Release(ctx, second)
	if !open || at == nil || !at.Equal(retry) || err != nil {
		t.Errorf("release with a deferral = %v, %v, %v; want open at %v", open, at, err, retry)
	}
	if b, _, _ := s.Claim(ctx, ref, time.Minute); b != nil {
		t.Error("a batch waiting for its retry time was claimed")
	}
	var attempts []int
	st.DB.Select(&attempts, `SELECT attempts FROM deliveries WHERE campaign_id = $1 ORDER BY id`, c.ID)
	if len(attempts) != 3 || attempts[0] != 1 || attempts[2] != 1 {
		t.Errorf("attempts = %v; each recorded try counts one", attempts)
	}
	if done, _ := s.FinishIfDone(ctx, c.ID); done {
		t.Error("done with a delivery waiting for its retry")
	}
}

// Release ends a batch as done when every delivery its claim read has a
// final outcome and none was waiting for a later retry; otherwise the
// batch stays open: an outcome not recorded, a retry recorded, a delivery
// waiting that the claim did not read.
func TestReleaseKnowsWhenDone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		waiting  bool // one of the three waits for its retry when claimed
		final    int  // how many of those read get a final outcome
		retry    bool // the last one read is recorded as a retry
		wantOpen bool
	}{
		{"all sent", false, 3, false, false},
		{"one not recorded", false, 2, false, true},
		{"one retried", false, 2, true, true},
		{"one waiting", true, 2, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, c := startedTo(t, 3, 3)
			ctx := context.Background()
			s := st.Campaigns
			if tt.waiting {
				st.DB.MustExec(`UPDATE deliveries SET retry_at = now() + interval '1 hour'
					WHERE id = (SELECT max(id) FROM deliveries WHERE campaign_id = $1)`, c.ID)
			}
			b, ds, err := s.Claim(ctx, campaigns.BatchRef{CampaignID: c.ID, Batch: 0}, time.Minute)
			if err != nil || b == nil {
				t.Fatalf("claim: %v, %v", b, err)
			}
			var outs []maillog.Outcome
			for _, d := range ds[:tt.final] {
				outs = append(outs, d.Sent("<m@example.org>", "250 ok"))
			}
			if tt.retry {
				later := time.Now().Add(time.Hour)
				outs = append(outs, maillog.Outcome{Claim: ds[len(ds)-1].Claim, Status: maillog.Queued, Reply: "451 later", RetryAt: &later})
			}
			if lost, err := s.RecordBatch(ctx, b, outs); lost != 0 || err != nil {
				t.Fatalf("record: %d lost, %v", lost, err)
			}
			open, _, err := s.Release(ctx, b)
			var status string
			st.DB.Get(&status, `SELECT status FROM delivery_batches WHERE campaign_id = $1`, c.ID)
			if err != nil || open != tt.wantOpen || (status == "done") == tt.wantOpen {
				t.Errorf("release = open %v, %v, the batch %s; want open %v", open, err, status, tt.wantOpen)
			}
		})
	}
}

// Cancelling leaves a batch that a worker holds to it: its outcomes are
// recorded; the other batches' deliveries are cancelled, and a claim
// afterwards gets nothing.
func TestCancelLeavesHeldBatches(t *testing.T) {
	t.Parallel()
	st, c := startedTo(t, 4, 2)
	ctx := context.Background()
	s := st.Campaigns
	held, ds, err := s.Claim(ctx, campaigns.BatchRef{CampaignID: c.ID, Batch: 0}, time.Minute)
	if err != nil || held == nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if b, _, err := s.Claim(ctx, campaigns.BatchRef{CampaignID: c.ID, Batch: 1}, time.Minute); b != nil || err != nil {
		t.Errorf("claim after cancel: %+v, %v", b, err)
	}
	if lost, err := s.RecordBatch(ctx, held, []maillog.Outcome{ds[0].Sent("<a@x>", "250"), ds[1].Sent("<b@x>", "250")}); lost != 0 || err != nil {
		t.Errorf("the held batch's outcomes: %d lost, %v", lost, err)
	}
	p, err := s.Progress(ctx, c.ID)
	if err != nil || p.Sent != 2 || p.Cancelled != 2 {
		t.Errorf("progress = %+v, %v; want 2 sent, 2 cancelled", p, err)
	}
}

// Recording an outcome writes the delivery's row in place (a HOT update),
// however long the relay's reply: no index holds its status, and the
// row's page has room for every row on it to grow by its Message-ID and
// reply while the versions before are still held. Each outcome that does
// not fit writes its row on another page and an entry in every index:
// at fillfactor 50, about 28% of them (cmd/rundbrief-bench).
func TestOutcomesAreHOTUpdates(t *testing.T) {
	t.Parallel()
	replies := []struct{ relay, reply string }{
		{"Postfix", "2.0.0 Ok: queued as 4ZK3x96JXkz9sT3"},
		{"Exchange Online", "2.6.0 <mi8x3k2a.0123456789abcdef01234567@lra-nordhausen.de> [InternalId=1546188322941, " +
			"Hostname=FR2P281MB1234.DEUP281.PROD.OUTLOOK.COM] 21345 bytes in 0.095, 219.212 KB/sec Queued mail for delivery"},
	}
	for _, tt := range replies {
		t.Run(tt.relay, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := testenv.NewStores(t)
			c := newsletterTo(t, st, 1000)
			var bs []campaigns.BatchRef
			if _, err := st.Campaigns.Start(ctx, c.ID, time.Now(), func(p []campaigns.BatchRef) { bs = append(bs, p...) }); err != nil {
				t.Fatal(err)
			}
			pages := func() map[int64]string {
				var rows []struct {
					ID   int64  `db:"id"`
					Page string `db:"page"`
				}
				if err := st.DB.Select(&rows, `SELECT id, (ctid::text::point)[0]::text AS page FROM deliveries`); err != nil {
					t.Fatal(err)
				}
				m := make(map[int64]string, len(rows))
				for _, r := range rows {
					m[r.ID] = r.Page
				}
				return m
			}
			before := pages()
			// A batch's outcomes in one statement: every row of a page at once.
			for _, ref := range bs {
				b, ds, err := st.Campaigns.Claim(ctx, ref, time.Minute)
				if err != nil || b == nil {
					t.Fatalf("claim %+v: %v, %v", ref, b, err)
				}
				outs := make([]maillog.Outcome, len(ds))
				for i, d := range ds {
					outs[i] = d.Sent(fmt.Sprintf("mi8x3k2a.%024x@lra-nordhausen.de", d.ID), tt.reply)
				}
				if lost, err := st.Campaigns.RecordBatch(ctx, b, outs); err != nil || lost != 0 {
					t.Fatalf("record %+v: %d lost, %v", ref, lost, err)
				}
			}
			after := pages()
			moved := 0
			for id, page := range before {
				if after[id] != page {
					moved++
				}
			}
			if moved != 0 || len(after) != 1000 {
				t.Errorf("%d of %d deliveries moved to another page with their outcome, want none", moved, len(after))
			}
		})
	}
}

// The outcome statement looks each delivery up by its ID and each claim
// of its fence up by the batch's key, also in the plan PostgreSQL keeps
// for it (a generic plan) when the tables held only a campaign's first
// part. With the fence a join of the deliveries, that plan went from the
// fence's campaign to all of its deliveries, and once the campaign had
// 100,000 each statement read them all (2.5 ms per mail); with the claims
// a join of the batches, it read all of the batches for every statement
// (a fifth of PostgreSQL's CPU at 1,000 batches). After a vacuum of the
// small tables see TestBatchStatementsReadNoTableWhole.
func TestOutcomePlanLooksDeliveriesUpByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := startedTo(t, 1000, 100)
	conn, err := st.DB.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE outcomes AS ` + campaigns.OutcomeSQL()} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var lines []string
	if err := conn.SelectContext(ctx, &lines, `EXPLAIN EXECUTE outcomes('{1}', '{0}', '{1}', '{1,2}', '{1,1}', '{sent,sent}',
		'{a@example.org,b@example.org}', '{ok,ok}', '{"",""}')`); err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	// A claim is looked up by the batch's key in either index that has
	// it (the open batches' too, since a claim is open).
	for _, want := range []string{"Index Scan using deliveries_pkey", "Index Cond: ((campaign_id = f.campaign_id) AND (batch = f.batch))"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the generic plan has no %q:\n%s", want, plan)
		}
	}
	for _, bad := range []string{"deliveries_once", "Seq Scan", "Hash"} {
		if strings.Contains(plan, bad) {
			t.Errorf("the generic plan has a %q:\n%s", bad, plan)
		}
	}
}

// A campaign cancelled while it is being planned is planned no further:
// Start stops after the part it was writing, without an error, and the
// sweep does not take the plan up again.
func TestCancelStopsThePlan(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	ctx := context.Background()
	c := newsletterTo(t, st, 2500)
	plan, err := st.Campaigns.Start(ctx, c.ID, time.Now(), func([]campaigns.BatchRef) {
		if _, err := st.Campaigns.Cancel(ctx, c.ID); err != nil {
			t.Error(err)
		}
	})
	if err != nil || plan.Recipients != 1000 {
		t.Fatalf("Start cancelled after its first part = %+v, %v; want 1000 recipients, no error", plan, err)
	}
	if d, _, _ := planned(t, st, c.ID); d != 1000 {
		t.Errorf("%d deliveries written, want the first part's 1000", d)
	}
	if n, err := st.Campaigns.ContinuePlans(ctx, 0, nil); n != 0 || err != nil {
		t.Errorf("ContinuePlans of a cancelled campaign = %d, %v", n, err)
	}
	if p, _ := st.Campaigns.Progress(ctx, c.ID); p.Cancelled != 1000 {
		t.Errorf("progress %+v, want 1000 cancelled", p)
	}
}

// An outcome is written only under its own batch's claim: one recorded
// with the claim of another batch, of the same campaign or of another, is
// lost, whatever the two batches' numbers.
func TestOutcomesNeedTheirOwnBatchsClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, a := startedTo(t, 4, 2)
	s := st.Campaigns
	b, err := s.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Zweiter Rundbrief", Body: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, b.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	type claimed struct {
		batch *campaigns.Batch
		ds    []*campaigns.Delivery
	}
	claims := map[string]claimed{}
	for name, ref := range map[string]campaigns.BatchRef{
		"a0": {CampaignID: a.ID, Batch: 0}, "a1": {CampaignID: a.ID, Batch: 1},
		"b0": {CampaignID: b.ID, Batch: 0}, "b1": {CampaignID: b.ID, Batch: 1},
	} {
		batch, ds, err := s.Claim(ctx, ref, time.Minute)
		if err != nil || batch == nil || len(ds) != 2 {
			t.Fatalf("claim %s: %+v, %d deliveries, %v", name, batch, len(ds), err)
		}
		claims[name] = claimed{batch, ds}
	}
	for _, tc := range []struct {
		claim, of string
		want      int // outcomes written
	}{
		{"a1", "a0", 0},
		{"a0", "b0", 0},
		{"a1", "b0", 0},
		{"b0", "a1", 0},
		{"b1", "a1", 0},
		{"b0", "b0", 1},
		{"a1", "a1", 1},
	} {
		d := claims[tc.of].ds[0]
		written, err := s.Record(ctx, []campaigns.ClaimedOutcome{{Batch: claims[tc.claim].batch, Outcome: d.Sent("<m@example.org>", "250 ok")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(written) != tc.want {
			t.Errorf("outcome of a delivery of %s under the claim of %s: %d written, want %d", tc.of, tc.claim, len(written), tc.want)
		}
	}
}
