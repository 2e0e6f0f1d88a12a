package worker_test

import (
	"context"
	"mime"
	"strings"
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
			if uid := icstest.Text(t, vevent.Component, "UID"); !strings.HasPrefix(uid, "event-") {
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
		anna: {{"Anmeldung bestätigt: Job-Speeddating", true}, {"Absage erhalten: Job-Speeddating", false}},
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
