package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
)

// 200 strangers ask for 50 places on the public page at once: nobody
// holds a place before confirming. They confirm at once: exactly 50 get
// places, 150 wait, and each keeps the answers they gave.
func TestPublicRequestsNeverOverbook(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	e := f.event(t, 50, nil)
	ids := f.people(t, 200)
	ctx := context.Background()
	run := func(fn func(i int, id int64) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(ids))
		for i, id := range ids {
			wg.Go(func() { errs <- fn(i, id) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	run(func(i int, id int64) error {
		out, err := f.events.Request(ctx, events.Entry{EventID: e.ID, SubscriberID: id, People: 1,
			Answers: &events.Answers{Answers: map[string][]string{"firma": {"Firma " + string(rune('A'+i%26))}}}}, today)
		if err == nil && (out.Mail == 0 || out.Registration.Status != events.Requested) {
			err = errors.New("a request without its mail, or not requested")
		}
		return err
	})
	if taken, waiting, err := f.events.Taken(ctx, e.ID); err != nil || taken != 0 || waiting != 0 {
		t.Fatalf("after 200 requests %d places taken, %d waiting (%v); a request holds none", taken, waiting, err)
	}
	if regs, _ := f.events.Registrations(ctx, e.ID); len(regs) != 0 {
		t.Fatalf("%d unconfirmed requests on the list of registrations", len(regs))
	}
	run(func(i int, id int64) error {
		_, err := f.events.Enter(ctx, events.Entry{EventID: e.ID, SubscriberID: id, People: 1, Source: events.ByWeb}, today.Add(time.Minute))
		return err
	})
	taken, waiting, err := f.events.Taken(ctx, e.ID)
	if err != nil || taken != 50 || waiting != 150 {
		t.Fatalf("after confirming: %d taken, %d waiting (%v), want 50 and 150", taken, waiting, err)
	}
	reg, err := f.events.Registration(ctx, e.ID, ids[7])
	if err != nil || reg.Answers.Answers["firma"][0] != "Firma H" {
		t.Errorf("confirmed registration %+v, %v: the answers of the request are kept", reg, err)
	}
}

// A request changes nothing about a registration that stands: the person
// is mailed their link. Mails stop at three a day; the request stands.
// Requests not confirmed go after their time, registrations stay.
func TestRequestLeavesARegistrationAlone(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	e := f.event(t, 10, nil)
	ids := f.people(t, 3)
	ctx := context.Background()
	if _, err := f.events.Register(ctx, e.ID, ids[0], 2, events.ByWeb, today); err != nil {
		t.Fatal(err)
	}
	out, err := f.events.Request(ctx, events.Entry{EventID: e.ID, SubscriberID: ids[0], People: 1}, today)
	if err != nil {
		t.Fatal(err)
	}
	if out.Registration.Status != events.Registered || out.Registration.People != 2 || out.Mail == 0 {
		t.Errorf("a registered person's request: %+v", out)
	}
	if kind := mailKind(t, f, out.Mail); kind != events.MailLink {
		t.Errorf("mail %s, want %s", kind, events.MailLink)
	}
	for i := range 4 {
		out, err := f.events.Request(ctx, events.Entry{EventID: e.ID, SubscriberID: ids[1], People: i + 1}, today)
		if err != nil {
			t.Fatal(err)
		}
		// The second request replaces the first's mail while it waits;
		// mark each sent, as the worker would, so that each counts.
		if _, err := f.db.ExecContext(ctx, `UPDATE registration_mails SET status = 'sent', finished_at = now() WHERE id = $1`, out.Mail); err != nil {
			t.Fatal(err)
		}
		if out.Registration.People != i+1 {
			t.Errorf("request %d: %d people", i+1, out.Registration.People)
		}
		if wantMail := i < events.MaxRequestMailsPerDay; (out.Mail != 0) != wantMail {
			t.Errorf("request %d: mail %d, want one: %v", i+1, out.Mail, wantMail)
		}
	}
	if _, err := f.events.Request(ctx, events.Entry{EventID: e.ID, SubscriberID: ids[2], People: 11}, today); !errors.Is(err, events.ErrPartySize) {
		t.Errorf("11 people for 10 places: %v", err)
	}
	n, err := f.events.ExpireRequests(ctx, today.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("expired %d (%v), want the one request", n, err)
	}
	if _, err := f.events.Registration(ctx, e.ID, ids[1]); !errors.Is(err, events.ErrNotRegistered) {
		t.Errorf("the expired request is still there: %v", err)
	}
	if r, err := f.events.Registration(ctx, e.ID, ids[0]); err != nil || r.Status != events.Registered {
		t.Errorf("the registration went with the requests: %+v, %v", r, err)
	}
}

// Answers are kept with a registration, changed on their own, and gone
// when it is cancelled.
func TestAnswersGoWithTheRegistration(t *testing.T) {
	t.Parallel()
	f := newRegFixture(t)
	e := f.event(t, 10, nil)
	id := f.people(t, 1)[0]
	ctx := context.Background()
	a := &events.Answers{Participants: []events.Participant{{Name: "Lena"}, {Name: "Max"}}}
	if _, err := f.events.Enter(ctx, events.Entry{EventID: e.ID, SubscriberID: id, People: 2, Answers: a, Source: events.ByWeb}, today); err != nil {
		t.Fatal(err)
	}
	a.Participants[1].Name = "Maximilian"
	out, err := f.events.Enter(ctx, events.Entry{EventID: e.ID, SubscriberID: id, People: 2, Answers: a, Source: events.ByWeb}, today)
	if err != nil || out.Changed || !out.AnswersChanged || len(out.Mails) != 0 || out.Registration.Answers.Participants[1].Name != "Maximilian" {
		t.Fatalf("changing an answer: %+v, %v", out, err)
	}
	out, err = f.events.Enter(ctx, events.Entry{EventID: e.ID, SubscriberID: id, People: 2, Answers: a, Source: events.ByWeb}, today)
	if err != nil || out.AnswersChanged {
		t.Errorf("the same answers again: %+v, %v", out, err)
	}
	if _, err := f.events.Cancel(ctx, e.ID, id, today); err != nil {
		t.Fatal(err)
	}
	if r, err := f.events.Registration(ctx, e.ID, id); err != nil || !r.Answers.IsZero() {
		t.Errorf("after cancelling: %+v, %v", r, err)
	}
}

func mailKind(t *testing.T, f *regFixture, id int64) events.MailKind {
	t.Helper()
	var k events.MailKind
	if err := f.db.GetContext(context.Background(), &k, `SELECT kind FROM registration_mails WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return k
}
