package compose_test

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func composer(t *testing.T) *compose.Composer {
	t.Helper()
	return &compose.Composer{Templates: testenv.Renderer(t, "https://rundbrief.example"), Keys: testenv.Keyring(t), Links: compose.Links{Base: "https://rundbrief.example"},
		From: mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"}, OptInTTL: 7 * 24 * time.Hour}
}

// parse encodes m as it goes out and reads it back.
func parse(t *testing.T, m *mailer.Message) smtptest.Message {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return smtptest.Message{Data: b.Bytes()}
}

// The subscription mails: the opt-in request links to the confirm page and
// has no unsubscribe header; the welcome and preferences mails link to
// the preferences and name the topics; the welcome, list mail, carries
// List-Unsubscribe, the preferences link (anyone can ask for it through
// the form) does not; all are marked automatic.
func TestSubscriptionMails(t *testing.T) {
	t.Parallel()
	c := composer(t)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	topics := []subscribers.Topic{{Slug: "ausbildung", TitleDE: "Berufsausbildung", TitleEN: "Vocational training"}}
	for _, tc := range []struct {
		kind        subscribers.MailKind
		lang        i18n.Lang
		link        string
		unsubscribe bool
		topic       string
	}{
		{subscribers.MailOptIn, i18n.German, "https://rundbrief.example/confirm/", false, ""},
		{subscribers.MailWelcome, i18n.German, "https://rundbrief.example/preferences/", true, "Berufsausbildung"},
		{subscribers.MailPreferences, i18n.English, "https://rundbrief.example/preferences/", false, "Vocational training"},
	} {
		sub := &subscribers.Subscriber{ID: 42, Email: "ida@example.org", Name: "Ida Lösch", Language: tc.lang, Topics: []string{"ausbildung"}}
		m, err := c.Subscription(tc.kind, sub, topics, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		got := parse(t, m)
		if !strings.Contains(got.Text(), tc.link) {
			t.Errorf("%s: text lacks a link to %s:\n%s", tc.kind, tc.link, got.Text())
		}
		if has := got.Header().Get("List-Unsubscribe") != ""; has != tc.unsubscribe {
			t.Errorf("%s: List-Unsubscribe present %v, want %v", tc.kind, has, tc.unsubscribe)
		}
		// Out-of-office replies are asked not to come (issue 16, point 8).
		if got.Header().Get("Auto-Submitted") != "auto-generated" || got.Header().Get("X-Auto-Response-Suppress") != "OOF, AutoReply" ||
			got.Header().Get("To") == "" {
			t.Errorf("%s: headers %v", tc.kind, got.Header())
		}
		if tc.topic != "" && !strings.Contains(got.Text(), tc.topic) {
			t.Errorf("%s: text lacks the topic %q", tc.kind, tc.topic)
		}
	}
	if _, err := c.Subscription("reminder", &subscribers.Subscriber{ID: 1}, nil, now); err == nil {
		t.Error("a subscription mail of an unknown kind was made")
	}
}

// The mails about a registration link to the registration and cancel
// pages of the event; those that hold a place carry the calendar file;
// none carries List-Unsubscribe (the person asked for them).
func TestRegistrationMails(t *testing.T) {
	t.Parallel()
	c := composer(t)
	c0 := c
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	e := &events.Event{ID: 3, Spec: events.Spec{Slug: "regionalkonferenz-2027", Title: "Regionalkonferenz", PlaceName: "Rathaus",
		Start: time.Date(2027, 3, 18, 8, 0, 0, 0, time.UTC), End: time.Date(2027, 3, 18, 12, 0, 0, 0, time.UTC), Registration: true}}
	to := &subscribers.Contact{ID: 7, Email: "j.mueller@metallbau.example", Name: "Jörg Müller", Language: i18n.German}
	for _, tc := range []struct {
		kind     events.MailKind
		status   events.RegistrationStatus
		calendar string // the calendar file's METHOD; "" for none
	}{
		{events.MailRegistered, events.Registered, "PUBLISH"}, {events.MailWaiting, events.Waiting, ""},
		{events.MailMovedUp, events.Registered, "PUBLISH"},
		// The receipt of a cancellation takes the entry out again.
		{events.MailCancelled, events.Cancelled, "CANCEL"},
		// A request from the public page gets no calendar file before it
		// is confirmed; nor does the mail with the link.
		{events.MailRequested, events.Requested, ""}, {events.MailLink, events.Registered, ""},
	} {
		reg := &events.Registration{ID: 1, EventID: e.ID, SubscriberID: to.ID, People: 2, Status: tc.status, Position: 1}
		m, err := c.Registration(tc.kind, reg, e, to, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		got := parse(t, m)
		cal, ok := got.Part("text/calendar")
		if ok != (tc.calendar != "") {
			t.Errorf("%s: calendar file present %v, want %q", tc.kind, ok, tc.calendar)
		}
		if ok {
			c, ev := icstest.Parse(t, cal.Body)
			if m := icstest.Text(t, c.Component, "METHOD"); m != tc.calendar || icstest.Text(t, ev.Component, "UID") != e.UID(c0.From) {
				t.Errorf("%s: calendar file METHOD %s, UID %s; want %s and the event's UID", tc.kind, m, icstest.Text(t, ev.Component, "UID"), tc.calendar)
			}
		}
		if got.Header().Get("List-Unsubscribe") != "" {
			t.Errorf("%s: a registration mail carries List-Unsubscribe", tc.kind)
		}
		if !strings.Contains(got.Text(), "https://rundbrief.example/events/regionalkonferenz-2027/") {
			t.Errorf("%s: text lacks the event's links:\n%s", tc.kind, got.Text())
		}
	}
}
