package subscribers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// The rules for reports that come back by mail, one subscriber per case:
// the bounces recorded, in order, and what the last one did.
func TestBounceRules(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	type b struct {
		class  subscribers.BounceClass
		status string
		mail   int64
		ago    time.Duration
	}
	tests := []struct {
		name   string
		seq    []b
		effect subscribers.BounceEffect
		status subscribers.Status
		supp   bool
	}{
		{"hard", []b{{subscribers.BounceHard, "5.1.1", 1, 0}}, subscribers.BounceMarked, subscribers.StatusBounced, true},
		{"two soft", []b{{subscribers.BounceSoft, "4.2.2", 1, 48 * time.Hour}, {subscribers.BounceSoft, "4.2.2", 2, 0}},
			subscribers.BounceCounted, subscribers.StatusConfirmed, false},
		{"three soft", []b{{subscribers.BounceSoft, "4.2.2", 1, 20 * 24 * time.Hour}, {subscribers.BounceSoft, "4.4.1", 2, 24 * time.Hour}, {subscribers.BounceSoft, "4.2.2", 3, 0}},
			subscribers.BounceMarked, subscribers.StatusBounced, true},
		{"three soft, one too old", []b{{subscribers.BounceSoft, "4.2.2", 1, 31 * 24 * time.Hour}, {subscribers.BounceSoft, "4.2.2", 2, 24 * time.Hour}, {subscribers.BounceSoft, "4.2.2", 3, 0}},
			subscribers.BounceCounted, subscribers.StatusConfirmed, false},
		{"the same soft three times", []b{{subscribers.BounceSoft, "4.2.2", 1, 0}, {subscribers.BounceSoft, "4.2.2", 1, 0}, {subscribers.BounceSoft, "4.2.2", 1, 0}},
			subscribers.BounceRepeated, subscribers.StatusConfirmed, false},
		{"policy", []b{{subscribers.BouncePolicy, "5.7.1", 1, 0}}, subscribers.BounceCounted, subscribers.StatusConfirmed, false},
		{"complaint", []b{{subscribers.Complaint, "", 1, 0}}, subscribers.BounceUnsubscribed, subscribers.StatusUnsubscribed, true},
		{"hard after hard", []b{{subscribers.BounceHard, "5.1.1", 1, time.Hour}, {subscribers.BounceHard, "5.1.1", 2, 0}},
			subscribers.BounceNoChange, subscribers.StatusBounced, true},
	}
	for i, tt := range tests {
		sub := mustAdd(t, s, subscribers.NewSubscriber{Email: "regel" + string(rune('a'+i)) + "@betrieb.example", Kind: subscribers.KindCompany},
			subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"})
		var effect subscribers.BounceEffect
		for _, x := range tt.seq {
			var err error
			effect, err = s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: sub.ID, Mail: maillog.Ref{Log: maillog.Deliveries, ID: int64(i)*10 + x.mail}, // a mail ID is unique in its log
				Class: x.class, Status: x.status, ReceivedAt: now.Add(-x.ago)})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		got, err := s.Get(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		supp, err := s.IsSuppressed(ctx, sub.Email)
		if err != nil {
			t.Fatal(err)
		}
		if effect != tt.effect || got.Status != tt.status || supp != tt.supp {
			t.Errorf("%s: effect %s, status %s, suppressed %v; want %s, %s, %v", tt.name, effect, got.Status, supp, tt.effect, tt.status, tt.supp)
		}
	}

	if _, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: 999999, Mail: maillog.Ref{Log: maillog.Deliveries, ID: 1},
		Class: subscribers.BounceHard, Status: "5.1.1"}); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("a bounce for nobody: %v, want ErrNotFound", err)
	}
	for _, bad := range []subscribers.Bounce{
		{SubscriberID: 1, Mail: maillog.Ref{Log: 'x', ID: 1}, Class: subscribers.BounceHard, Status: "5.1.1"},
		{SubscriberID: 1, Mail: maillog.Ref{Log: maillog.Deliveries, ID: 1}, Class: "weich", Status: "4.0.0"},
		{SubscriberID: 1, Mail: maillog.Ref{Log: maillog.Deliveries, ID: 1}, Class: subscribers.BounceHard, Status: "550 Nutzer unbekannt"},
	} {
		if _, err := s.RecordBounce(ctx, bad); !errors.Is(err, subscribers.ErrBounceInvalid) {
			t.Errorf("RecordBounce(%+v) = %v, want ErrBounceInvalid", bad, err)
		}
	}
}
