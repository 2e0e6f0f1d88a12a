package campaigns_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

type fixture struct {
	subs   *subscribers.Store
	events *events.Store
	store  *campaigns.Store
}

func setup(t *testing.T) *fixture {
	t.Helper()
	st := testenv.NewStores(t)
	return &fixture{subs: st.Subscribers, events: st.Events, store: st.Campaigns}
}

func (f *fixture) event(t *testing.T, file string, publish bool) *events.Event {
	t.Helper()
	e, err := f.events.Create(context.Background(), testenv.ExampleEvent(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if publish {
		if e, err = f.events.Publish(context.Background(), e.Slug); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func TestCreateChecksTheSpec(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	ev := f.event(t, "codeweek-2027.yaml", false)
	tests := []struct {
		name string
		spec campaigns.Spec
		want error
	}{
		{"newsletter without body", campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Hallo"}, campaigns.ErrInvalid},
		{"newsletter with a line break in the subject", campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "a\nBcc: x", Body: "b"}, campaigns.ErrInvalid},
		{"English subject without body", campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "a", Body: "b", SubjectEN: "c"}, campaigns.ErrInvalid},
		{"newsletter with an event", campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "a", Body: "b", Event: ev.Slug}, campaigns.ErrInvalid},
		{"invitation with a body", campaigns.Spec{Kind: campaigns.KindInvitation, Event: ev.Slug, Body: "a"}, campaigns.ErrInvalid},
		{"reminder with its own subject", campaigns.Spec{Kind: campaigns.KindReminder, Event: ev.Slug, Subject: "a"}, campaigns.ErrInvalid},
		{"update with an intro", campaigns.Spec{Kind: campaigns.KindUpdate, Event: ev.Slug, Intro: "Liebe Eltern,"}, campaigns.ErrInvalid},
		{"newsletter with an intro", campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "a", Body: "b", Intro: "c"}, campaigns.ErrInvalid},
		{"subject of two lines", campaigns.Spec{Kind: campaigns.KindInvitation, Event: ev.Slug, Subject: "a\nBcc: x"}, campaigns.ErrInvalid},
		{"invitation to no event", campaigns.Spec{Kind: campaigns.KindInvitation, Event: "gibt-es-nicht"}, events.ErrNotFound},
		{"unknown topic", campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "a", Body: "b",
			Audience: &subscribers.Audience{Topics: []string{"fussball"}}}, subscribers.ErrUnknownTopic},
		{"unknown kind", campaigns.Spec{Kind: "flyer"}, campaigns.ErrInvalid},
	}
	for _, tt := range tests {
		if _, err := f.store.Create(ctx, tt.spec); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}

	c, err := f.store.Create(ctx, campaigns.Spec{Kind: campaigns.KindInvitation, Event: ev.Slug})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Audience, (subscribers.Audience{Kinds: ev.Kinds, Topics: ev.Topics}); len(got.Kinds) != len(want.Kinds) || len(got.Topics) != len(want.Topics) {
		t.Errorf("an invitation's audience is %+v, want the event's %+v", got, want)
	}
	if c.Kind != campaigns.KindInvitation || c.EventTitle != ev.Title || c.Status != campaigns.StatusDraft {
		t.Errorf("created %s %q, %s", c.Kind, c.EventTitle, c.Status)
	}
}

func TestStartRules(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	draft := f.event(t, "codeweek-2027.yaml", false)
	inv, err := f.store.Create(ctx, campaigns.Spec{Kind: campaigns.KindInvitation, Event: draft.Slug})
	if err != nil {
		t.Fatal(err)
	}
	var notReady *campaigns.EventNotReadyError
	if _, err := f.store.Start(ctx, inv.ID, now, nil); !errors.As(err, &notReady) || notReady.Status != events.StatusDraft {
		t.Errorf("starting an invitation to a draft event: %v", err)
	}
	if _, err := f.store.Start(ctx, inv.ID, draft.End.Add(time.Hour), nil); !errors.Is(err, campaigns.ErrEventNotReady) {
		t.Errorf("starting an invitation to a past event: %v", err)
	}

	// Nobody matches: the campaign is done at once.
	nl, err := f.store.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "a", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := f.store.Start(ctx, nl.ID, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Recipients != 0 || plan.Batches != 0 || plan.Campaign.Status != campaigns.StatusDone {
		t.Errorf("empty plan %+v, status %s", plan, plan.Campaign.Status)
	}
	if _, err := f.store.Start(ctx, nl.ID, now, nil); !errors.Is(err, campaigns.ErrStatus) {
		t.Errorf("starting twice: %v", err)
	}
	if _, err := f.store.Pause(ctx, nl.ID); !errors.Is(err, campaigns.ErrStatus) {
		t.Errorf("pausing a finished campaign: %v", err)
	}
	if _, err := f.store.Schedule(ctx, inv.ID, now.Add(-time.Minute), now); !errors.Is(err, campaigns.ErrInvalid) {
		t.Errorf("scheduling in the past: %v", err)
	}
}

// A reminder of whole days keeps the clock time across a change of summer
// time: for an event at 10:00 on the day after the clocks change, the "1d"
// reminder is due at 10:00 the day before, not an hour early or late.
func TestDayRemindersKeepTheClockTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		start string // Europe/Berlin
		due   string // UTC
	}{
		{"2027-10-31 10:00", "2027-10-30T08:00:00Z"}, // clocks go back in the night before: 10:00 CEST
		{"2027-03-28 10:00", "2027-03-27T09:00:00Z"}, // clocks go forward in the night before: 10:00 CET
		{"2027-07-05 10:00", "2027-07-04T08:00:00Z"},
	} {
		t.Run(tc.start, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			ctx := context.Background()
			spec := testenv.ExampleEvent(t, "job-speeddating-2027.yaml")
			start, err := events.ParseTime(tc.start)
			if err != nil {
				t.Fatal(err)
			}
			spec.Start, spec.End, spec.Deadline, spec.Reminders = start, start.Add(3*time.Hour), nil, []time.Duration{24 * time.Hour}
			if _, err := f.events.Create(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if _, err := f.events.Publish(ctx, spec.Slug); err != nil {
				t.Fatal(err)
			}
			due, _ := time.Parse(time.RFC3339, tc.due)
			if ids, err := f.store.DueReminders(ctx, due.Add(-time.Minute)); err != nil || len(ids) != 0 {
				t.Errorf("a minute before %s: %d reminders (%v), want none", tc.due, len(ids), err)
			}
			if ids, err := f.store.DueReminders(ctx, due.Add(time.Minute)); err != nil || len(ids) != 1 {
				t.Errorf("a minute after %s: %d reminders (%v), want 1", tc.due, len(ids), err)
			}
		})
	}
}

// Starting a campaign holds one connection at a time: with a pool of one,
// it still plans (before, its transaction held the connection while the
// audience waited for a second one, and twenty starts at once could wait
// on each other for ever).
func TestStartNeedsOneConnection(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	db, subs, store := st.DB, st.Subscribers, st.Campaigns
	ctx := context.Background()
	for _, addr := range []string{"a@example.org", "b@example.org"} {
		if _, err := subs.Add(ctx, subscribers.NewSubscriber{Email: addr, Kind: subscribers.KindSchool},
			subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := store.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief", Body: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	run, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	plan, err := store.Start(run, c.ID, time.Now(), nil)
	if err != nil || plan.Recipients != 2 {
		t.Fatalf("Start with one connection: %+v, %v", plan, err)
	}
}

// A campaign whose last mails go out while it is paused is done when it
// is resumed, not "sending" for ever: no batch is left to finish it. (The
// fault test TestPauseResumeMidCampaign found it under load.)
func TestResumeFinishesACampaignSentWhilePaused(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	ctx := context.Background()
	if _, err := st.Subscribers.Add(ctx, subscribers.NewSubscriber{Email: "a@example.org", Kind: subscribers.KindSchool},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"}); err != nil {
		t.Fatal(err)
	}
	c, err := st.Campaigns.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief", Body: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Campaigns.Start(ctx, c.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	b, ds, err := st.Campaigns.Claim(ctx, campaigns.BatchRef{CampaignID: c.ID, Batch: 0}, time.Minute)
	if err != nil || b == nil || len(ds) != 1 {
		t.Fatalf("claim: %v, %v, %v", b, ds, err)
	}
	if _, err := st.Campaigns.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Campaigns.RecordBatch(ctx, b, []maillog.Outcome{ds[0].Sent("<m@example.org>", "250 ok")}); err != nil {
		t.Fatal(err)
	}
	if open, _, err := st.Campaigns.Release(ctx, b); err != nil || open {
		t.Fatalf("release: open %v, %v", open, err)
	}
	got, err := st.Campaigns.Resume(ctx, c.ID)
	if err != nil || got.Status != campaigns.StatusDone || got.FinishedAt == nil {
		t.Errorf("resumed with nothing open: %+v, %v; want done", got, err)
	}
}
