package events_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

type regFixture struct {
	db     *sqlx.DB
	events *events.Store
	subs   *subscribers.Store
}

func newRegFixture(t *testing.T) *regFixture {
	t.Helper()
	st := testenv.NewStores(t)
	return &regFixture{db: st.DB, events: st.Events, subs: st.Subscribers}
}

// event creates and publishes an event with capacity places.
func (f *regFixture) event(t *testing.T, capacity int, edit func(*events.Spec)) *events.Event {
	t.Helper()
	spec := fromFile(t, "job-speeddating-2027.yaml")
	spec.Capacity, spec.Deadline = capacity, nil
	if edit != nil {
		edit(&spec)
	}
	ctx := context.Background()
	if _, err := f.events.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	e, err := f.events.Publish(ctx, spec.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// people adds n confirmed subscribers and returns their IDs.
func (f *regFixture) people(t *testing.T, n int) []int64 {
	t.Helper()
	rows := make([]subscribers.ImportRow, n)
	for i := range rows {
		rows[i] = subscribers.ImportRow{Line: i + 2, NewSubscriber: subscribers.NewSubscriber{
			Email: fmt.Sprintf("gast-%03d@example.org", i), Kind: subscribers.KindCompany, Language: i18n.German}}
	}
	ctx := context.Background()
	if _, err := f.subs.Import(ctx, subscribers.RowsOf(rows), subscribers.Consent{Confirmed: true, Note: "Test"}, false); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	if err := f.db.SelectContext(ctx, &ids, `SELECT id FROM subscribers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return ids
}

var today = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)

// 200 people register at once for 50 places: exactly 50 get one, the
// other 150 wait, numbered 1 to 150 in the order they came.
func TestParallelRegistrationsNeverOverbook(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	e := f.event(t, 50, nil)
	ids := f.people(t, 200)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			_, err := f.events.Register(ctx, e.ID, id, 1, events.ByWeb, today.Add(time.Duration(i)*time.Millisecond))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	taken, waiting, err := f.events.Taken(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if taken != 50 || waiting != 150 {
		t.Fatalf("%d places taken and %d waiting, want 50 and 150", taken, waiting)
	}
	regs, err := f.events.Registrations(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var positions []int
	var last time.Time
	for _, r := range regs {
		if r.Status != events.Waiting {
			continue
		}
		if r.WaitingSince.Before(last) {
			t.Errorf("the waitlist is not in the order people came: %v after %v", r.WaitingSince, last)
		}
		last = *r.WaitingSince
		positions = append(positions, r.Position)
	}
	for i, p := range positions {
		if p != i+1 {
			t.Fatalf("waitlist positions %v, want 1 to 150 in order", positions)
		}
	}
}

// When a place frees up, the first waiting party that fits moves up; a
// party too large waits on without blocking smaller ones behind it.
func TestCancelMovesUpTheFirstThatFits(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	e := f.event(t, 5, nil)
	p := f.people(t, 5)
	a, b, c, d, x := p[0], p[1], p[2], p[3], p[4]
	ctx := context.Background()
	register := func(id int64, people int, want events.RegistrationStatus, wantPos int) {
		t.Helper()
		out, err := f.events.Register(ctx, e.ID, id, people, events.ByWeb, today)
		if err != nil {
			t.Fatal(err)
		}
		if out.Registration.Status != want || out.Registration.Position != wantPos {
			t.Fatalf("subscriber %d with %d: %s at %d, want %s at %d", id, people, out.Registration.Status, out.Registration.Position, want, wantPos)
		}
	}
	register(a, 2, events.Registered, 0)
	register(b, 2, events.Registered, 0)
	register(c, 3, events.Waiting, 1)    // 1 place free: too few
	register(d, 1, events.Registered, 0) // fits the last place; c does not
	register(x, 1, events.Waiting, 2)

	moved := func(out *events.Outcome) []int64 {
		var ids []int64
		for _, r := range out.MovedUp {
			ids = append(ids, r.SubscriberID)
		}
		return ids
	}
	out, err := f.events.Cancel(ctx, e.ID, a, today) // frees 2: c (3) does not fit, x (1) does
	if err != nil {
		t.Fatal(err)
	}
	if got := moved(out); !slices.Equal(got, []int64{x}) || out.Registration.Status != events.Cancelled {
		t.Errorf("after a cancels, moved up %v, want [%d]", got, x)
	}
	out, err = f.events.Cancel(ctx, e.ID, b, today) // frees 2 more: 3 free, c fits
	if err != nil {
		t.Fatal(err)
	}
	if got := moved(out); !slices.Equal(got, []int64{c}) {
		t.Errorf("after b cancels, moved up %v, want [%d]", got, c)
	}
	if out, err = f.events.Cancel(ctx, e.ID, b, today); err != nil || out.Changed {
		t.Errorf("cancelling twice: changed %v, %v", out.Changed, err)
	}

	// Changing the number of people: more than is free is refused and
	// changes nothing; fewer frees places.
	var noRoom *events.NoRoomError
	if _, err := f.events.Register(ctx, e.ID, d, 4, events.ByWeb, today); !errors.As(err, &noRoom) || noRoom.Free != 0 {
		t.Errorf("asking for 3 more places with none free: %v", err)
	}
	if _, err := f.events.Register(ctx, e.ID, d, 5, events.ByWeb, today); !errors.Is(err, events.ErrPartySize) {
		t.Errorf("5 people where 4 is the most: %v", err)
	}
	if taken, _, _ := f.events.Taken(ctx, e.ID); taken != 5 {
		t.Errorf("%d places taken, want 5", taken)
	}
}

func TestRegistrationCloses(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	ctx := context.Background()
	deadline := time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC)
	e := f.event(t, 0, func(s *events.Spec) { s.Deadline = &deadline })
	id := f.people(t, 1)[0]
	if _, err := f.events.Register(ctx, e.ID, id, 1, events.ByWeb, deadline); !errors.Is(err, events.ErrClosed) {
		t.Errorf("at the deadline: %v", err)
	}
	if out, err := f.events.Register(ctx, e.ID, id, 2, events.ByStaff, deadline.Add(time.Hour)); err != nil || out.Registration.Status != events.Registered {
		t.Errorf("staff after the deadline: %v", err)
	}
	if _, err := f.events.Register(ctx, e.ID, id, 1, events.ByStaff, e.Start); !errors.Is(err, events.ErrClosed) {
		t.Errorf("staff once the event has begun: %v", err)
	}
	if _, err := f.events.Cancel(ctx, e.ID, id+1000, today); !errors.Is(err, events.ErrNotRegistered) {
		t.Errorf("cancelling a registration that does not exist: %v", err)
	}
}

// Before a person is erased, their places go to the waitlist; they get no
// receipt, the one who moves up gets their mail.
func TestWithdrawBeforeErasure(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	ctx := context.Background()
	e := f.event(t, 1, nil)
	p := f.people(t, 2)
	for _, id := range p {
		if _, err := f.events.Register(ctx, e.ID, id, 1, events.ByWeb, today); err != nil {
			t.Fatal(err)
		}
	}
	outs, err := f.events.Withdraw(ctx, p[0], today)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || len(outs[0].MovedUp) != 1 || outs[0].MovedUp[0].SubscriberID != p[1] || len(outs[0].Mails) != 1 {
		t.Fatalf("withdraw: %+v", outs)
	}
	if err := f.subs.Erase(ctx, p[0]); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	if err := f.db.SelectContext(ctx, &kinds, `SELECT kind || ':' || status FROM registration_mails ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	// The erased person's rows went with them; the second person's
	// waitlist mail, still unsent, was replaced by the moved-up one.
	if !slices.Equal(kinds, []string{"waiting:skipped", "moved_up:queued"}) {
		t.Errorf("registration mails after erasure: %v", kinds)
	}
}

// A party larger than the whole event would wait forever: it is refused,
// and a registration may bring at most as many people as there are places.
func TestPartyNeverLargerThanTheCapacity(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	ctx := context.Background()
	e := f.event(t, 3, func(s *events.Spec) { s.PartyMax = 4 })
	if got := e.MaxParty(); got != 3 {
		t.Errorf("MaxParty = %d, want the capacity 3", got)
	}
	ids := f.people(t, 2)
	if _, err := f.events.Register(ctx, e.ID, ids[0], 4, events.ByWeb, today); !errors.Is(err, events.ErrPartySize) {
		t.Errorf("a party of 4 for 3 places: %v, want ErrPartySize", err)
	}
	out, err := f.events.Register(ctx, e.ID, ids[0], 3, events.ByWeb, today)
	if err != nil || out.Registration.Status != events.Registered {
		t.Fatalf("a party of 3 for 3 places: %+v, %v", out, err)
	}
	if unlimited := f.event(t, 0, func(s *events.Spec) { s.Slug, s.PartyMax = "ohne-grenze", 6 }); unlimited.MaxParty() != 6 {
		t.Errorf("without a capacity MaxParty = %d, want party_max 6", unlimited.MaxParty())
	}
}
