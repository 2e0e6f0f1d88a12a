package worker_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

func newsletter() campaigns.Spec {
	return campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief Dezember", Body: "Neues aus der **Netzwerkstelle**."}
}

func (e *campaignEnv) progress(t *testing.T, id int64) campaigns.Progress {
	t.Helper()
	p, err := e.campaigns.Progress(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Someone who unsubscribes while a campaign is being sent gets nothing
// more from it: their delivery is skipped.
func TestUnsubscribeMidCampaignStopsMail(t *testing.T) {
	t.Parallel()
	var (
		once sync.Once
		e    *campaignEnv
		mu   sync.Mutex
		last []string // who unsubscribed
	)
	ctx := context.Background()
	e = setupCampaigns(t, smtptest.Options{
		DataDelay: 5 * time.Millisecond,
		OnMessage: func(smtptest.Message) {
			once.Do(func() {
				// The first mail is at the relay. Ten people whose mail is
				// still queued, in a batch no worker holds yet, unsubscribe
				// now.
				var ids []int64
				if err := e.db.SelectContext(ctx, &ids, `SELECT d.subscriber_id FROM deliveries d
					JOIN delivery_batches b ON b.campaign_id = d.campaign_id AND b.batch = d.batch
					WHERE d.status = 'queued' AND b.status = 'queued' ORDER BY d.id DESC LIMIT 10`); err != nil {
					t.Error(err)
					return
				}
				for _, id := range ids {
					s, err := e.store.Get(ctx, id)
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := e.store.Unsubscribe(ctx, id, subscribers.Consent{Source: subscribers.SourceWeb}); err != nil {
						t.Error(err)
					}
					mu.Lock()
					last = append(last, s.Email)
					mu.Unlock()
				}
			})
		},
	})
	who := e.populate(t, group{prefix: "leser", n: 100, kind: subscribers.KindCompany, confirmed: true})
	plan := e.send(t, newsletter())
	var logBuf bytes.Buffer
	e.runUntilEmpty(t, e.worker(t, func(c *worker.Config) {
		c.Concurrency = 1
		c.Logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", logBuf.String())
		}
	}()

	if len(last) != 10 {
		t.Fatalf("%d people unsubscribed mid-campaign, want 10", len(last))
	}
	got := byRecipient(e.relay.Messages(), "Rundbrief Dezember")
	for _, addr := range who["leser"] {
		n, unsubscribed := len(got[addr]), slices.Contains(last, addr)
		if unsubscribed && n != 0 {
			t.Errorf("%s unsubscribed mid-campaign and still got %d mails", addr, n)
		}
		if !unsubscribed && n != 1 {
			t.Errorf("%s got %d mails, want 1", addr, n)
		}
	}
	if p := e.progress(t, plan.Campaign.ID); p.Sent != 90 || p.Skipped != 10 || p.Remaining() != 0 {
		t.Errorf("progress %+v, want 90 sent and 10 skipped", p)
	}
}

// The relay's reply decides a delivery's end: a 4xx is retried, a 5xx for
// the mailbox bounces and suppresses the address, a policy 5xx fails the
// delivery without blaming the person, and retries run out.
func TestRelayRepliesDecideTheOutcome(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	who := e.populate(t, group{prefix: "r", n: 8, kind: subscribers.KindSchool, confirmed: true})["r"]
	later, unknown, policy, never := who[0], who[1], who[2], who[3]
	e.relay.Reply(later, smtptest.Temporary())
	e.relay.Reply(unknown, smtptest.Unknown())
	e.relay.Reply(policy, smtptest.Policy())
	e.relay.Reply(never, smtptest.Temporary(), smtptest.Temporary(), smtptest.Temporary())

	plan := e.send(t, newsletter())
	e.runUntilEmpty(t, e.worker(t, func(c *worker.Config) { c.MaxRetry = 2 }))

	got := byRecipient(e.relay.Messages(), "Rundbrief Dezember")
	for _, addr := range who {
		want := 1
		if addr == unknown || addr == policy || addr == never {
			want = 0
		}
		if len(got[addr]) != want {
			t.Errorf("%s got %d mails, want %d", addr, len(got[addr]), want)
		}
	}
	if p := e.progress(t, plan.Campaign.ID); p.Sent != 5 || p.Bounced != 1 || p.Failed != 2 {
		t.Errorf("progress %+v, want 5 sent, 1 bounced, 2 failed", p)
	}
	for addr, want := range map[string]subscribers.Status{
		unknown: subscribers.StatusBounced, policy: subscribers.StatusConfirmed, never: subscribers.StatusConfirmed,
	} {
		s, err := e.store.GetByEmail(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != want {
			t.Errorf("%s is %s, want %s", addr, s.Status, want)
		}
		suppressed, _ := e.store.IsSuppressed(ctx, addr)
		if suppressed != (want == subscribers.StatusBounced) {
			t.Errorf("%s suppressed = %v", addr, suppressed)
		}
	}
}

// A relay that answers in Latin-1 (an old server with a German text) is
// recorded like any other: its reply kept with U+FFFD for the bytes that
// are not UTF-8. Such a reply failed the statement that recorded it, and
// every mail whose outcome was in it went out again after the lease.
func TestRelayReplyNotInUTF8(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	who := e.populate(t, group{prefix: "l", n: 6, kind: subscribers.KindSchool, confirmed: true})["l"]
	unknown := who[0]
	e.relay.Reply(unknown, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Empf\xe4nger unbekannt"})

	plan := e.send(t, newsletter())
	e.runUntilEmpty(t, e.worker(t, nil))

	got := byRecipient(e.relay.Messages(), "Rundbrief Dezember")
	for _, addr := range who[1:] {
		if len(got[addr]) != 1 {
			t.Errorf("%s got %d mails, want 1", addr, len(got[addr]))
		}
	}
	if p := e.progress(t, plan.Campaign.ID); p.Sent != 5 || p.Bounced != 1 {
		t.Errorf("progress %+v, want 5 sent, 1 bounced", p)
	}
	var reply string
	if err := e.db.Get(&reply, `SELECT d.reply FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = $1`, unknown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reply, "Empf\uFFFDnger unbekannt") {
		t.Errorf("reply kept: %q", reply)
	}
}

// A campaign whose tasks were lost (Redis flushed after the deliveries were
// written) is sent in full from the delivery log, each mail once.
func TestLostTasksAreRebuiltFromTheDeliveryLog(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	who := e.populate(t, group{prefix: "x", n: 45, kind: subscribers.KindFamily, confirmed: true})["x"]
	c, err := e.campaigns.Create(ctx, newsletter())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.campaigns.Start(ctx, c.ID, time.Now(), nil); err != nil { // no tasks queued
		t.Fatal(err)
	}
	e.runUntilEmpty(t, e.worker(t, nil))
	got := byRecipient(e.relay.Messages(), "Rundbrief Dezember")
	for _, addr := range who {
		if len(got[addr]) != 1 {
			t.Errorf("%s got %d mails, want 1", addr, len(got[addr]))
		}
	}
}

// Pause holds a campaign, Resume finishes it, and Cancel stops one for
// good.
func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	e.populate(t, group{prefix: "p", n: 30, kind: subscribers.KindOther, confirmed: true})
	held := e.send(t, newsletter())
	if _, err := e.campaigns.Pause(ctx, held.Campaign.ID); err != nil {
		t.Fatal(err)
	}
	stopped := e.send(t, newsletter())
	if _, err := e.campaigns.Cancel(ctx, stopped.Campaign.ID); err != nil {
		t.Fatal(err)
	}
	e.runUntilEmpty(t, e.worker(t, nil))
	if n := len(e.relay.Messages()); n != 0 {
		t.Fatalf("%d mails sent of a paused and a cancelled campaign", n)
	}
	if p := e.progress(t, stopped.Campaign.ID); p.Cancelled != 30 {
		t.Errorf("cancelled campaign: %+v, want 30 cancelled", p)
	}
	if _, err := e.campaigns.Resume(ctx, stopped.Campaign.ID); err == nil {
		t.Error("a cancelled campaign was resumed")
	}

	if _, err := e.campaigns.Resume(ctx, held.Campaign.ID); err != nil {
		t.Fatal(err)
	}
	e.runUntilEmpty(t, e.worker(t, nil)) // finds the open batches and queues them
	if p := e.progress(t, held.Campaign.ID); p.Sent != 30 {
		t.Errorf("resumed campaign: %+v, want 30 sent", p)
	}
	if n := len(e.relay.Messages()); n != 30 {
		t.Errorf("%d mails sent, want 30", n)
	}
}

// A scheduled campaign starts by itself at its time.
func TestScheduledCampaignStarts(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	e.populate(t, group{prefix: "s", n: 5, kind: subscribers.KindCompany, confirmed: true})
	c, err := e.campaigns.Create(ctx, newsletter())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Second)
	if _, err := e.campaigns.Schedule(ctx, c.ID, at, time.Now()); err != nil {
		t.Fatal(err)
	}
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	if err := client.ScheduleCampaign(ctx, c.ID, at); err != nil {
		t.Fatal(err)
	}
	e.runUntilEmpty(t, e.worker(t, nil))
	if n := len(e.relay.Messages()); n != 5 {
		t.Fatalf("%d mails sent, want 5", n)
	}
	if first := e.relay.Messages()[0]; first.Header().Get("Date") == "" {
		t.Error("no Date header")
	}
	c, _ = e.campaigns.Get(ctx, c.ID)
	if c.StartedAt == nil || c.StartedAt.Before(at.Add(-time.Second)) || c.Status != campaigns.StatusDone {
		t.Errorf("campaign %s started at %v, want done and started at %v (the queue counts whole seconds)", c.Status, c.StartedAt, at)
	}
}

// RUNDBRIEF_RATE holds for all workers together: two workers at 20 mails
// a second need at least two seconds for 60 mails (a burst of 20, then 20
// a second), and still send each mail once.
func TestRateLimitHoldsAcrossWorkers(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	who := e.populate(t, group{prefix: "rate", n: 60, kind: subscribers.KindCompany, confirmed: true})["rate"]
	e.send(t, newsletter())
	edit := func(c *worker.Config) { c.Rate = 20 }
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		w := e.worker(t, edit)
		wg.Go(func() { e.runUntilEmpty(t, w) })
	}
	wg.Wait()
	if took := time.Since(start); took < 1800*time.Millisecond {
		t.Errorf("60 mails at 20/s took %v, want at least 2s", took)
	}
	got := byRecipient(e.relay.Messages(), "Rundbrief Dezember")
	for _, addr := range who {
		if len(got[addr]) != 1 {
			t.Errorf("%s got %d mails, want 1", addr, len(got[addr]))
		}
	}
}

// A letter whose envelope the relay accepted is not held back while the
// worker waits for the rate limit: at one mail a second, the first of two
// arrives a second before the second, not with it.
func TestRateLimitWaitSendsTheStartedLetter(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	e.populate(t, group{prefix: "takt", n: 2, kind: subscribers.KindCompany, confirmed: true})
	e.send(t, newsletter())
	w := e.worker(t, func(c *worker.Config) { c.Rate = 1 })
	done := make(chan struct{})
	go func() { defer close(done); e.runUntilEmpty(t, w) }()
	if got := e.relay.Wait(1, 10*time.Second); len(got) != 1 {
		t.Fatalf("relay has %d mails, want the first", len(got))
	}
	first := time.Now()
	got := e.relay.Wait(2, 10*time.Second)
	if gap := time.Since(first); len(got) != 2 || gap < 700*time.Millisecond {
		t.Errorf("the second of %d mails came %v after the first, want about a second: the first was held back for the wait", len(got), gap)
	}
	<-done
}

// Erasing a person erases their deliveries too; the campaign's counts
// shrink by one and nothing else changes.
func TestErasureRemovesDeliveries(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	who := e.populate(t, group{prefix: "weg", n: 3, kind: subscribers.KindFamily, confirmed: true})["weg"]
	plan := e.send(t, newsletter())
	e.runUntilEmpty(t, e.worker(t, nil))
	s, err := e.store.GetByEmail(ctx, who[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Erase(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := e.db.GetContext(ctx, &left, `SELECT count(*) FROM deliveries WHERE subscriber_id = $1`, s.ID); err != nil || left != 0 {
		t.Errorf("%d deliveries of an erased subscriber left (%v)", left, err)
	}
	if p := e.progress(t, plan.Campaign.ID); p.Total != 2 || p.Sent != 2 {
		t.Errorf("progress after erasure %+v, want 2 sent", p)
	}
	if got, _ := e.campaigns.Received(ctx, s.ID); len(got) != 0 {
		t.Errorf("the erased person still has %d campaigns", len(got))
	}
}

// A campaign moved to a later time does not start at the earlier one,
// though the earlier start task is still in the queue.
func TestRescheduledCampaignWaits(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	ctx := context.Background()
	e.populate(t, group{prefix: "spaeter", n: 3, kind: subscribers.KindSchool, confirmed: true})
	c, err := e.campaigns.Create(ctx, newsletter())
	if err != nil {
		t.Fatal(err)
	}
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	for _, at := range []time.Time{time.Now().Add(500 * time.Millisecond), time.Now().Add(time.Hour)} {
		if _, err := e.campaigns.Schedule(ctx, c.ID, at, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := client.ScheduleCampaign(ctx, c.ID, at); err != nil {
			t.Fatal(err)
		}
	}
	run, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := e.worker(t, nil).RunUntilEmpty(run, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if c, _ = e.campaigns.Get(ctx, c.ID); c.Status != campaigns.StatusScheduled || len(e.relay.Messages()) != 0 {
		t.Errorf("campaign %s with %d mails sent, want still scheduled and none", c.Status, len(e.relay.Messages()))
	}
}

// A batch that cannot be sent right after its claim (here the campaign
// cannot be read) goes back to the queue at once and is tried again with
// its task, not only after the lease; once the fault is gone, it is sent.
func TestBatchReleasedWhenItCannotBeSent(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	e.populate(t, group{prefix: "p", n: 5, kind: subscribers.KindCompany, confirmed: true})
	plan := e.send(t, newsletter())
	e.db.MustExec(`ALTER TABLE campaign_files RENAME TO campaign_files_away`)
	w := e.worker(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	var attempts int
	for deadline := time.Now().Add(20 * time.Second); attempts < 2 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := e.db.Get(&attempts, `SELECT attempts FROM delivery_batches WHERE campaign_id = $1`, plan.Campaign.ID); err != nil {
			t.Fatal(err)
		}
	}
	if attempts < 2 {
		t.Fatalf("the batch was claimed %d times in 20 s; a failed batch should be released and claimed again by its task's retry, not wait for the lease (10 min)", attempts)
	}
	e.db.MustExec(`ALTER TABLE campaign_files_away RENAME TO campaign_files`)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if p := e.progress(t, plan.Campaign.ID); p.Sent == 5 {
			return
		}
	}
	t.Errorf("after the fault: %+v, want 5 sent", e.progress(t, plan.Campaign.ID))
}
