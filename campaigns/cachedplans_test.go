package campaigns_test

import (
	"context"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// An office sends a campaign to a few colleagues first, to see it, and
// then to everybody. The plans PostgreSQL keeps on a worker's connection
// for the statements of every batch (generic plans, made on the sixth
// run) are then made while delivery_batches holds a page: a plan that
// reads it whole, or that joins the claims with all of it, is the
// cheapest then, and it is kept while the table grows. Sending the next
// campaign must look batches up by their keys and read neither table
// whole, whether autovacuum came by between the two (which makes every
// backend plan again, with statistics of a table of one page) or not.
func TestBatchStatementsReadNoTableWhole(t *testing.T) {
	t.Parallel()
	for _, vacuumed := range []bool{false, true} {
		t.Run(map[bool]string{false: "not vacuumed", true: "vacuumed"}[vacuumed], func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := testenv.NewStores(t)
			st.DB.SetMaxOpenConns(1) // one backend: its plans and its counts
			st.Campaigns.BatchSize = 1
			first := newsletterTo(t, st, 10)
			plan, err := st.Campaigns.Start(ctx, first.ID, time.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			sendAndFinish(t, st.Campaigns, first.ID, plan.Batches)
			if vacuumed {
				st.DB.MustExec(`VACUUM ANALYZE deliveries, delivery_batches`)
			}

			// 400 batches: a table of several pages (one of 100,000
			// recipients has 1,000 batches), and more than autovacuum
			// lets pass before it analyzes the table (50 and a tenth).
			st.Campaigns.BatchSize = 3
			st.DB.MustExec(`INSERT INTO subscribers (email, name, kind, language, status, confirmed_at)
				SELECT 'everybody' || g || '@example.org', 'Person ' || g, 'family', 'de', 'confirmed', now()
				FROM generate_series(1, 1190) AS g`)
			second, err := st.Campaigns.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief", Body: "Hallo"})
			if err != nil {
				t.Fatal(err)
			}
			if plan, err = st.Campaigns.Start(ctx, second.ID, time.Now(), nil); err != nil || plan.Batches != 400 {
				t.Fatalf("Start = %+v, %v; want 400 batches", plan, err)
			}
			before := seqScans(t, st)
			sendAndFinish(t, st.Campaigns, second.ID, plan.Batches)
			after := seqScans(t, st)
			for table, n := range after {
				if n != before[table] {
					t.Errorf("sending 400 batches read %s whole %d times, want 0", table, n-before[table])
				}
			}
		})
	}
}

// sendAndFinish sends the batches of campaign id as a worker does, and
// asks after each whether the campaign is done.
func sendAndFinish(t *testing.T, s *campaigns.Store, id int64, batches int) {
	t.Helper()
	for b := range batches {
		sendAll(t, s, []campaigns.BatchRef{{CampaignID: id, Batch: b}})
		done, err := s.FinishIfDone(context.Background(), id)
		if err != nil || done != (b == batches-1) {
			t.Fatalf("FinishIfDone after batch %d of %d = %v, %v", b, batches, done, err)
		}
	}
}

// seqScans returns how often deliveries and delivery_batches were read
// whole, as the cumulative statistics count it, including the test's one
// backend.
func seqScans(t *testing.T, st *testenv.Stores) map[string]int64 {
	t.Helper()
	// The backend sends what it counted when it is next idle.
	st.DB.MustExec(`SELECT pg_stat_force_next_flush()`)
	var rows []struct {
		Table string `db:"relname"`
		N     int64  `db:"seq_scan"`
	}
	if err := st.DB.Select(&rows, `SELECT relname, seq_scan FROM pg_stat_user_tables
		WHERE relname IN ('deliveries', 'delivery_batches')`); err != nil {
		t.Fatal(err)
	}
	n := map[string]int64{}
	for _, r := range rows {
		n[r.Table] = r.N
	}
	if len(n) != 2 {
		t.Fatalf("statistics of %d tables, want 2", len(n))
	}
	return n
}
