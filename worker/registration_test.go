package worker_test

import (
	"context"
	"math/rand/v2"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// The mails about registrations: a confirmation with the calendar file, a
// waitlist mail with the place, and when a place frees up a cancellation
// receipt to the one and "Ein Platz ist frei geworden" with the calendar
// file to the first waiting one who fits.
func TestRegistrationMails(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	e.cfg.Events = e.events
	ctx := context.Background()
	ev := e.publish(t, "job-speeddating-2027.yaml")
	if _, _, err := e.events.Update(ctx, ev.Slug, func() events.Spec { s := ev.Spec; s.Capacity, s.Deadline = 2, nil; return s }()); err != nil {
		t.Fatal(err)
	}
	who := e.populate(t, group{prefix: "gast", n: 2, kind: subscribers.KindCompany, confirmed: true})["gast"]
	ids := map[string]int64{}
	for _, addr := range who {
		s, err := e.store.GetByEmail(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		ids[addr] = s.ID
	}
	anna, ben := who[0], who[1]
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	now := time.Now()
	step := func(out *events.Outcome, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueRegistrationMails(ctx, out.Mails); err != nil {
			t.Fatal(err)
		}
	}
	step(e.events.Register(ctx, ev.ID, ids[anna], 2, events.ByWeb, now))
	step(e.events.Register(ctx, ev.ID, ids[ben], 1, events.ByWeb, now))
	e.runUntilEmpty(t, e.worker(t, nil))
	step(e.events.Cancel(ctx, ev.ID, ids[anna], now))
	e.runUntilEmpty(t, e.worker(t, nil))

	type mailSeen struct {
		subject string
		ics     bool
	}
	got := map[string][]mailSeen{}
	dec := new(mime.WordDecoder)
	for _, m := range e.relay.Messages() {
		subject, _ := dec.DecodeHeader(m.Header().Get("Subject"))
		part, ok := m.Part("text/calendar")
		if ok {
			_, vevent := icstest.Parse(t, part.Body)
			if uid := icstest.Text(t, vevent.Component, "UID"); !strings.HasSuffix(uid, "@knf.example") || strings.HasPrefix(uid, "event-") {
				t.Errorf("UID %q", uid)
			}
		}
		if m.Header().Get("List-Unsubscribe") != "" {
			t.Errorf("%q carries List-Unsubscribe; registration mail is transactional", subject)
		}
		got[m.To[0]] = append(got[m.To[0]], mailSeen{subject, ok})
		if strings.HasPrefix(subject, "Warteliste") && !strings.Contains(m.Text(), "auf Platz 1 der Warteliste") {
			t.Errorf("the waitlist mail does not say the place:\n%s", m.Text())
		}
	}
	want := map[string][]mailSeen{
		anna: {{"Anmeldung bestätigt: Job-Speeddating", true}, {"Absage erhalten: Job-Speeddating", true}}, // the receipt's file takes the entry out
		ben:  {{"Warteliste: Job-Speeddating", false}, {"Ein Platz ist frei geworden: Job-Speeddating", true}},
	}
	for addr, w := range want {
		if len(got[addr]) != len(w) {
			t.Errorf("%s got %v, want %v", addr, got[addr], w)
			continue
		}
		for i := range w {
			if got[addr][i] != w[i] {
				t.Errorf("%s mail %d: %+v, want %+v", addr, i+1, got[addr][i], w[i])
			}
		}
	}
}

// 200 people register at once for 50 places while the worker sends the
// mails: every waitlist mail names the place the person has in the list,
// each place once.
func TestWaitlistMailsNameTheirPlace(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{HeadersOnly: false})
	e.cfg.Events = e.events
	e.cfg.Concurrency = 4
	ctx := context.Background()
	ev := e.publish(t, "job-speeddating-2027.yaml")
	const people, places = 200, 50
	if _, _, err := e.events.Update(ctx, ev.Slug, func() events.Spec { s := ev.Spec; s.Capacity, s.Deadline = places, nil; return s }()); err != nil {
		t.Fatal(err)
	}
	who := e.populate(t, group{prefix: "warte", n: people, kind: subscribers.KindCompany, confirmed: true})["warte"]
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()

	w := e.worker(t, nil)
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(run) }()
	var wg sync.WaitGroup
	for _, addr := range who {
		wg.Go(func() {
			s, err := e.store.GetByEmail(ctx, addr)
			if err != nil {
				t.Error(err)
				return
			}
			// Requests come over four seconds, while mails go out;
			// each is taken a moment before it gets the event's lock, as
			// a busy web server would.
			time.Sleep(rand.N(4 * time.Second))
			came := time.Now()
			time.Sleep(rand.N(400 * time.Millisecond))
			out, err := e.events.Register(ctx, ev.ID, s.ID, 1, events.ByWeb, came)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := client.EnqueueRegistrationMails(ctx, out.Mails); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	msgs := e.relay.Wait(people, time.Minute)
	stop()
	<-done

	regs, err := e.events.Registrations(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	place := map[string]int{} // address -> place in the list
	for _, r := range regs {
		if r.Status == events.Waiting {
			s, _ := e.store.Get(ctx, r.SubscriberID)
			place[s.Email] = r.Position
		}
	}
	inMail := regexp.MustCompile(`auf Platz (\d+) der Warteliste|in place (\d+)\.`)
	wrong, named := 0, map[int]bool{}
	for _, m := range msgs {
		found := inMail.FindStringSubmatch(strings.Join(strings.Fields(m.Text()), " "))
		if found == nil {
			continue
		}
		n, _ := strconv.Atoi(found[1] + found[2])
		if want := place[m.To[0]]; n != want {
			wrong++
		}
		named[n] = true
	}
	if len(msgs) != people || wrong > 0 || len(named) != people-places {
		t.Errorf("%d mails; %d waitlist mails named a place other than the list's; %d distinct places named, want %d",
			len(msgs), wrong, len(named), people-places)
	}
}
