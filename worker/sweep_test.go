package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// Each step of the sweep finds its own kind of work in PostgreSQL, with no
// task in Redis: an opt-in mail, a registration mail, a scheduled
// campaign whose time has come, a due reminder, and the batches of a
// campaign started without its tasks. A second sweep finds the tasks
// queued already and queues nothing new.
func TestSweepStepsFindTheirWork(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	e.cfg.Events = e.events
	ctx := context.Background()
	realNow := time.Now()

	e.add(t, "neu@example.org", "Neu", "de") // owes an opt-in mail
	ev := e.publish(t, "regionalkonferenz-2027.yaml")
	who := e.populate(t, group{prefix: "firma", n: 30, kind: subscribers.KindCompany, topics: []string{"ausbildung"}, confirmed: true})["firma"]
	guest, err := e.store.GetByEmail(ctx, who[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.events.Register(ctx, ev.ID, guest.ID, 1, events.ByStaff, realNow); err != nil {
		t.Fatal(err)
	}
	scheduled, err := e.campaigns.Create(ctx, newsletter())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.campaigns.Schedule(ctx, scheduled.ID, realNow.Add(time.Hour), realNow); err != nil {
		t.Fatal(err)
	}
	started, err := e.campaigns.Create(ctx, newsletter())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.campaigns.Start(ctx, started.ID, realNow, nil) // its tasks are lost
	if err != nil {
		t.Fatal(err)
	}

	at := ev.Start.Add(-7*24*time.Hour + time.Minute) // the week's reminder is due
	w := e.worker(t, func(c *worker.Config) { c.Now = func() time.Time { return at } })
	results, err := w.Sweep(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"subscription mails":  1, // the imported are confirmed: only Neu's opt-in
		"registration mails":  1,
		"scheduled campaigns": 1,
		"reminders":           1, // to the one registered: one batch
		"campaign batches":    plan.Batches,
	}
	for _, r := range results {
		if r.Queued != want[r.Step] || r.Err != nil {
			t.Errorf("step %q queued %d (%v), want %d", r.Step, r.Queued, r.Err, want[r.Step])
		}
		delete(want, r.Step)
	}
	if len(want) != 0 {
		t.Errorf("steps not run: %v", want)
	}
	var reminders []int64
	e.db.Select(&reminders, `SELECT id FROM campaigns WHERE kind = $1 AND status = $2`, campaigns.KindReminder, campaigns.StatusSending)
	if len(reminders) != 1 {
		t.Errorf("%d reminder campaigns being sent, want 1", len(reminders))
	}

	again, err := w.Sweep(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range again {
		if r.Queued != 0 && r.Step != "scheduled campaigns" {
			t.Errorf("second sweep: step %q queued %d again", r.Step, r.Queued)
		}
	}
}
