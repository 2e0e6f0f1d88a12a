package worker_test

import (
	"context"
	"mime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// clock is a test's injected time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (c *clock) String() string  { return c.Now().Format(time.RFC3339) }
func subjectOf(m smtptest.Message) string {
	s, _ := new(mime.WordDecoder).DecodeHeader(m.Header().Get("Subject"))
	return s
}

// The life of an event with registration, on real PostgreSQL, Redis and a
// loopback relay with an injected clock: registrations up to capacity and
// a waitlist; a cancellation moves the first fitting person up and mails
// them; the 7-day and 1-day reminders go once each to those registered —
// across a worker restart and a Redis that lost its data in between —
// never to who cancelled or waits; the cancellation of the event brings a
// METHOD:CANCEL mail to the registered ones and those waiting, and no
// further reminders.
func TestEventLifeWithRemindersAndCancellation(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	clk := &clock{}
	e.cfg.Events, e.cfg.Now = e.events, clk.Now
	ctx := context.Background()

	ev := e.publish(t, "job-speeddating-2027.yaml")
	spec := ev.Spec
	spec.Capacity, spec.Deadline = 4, nil
	spec.Reminders = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, 2 * time.Hour}
	if _, _, err := e.events.Update(ctx, ev.Slug, spec); err != nil {
		t.Fatal(err)
	}
	who := e.populate(t, group{prefix: "p", n: 5, kind: subscribers.KindCompany, confirmed: true})["p"]
	id := func(addr string) int64 {
		s, err := e.store.GetByEmail(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	anna, ben, cora, dirk, emil := who[0], who[1], who[2], who[3], who[4]
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	do := func(out *events.Outcome, err error) *events.Outcome {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueRegistrationMails(ctx, out.Mails); err != nil {
			t.Fatal(err)
		}
		return out
	}
	run := func() {
		t.Helper()
		e.runUntilEmpty(t, e.worker(t, func(c *worker.Config) { c.RequeueAfter = time.Millisecond }))
	}

	clk.Set(ev.Start.Add(-10 * 24 * time.Hour))
	do(e.events.Register(ctx, ev.ID, id(anna), 2, events.ByWeb, clk.Now()))
	do(e.events.Register(ctx, ev.ID, id(ben), 2, events.ByWeb, clk.Now())) // full
	do(e.events.Register(ctx, ev.ID, id(dirk), 3, events.ByWeb, clk.Now()))
	do(e.events.Register(ctx, ev.ID, id(cora), 1, events.ByWeb, clk.Now()))
	do(e.events.Register(ctx, ev.ID, id(emil), 1, events.ByWeb, clk.Now()))
	// Anna cancels: 2 places free. Dirk (3) waits first but does not fit;
	// Cora (1) and Emil (1) do, in the order they came.
	out := do(e.events.Cancel(ctx, ev.ID, id(anna), clk.Now()))
	var moved []int64
	for _, r := range out.MovedUp {
		moved = append(moved, r.SubscriberID)
	}
	if !slices.Equal(moved, []int64{id(cora), id(emil)}) {
		t.Fatalf("moved up %v, want Cora and Emil", moved)
	}
	run()

	mark := len(e.relay.Messages())
	clk.Set(ev.Start.Add(-7*24*time.Hour + time.Minute))
	run()
	run() // a restart at the same time sends nothing again
	sevenDay := e.relay.Messages()[mark:]

	testenv.FlushNamespace(t, e.redis, e.ns) // Redis loses everything between the marks
	mark = len(e.relay.Messages())
	clk.Set(ev.Start.Add(-24*time.Hour + time.Minute))
	run()
	oneDay := e.relay.Messages()[mark:]

	mark = len(e.relay.Messages())
	_, err := e.campaigns.Notify(ctx, campaigns.Spec{Kind: campaigns.KindCancellation, Event: ev.Slug,
		Note: "Die Hochschule ist wegen eines Wasserschadens geschlossen."}, clk.Now())
	if err == nil {
		t.Fatal("a cancellation campaign was started for an event that is not cancelled")
	}
	cancelled, changed, err := e.events.CancelEvent(ctx, ev.Slug, "")
	if err != nil || !changed || cancelled.Sequence <= ev.Sequence {
		t.Fatalf("cancel event: %v, changed %v, sequence %d", err, changed, cancelled.Sequence)
	}
	plan, err := e.campaigns.Notify(ctx, campaigns.Spec{Kind: campaigns.KindCancellation, Event: ev.Slug,
		Note: "Die Hochschule ist wegen eines Wasserschadens geschlossen."}, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.EnqueueBatches(ctx, worker.PlannedBatches(plan)); err != nil {
		t.Fatal(err)
	}
	run()
	cancellation := e.relay.Messages()[mark:]

	mark = len(e.relay.Messages())
	clk.Set(ev.Start.Add(-2*time.Hour + time.Minute)) // the 2-hour mark of a cancelled event
	run()
	after := e.relay.Messages()[mark:]

	registered := []string{ben, cora, emil}
	// Cora reads English (every third subscriber of populate does).
	check := func(name string, msgs []smtptest.Message, prefix, prefixEN string, to []string, wantMethod string) {
		t.Helper()
		var got []string
		for _, m := range msgs {
			want := prefix
			if m.To[0] == cora {
				want = prefixEN
			}
			if !strings.HasPrefix(subjectOf(m), want) {
				t.Errorf("%s: unexpected mail %q to %v", name, subjectOf(m), m.To)
				continue
			}
			got = append(got, m.To[0])
			part, ok := m.Part("text/calendar")
			if !ok {
				t.Errorf("%s: no calendar file", name)
				continue
			}
			cal, vevent := icstest.Parse(t, part.Body)
			if got := icstest.Text(t, cal.Component, "METHOD"); got != wantMethod {
				t.Errorf("%s: METHOD %q, want %q", name, got, wantMethod)
			}
			if uid := icstest.Text(t, vevent.Component, "UID"); uid != ev.UID(e.cfg.From) {
				t.Errorf("%s: UID %q, want %q", name, uid, ev.UID(e.cfg.From))
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(to))
		if !slices.Equal(got, want) {
			t.Errorf("%s went to %v, want %v", name, got, want)
		}
	}
	check("7-day reminder", sevenDay, "Erinnerung: Job-Speeddating – in 7 Tagen", "Reminder: Job speed dating – in 7 days", registered, "PUBLISH")
	check("1-day reminder", oneDay, "Erinnerung: Job-Speeddating – morgen", "Reminder: Job speed dating – tomorrow", registered, "PUBLISH")
	// The cancellation goes to Dirk too, who waits: he would come if a
	// place freed up.
	check("cancellation", cancellation, "Abgesagt: Job-Speeddating", "Cancelled: Job speed dating", append(slices.Clone(registered), dirk), "CANCEL")
	if len(after) != 0 {
		t.Errorf("%d mails after the event was cancelled, want none", len(after))
	}

	// Cora and Emil were told a place had become free.
	freed := 0
	for _, m := range e.relay.Messages() {
		if s := subjectOf(m); strings.HasPrefix(s, "Ein Platz ist frei geworden") || strings.HasPrefix(s, "A place has become free") {
			freed++
			if !slices.Contains([]string{cora, emil}, m.To[0]) {
				t.Errorf("%s was told a place became free", m.To[0])
			}
		}
	}
	if freed != 2 {
		t.Errorf("%d moved-up mails, want 2", freed)
	}
}

// An update keeps the UID and carries the raised SEQUENCE and the new time,
// so calendars move the entry; it says what changed at the top.
func TestUpdateNoticeMovesTheCalendarEntry(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	e.cfg.Events = e.events
	ctx := context.Background()
	ev := e.publish(t, "talent-campus-2027.yaml") // takes registrations
	who := e.populate(t, group{prefix: "u", n: 1, kind: subscribers.KindFamily, confirmed: true})["u"]
	s, err := e.store.GetByEmail(ctx, who[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.events.Register(ctx, ev.ID, s.ID, 1, events.ByWeb, time.Now()); err != nil {
		t.Fatal(err)
	}
	spec := ev.Spec
	spec.Start, spec.End = ev.Start.Add(7*24*time.Hour), ev.End.Add(7*24*time.Hour)
	spec.Sessions = nil
	for _, x := range ev.Sessions {
		spec.Sessions = append(spec.Sessions, events.Session{Start: x.Start.Add(7 * 24 * time.Hour), End: x.End.Add(7 * 24 * time.Hour)})
	}
	moved, change, err := e.events.Update(ctx, ev.Slug, spec)
	if err != nil || !change.Time {
		t.Fatal(err)
	}
	plan, err := e.campaigns.Notify(ctx, campaigns.Spec{Kind: campaigns.KindUpdate, Event: ev.Slug, Note: "Neue Zeit: eine Woche später."}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	if _, err := client.EnqueueBatches(ctx, worker.PlannedBatches(plan)); err != nil {
		t.Fatal(err)
	}
	e.runUntilEmpty(t, e.worker(t, nil))
	var update *smtptest.Message
	for _, m := range e.relay.Messages() {
		if strings.HasPrefix(subjectOf(m), "Geändert: ") {
			update = &m
		}
	}
	if update == nil {
		t.Fatal("no update mail")
	}
	if !strings.Contains(update.Text(), "Neue Zeit: eine Woche später.") || !strings.Contains(update.Text(), "/cancel/") {
		t.Errorf("the update does not say what changed or how to cancel:\n%s", update.Text())
	}
	part, _ := update.Part("text/calendar")
	cal, vevent := icstest.Parse(t, part.Body)
	start, _ := vevent.DateTimeStart(time.UTC)
	if icstest.Text(t, cal.Component, "METHOD") != "PUBLISH" || icstest.Text(t, vevent.Component, "UID") != ev.UID(e.cfg.From) ||
		icstest.Text(t, vevent.Component, "SEQUENCE") != "1" || moved.Sequence != 1 || !start.Equal(spec.Start) {
		t.Errorf("update calendar file:\n%s", part.Body)
	}
}
