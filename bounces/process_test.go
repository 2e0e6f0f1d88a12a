package bounces_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// A report about a subscription mail or a registration mail finds its
// subscriber through that mail's log, as one about a campaign's delivery
// does (cmd's TestBouncesFromTheMailbox); a report about a mail that is
// gone does nothing.
func TestProcessFindsTheRecipientInEachLog(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	ctx := context.Background()
	v := testVERP(t)
	p := &bounces.Processor{VERP: v, Subscribers: st.Subscribers, Campaigns: st.Campaigns, Events: st.Events}

	optIn, err := st.Subscribers.Subscribe(ctx, subscribers.NewSubscriber{Email: "neu@schule.example", Kind: subscribers.KindSchool},
		subscribers.Consent{Source: subscribers.SourceWeb})
	if err != nil {
		t.Fatal(err)
	}
	family, err := st.Subscribers.Add(ctx, subscribers.NewSubscriber{Email: "familie@web.example", Kind: subscribers.KindFamily},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	e := st.PublishedEvent(t, "talent-campus-2027.yaml")
	out, err := st.Events.Register(ctx, e.ID, family.ID, 1, events.ByWeb, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if optIn.Mail == nil || len(out.Mails) == 0 {
		t.Fatalf("no mail owed: %+v, %+v", optIn, out)
	}
	tests := []struct {
		ref  maillog.Ref
		file string
		sub  int64
		want subscribers.BounceEffect
	}{
		{maillog.Ref{Log: maillog.SubscriptionMails, ID: optIn.Mail.ID}, "gmail-hard.eml", optIn.SubscriberID, subscribers.BounceMarked},
		{maillog.Ref{Log: maillog.RegistrationMails, ID: out.Mails[0]}, "postfix-delayed.eml", family.ID, subscribers.BounceCounted},
		{maillog.Ref{Log: maillog.Deliveries, ID: 424242}, "postfix-hard.eml", 0, ""},
		{maillog.Ref{Log: maillog.RegistrationMails, ID: 424242}, "postfix-hard.eml", 0, ""},
	}
	for _, tt := range tests {
		res, err := p.Process(ctx, bytes.NewReader(sample(t, v, tt.file, tt.ref, true)))
		if err != nil {
			t.Fatal(err)
		}
		if res.SubscriberID != tt.sub || res.Effect != tt.want {
			t.Errorf("%+v: subscriber %d, effect %q; want %d, %q", tt.ref, res.SubscriberID, res.Effect, tt.sub, tt.want)
		}
	}
}
