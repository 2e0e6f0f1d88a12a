package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// With a bounce address, the opt-in mail and the registration mail leave
// with an envelope sender that names each in its own log (the
// campaign's deliveries: cmd's TestBouncesFromTheMailbox); without one,
// the envelope sender is From.
func TestEnvelopeSenderNamesTheMail(t *testing.T) {
	t.Parallel()
	e := setupCampaigns(t, smtptest.Options{})
	e.cfg.Events = e.events
	v, err := bounces.NewVERP("bounces@knf.example", []byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.VERP = v
	ctx := context.Background()
	ev := e.publish(t, "job-speeddating-2027.yaml")
	guest := e.populate(t, group{prefix: "gast", n: 1, kind: subscribers.KindCompany, confirmed: true})["gast"][0]
	g, err := e.store.GetByEmail(ctx, guest)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.events.Register(ctx, ev.ID, g.ID, 1, events.ByWeb, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	client := worker.NewClient(e.redis, e.ns)
	defer client.Close()
	if _, err := client.EnqueueRegistrationMails(ctx, out.Mails); err != nil {
		t.Fatal(err)
	}
	newcomer := e.add(t, "neu@betrieb.example", "Neu", "de")
	e.enqueueOwed(t)
	e.runUntilEmpty(t, e.worker(t, nil))

	optIn := mailsOf(t, e.env, newcomer.ID)
	want := map[string]maillog.Ref{
		guest:                 {Log: maillog.RegistrationMails, ID: out.Mails[0]},
		"neu@betrieb.example": {Log: maillog.SubscriptionMails, ID: optIn[0].ID},
	}
	for _, m := range e.relay.Messages() {
		ref, ok := v.Mail(m.From)
		if w, expected := want[m.To[0]]; expected && (!ok || ref != w) {
			t.Errorf("mail to %s: envelope sender %s names %+v (%v), want %+v", m.To[0], m.From, ref, ok, w)
		}
		delete(want, m.To[0])
	}
	if len(want) > 0 {
		t.Errorf("no mail to %v", want)
	}
}
