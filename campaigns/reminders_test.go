package campaigns_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// A due reminder becomes one campaign however many workers look at once,
// and a sweep after a crash between creating the campaign and marking the
// reminder finds the same campaign instead of making a second.
func TestDueReminderBecomesOneCampaign(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	db, store := st.DB, st.Campaigns
	ctx := context.Background()
	e := st.PublishedEvent(t, "codeweek-2027.yaml")
	now := e.Start.Add(-7*24*time.Hour + time.Minute) // the 7-day reminder is due

	var mu sync.Mutex
	var got [][]int64
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids, err := store.DueReminders(ctx, now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, ids)
			mu.Unlock()
		}()
	}
	wg.Wait()
	var made []int64
	if err := db.Select(&made, `SELECT id FROM campaigns WHERE kind = 'reminder' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(made) != 1 {
		t.Fatalf("6 sweeps at once made %d reminder campaigns, want 1", len(made))
	}
	for _, ids := range got {
		if !slices.Equal(ids, made) {
			t.Errorf("a sweep returned %v to start, want %v", ids, made)
		}
	}
	c, err := store.Get(ctx, made[0])
	if err != nil || c.ReminderHours != 168 || c.EventTitle != e.Title || c.EventSlug != e.Slug || c.ToRegistered != e.Registration {
		t.Errorf("reminder campaign = %+v, %v", c, err)
	}

	// A crash after the campaign was made, before the reminder was marked.
	db.MustExec(`UPDATE reminders SET status = 'pending', campaign_id = NULL WHERE hours = 168`)
	ids, err := store.DueReminders(ctx, now)
	if err != nil || !slices.Equal(ids, made) {
		t.Errorf("sweep after the crash = %v, %v; want %v", ids, err, made)
	}
	var sent int
	db.Get(&sent, `SELECT count(*) FROM reminders WHERE hours = 168 AND status = 'sent' AND campaign_id = $1`, made[0])
	if sent != 1 {
		t.Error("the reminder is not marked sent with its campaign after the second sweep")
	}
}
