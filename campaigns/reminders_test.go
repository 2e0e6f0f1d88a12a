package campaigns_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
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

// The follow-up an event file asks for is created once its time after the
// end has come, once however many workers look, and not at all when the
// worker comes back too long after.
func TestDueFollowUpBecomesOneCampaign(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	db, store := st.DB, st.Campaigns
	ctx := context.Background()
	e := st.PublishedEvent(t, "talent-campus-2027.yaml") // nachbereitung: 2d
	count := func() (n int) {
		t.Helper()
		if err := db.Get(&n, `SELECT count(*) FROM campaigns WHERE kind = 'followup'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := store.DueReminders(ctx, e.End.Add(47*time.Hour)); err != nil || count() != 0 {
		t.Fatalf("47 hours after the end: %d follow-ups (%v), want none yet", count(), err)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, err := store.DueReminders(ctx, e.End.Add(49*time.Hour)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if count() != 1 {
		t.Fatalf("6 sweeps at once made %d follow-ups, want 1", count())
	}
	var id int64
	if err := db.Get(&id, `SELECT id FROM campaigns WHERE kind = 'followup'`); err != nil {
		t.Fatal(err)
	}
	c, err := store.Get(ctx, id)
	if err != nil || c.Subject != "Danke für Ihr Kommen zum Talent-Campus" || !c.ToRegistered || c.ReminderHours != 48 {
		t.Errorf("the follow-up: %+v, %v", c, err)
	}
	ids, err := store.DueReminders(ctx, e.End.Add(50*time.Hour))
	if err != nil || !slices.Contains(ids, id) {
		t.Errorf("the follow-up is not among the campaigns to start: %v, %v", ids, err)
	}

	// Another event whose follow-up time passed more than a week ago.
	late := st.PublishedEvent(t, "seminarfachboerse-2027.yaml")
	if _, err := db.Exec(`UPDATE events SET details = jsonb_set(details, '{followup}', '{"after": 3600000000000, "subject": "Danke", "body": "Danke."}') WHERE id = $1`, late.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.DueReminders(ctx, late.End.Add(events.FollowUpWindow+2*time.Hour)); err != nil || count() != 1 {
		t.Errorf("a follow-up more than a week late was made: %d, %v", count(), err)
	}
}
