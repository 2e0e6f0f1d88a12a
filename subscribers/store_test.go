package subscribers_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

const testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

func newStore(t *testing.T) (*subscribers.Store, *sqlx.DB) {
	t.Helper()
	db, _ := testenv.Database(t)
	keys, err := subscribers.NewKeyring([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return subscribers.NewStore(db, keys), db
}

var staffConsent = subscribers.Consent{Source: subscribers.SourceStaff}

func mustAdd(t *testing.T, s *subscribers.Store, n subscribers.NewSubscriber, c subscribers.Consent) *subscribers.Subscriber {
	t.Helper()
	sub, err := s.Add(context.Background(), n, c)
	if err != nil {
		t.Fatalf("Add(%s): %v", n.Email, err)
	}
	return sub
}

func TestAdd(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()

	sub := mustAdd(t, s, subscribers.NewSubscriber{
		Email: " Anna.Beispiel@Example.ORG ", Name: "Anna Beispiel", Kind: "Familie",
		Topics: []string{"Kinderbetreuung", "jugend", "jugend"},
	}, staffConsent)
	if sub.Email != "Anna.Beispiel@example.org" || sub.Kind != subscribers.KindFamily ||
		sub.Language != i18n.German || sub.Status != subscribers.StatusPending {
		t.Errorf("added %+v", sub)
	}
	if want := []string{"jugend", "kinderbetreuung"}; !reflect.DeepEqual(sub.Topics, want) {
		t.Errorf("topics = %v, want %v", sub.Topics, want)
	}
	mails, err := s.Mails(ctx, sub.ID)
	if err != nil || len(mails) != 1 || mails[0].Kind != subscribers.MailOptIn || mails[0].Status != maillog.Queued {
		t.Errorf("mails of a pending subscriber = %+v, %v; want one queued opt-in", mails, err)
	}

	got, err := s.GetByEmail(ctx, "anna.beispiel@example.org")
	if err != nil || got.ID != sub.ID {
		t.Errorf("GetByEmail in lower case = %+v, %v", got, err)
	}

	tests := []struct {
		name string
		n    subscribers.NewSubscriber
		c    subscribers.Consent
		want error
	}{
		{"same address, other case", subscribers.NewSubscriber{Email: "ANNA.BEISPIEL@example.org", Kind: "school"}, staffConsent, subscribers.ErrExists},
		{"bad address", subscribers.NewSubscriber{Email: "anna@", Kind: "school"}, staffConsent, subscribers.ErrEmailSyntax},
		{"unknown topic", subscribers.NewSubscriber{Email: "b@example.org", Kind: "school", Topics: []string{"Sport"}}, staffConsent, subscribers.ErrUnknownTopic},
		{"unknown kind", subscribers.NewSubscriber{Email: "b@example.org", Kind: "Verein"}, staffConsent, subscribers.ErrUnknownKind},
		{"name with line break", subscribers.NewSubscriber{Email: "b@example.org", Kind: "school", Name: "A\r\nBcc: x"}, staffConsent, subscribers.ErrTextControl},
		{"name that reads backwards", subscribers.NewSubscriber{Email: "b@example.org", Kind: "school", Name: "Anna \u202eredienhcS"}, staffConsent, subscribers.ErrTextControl},
		{"organisation with a zero width space", subscribers.NewSubscriber{Email: "b@example.org", Kind: "school", Organisation: "Schu\u200ble"}, staffConsent, subscribers.ErrTextControl},
		{"confirmed without note", subscribers.NewSubscriber{Email: "b@example.org", Kind: "school"}, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true}, subscribers.ErrConsentNote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Add(ctx, tt.n, tt.c); !errors.Is(err, tt.want) {
				t.Errorf("Add error = %v, want %v", err, tt.want)
			}
		})
	}
	if n, _ := s.Count(ctx, subscribers.Filter{}); n != 1 {
		t.Errorf("after refused adds, %d subscribers, want 1", n)
	}
}

func TestAddConfirmedByStaff(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	note := "Einwilligung schriftlich auf der Regionalkonferenz am 12.09.2026"
	sub := mustAdd(t, s, subscribers.NewSubscriber{Email: "hr@firma.example", Kind: "company"},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: note})
	if sub.Status != subscribers.StatusConfirmed || sub.ConfirmedAt == nil {
		t.Errorf("status = %s, confirmed at %v", sub.Status, sub.ConfirmedAt)
	}
	if mails, _ := s.Mails(ctx, sub.ID); len(mails) != 0 {
		t.Errorf("confirmed subscriber got mails queued: %+v", mails)
	}
	log, err := s.ConsentLog(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[1].Note != note || log[1].Source != subscribers.SourceStaff {
		t.Errorf("consent log = %+v, want subscribed and confirmed with the note", log)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	confirmed := subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"}
	mustAdd(t, s, subscribers.NewSubscriber{Email: "a@firma.example", Kind: "company", Topics: []string{"ausbildung"}}, confirmed)
	mustAdd(t, s, subscribers.NewSubscriber{Email: "b@firma.example", Kind: "company", Topics: []string{"oepnv"}}, staffConsent)
	mustAdd(t, s, subscribers.NewSubscriber{Email: "c@schule.example", Kind: "school", Topics: []string{"ausbildung", "jugend"}}, confirmed)
	mustAdd(t, s, subscribers.NewSubscriber{Email: "d@familie.example", Kind: "family"}, staffConsent)

	tests := []struct {
		f    subscribers.Filter
		want []string
	}{
		{subscribers.Filter{}, []string{"a@firma.example", "b@firma.example", "c@schule.example", "d@familie.example"}},
		{subscribers.Filter{Kind: subscribers.KindCompany}, []string{"a@firma.example", "b@firma.example"}},
		{subscribers.Filter{Topic: "ausbildung"}, []string{"a@firma.example", "c@schule.example"}},
		{subscribers.Filter{Status: subscribers.StatusPending}, []string{"b@firma.example", "d@familie.example"}},
		{subscribers.Filter{Kind: subscribers.KindCompany, Topic: "ausbildung", Status: subscribers.StatusConfirmed}, []string{"a@firma.example"}},
		{subscribers.Filter{Limit: 2, Offset: 1}, []string{"b@firma.example", "c@schule.example"}},
	}
	for _, tt := range tests {
		list, err := s.List(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, sub := range list {
			got = append(got, sub.Email)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("List(%+v) = %v, want %v", tt.f, got, tt.want)
		}
		n, err := s.Count(ctx, tt.f)
		if wantN := len(tt.want); tt.f.Limit == 0 && (err != nil || n != wantN) {
			t.Errorf("Count(%+v) = %d, %v; want %d", tt.f, n, err, wantN)
		}
	}
}

func TestDeleteWithSuppression(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	a := mustAdd(t, s, subscribers.NewSubscriber{Email: "weg@example.org", Name: "Weg", Kind: "family", Topics: []string{"jugend"}}, staffConsent)
	b := mustAdd(t, s, subscribers.NewSubscriber{Email: "tippfehler@example.org", Kind: "family"}, staffConsent)
	if err := s.Delete(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, b.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, b.ID, false); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	for _, table := range []string{"subscribers", "subscriber_topics", "consent_log", "subscription_mails"} {
		var n int
		if err := db.Get(&n, "SELECT count(*) FROM "+table); err != nil || n != 0 {
			t.Errorf("%s has %d rows after delete (%v)", table, n, err)
		}
	}
	if _, err := s.Add(ctx, subscribers.NewSubscriber{Email: "WEG@example.org", Kind: "family"}, staffConsent); !errors.Is(err, subscribers.ErrSuppressed) {
		t.Errorf("re-adding a suppressed address: %v, want ErrSuppressed", err)
	}
	if _, err := s.Add(ctx, subscribers.NewSubscriber{Email: "tippfehler@example.org", Kind: "family"}, staffConsent); err != nil {
		t.Errorf("re-adding an address deleted without suppression: %v", err)
	}
	var clear int
	db.Get(&clear, `SELECT count(*) FROM suppressions WHERE encode(address_hash, 'escape') LIKE '%weg%'`)
	if clear != 0 {
		t.Error("the suppression list holds the address in clear")
	}
}

func TestTopics(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.AddTopic(ctx, subscribers.Topic{Slug: "digitalisierung", TitleDE: "Digitalisierung", TitleEN: "Digitalisation"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []subscribers.Topic{
		{Slug: "Digital!", TitleDE: "x", TitleEN: "x"},
		{Slug: "neu", TitleDE: "", TitleEN: "New"},
	} {
		if err := s.AddTopic(ctx, bad); err == nil {
			t.Errorf("AddTopic(%+v) succeeded", bad)
		}
	}
	if err := s.AddTopic(ctx, subscribers.Topic{Slug: "jugend", TitleDE: "J", TitleEN: "Y"}); !errors.Is(err, subscribers.ErrTopicExists) {
		t.Errorf("duplicate topic: %v", err)
	}
	ts, err := s.Topics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, tp := range ts {
		slugs = append(slugs, tp.Slug)
	}
	if got := strings.Join(slugs, ","); got != "ausbildung,digitalisierung,fachkraefte,jugend,kinderbetreuung,oepnv,veranstaltungen" {
		t.Errorf("topics = %s", got)
	}
}

// The mail log: a claim is exclusive, outcomes need the claim, an expired
// lease lets another worker take over, and a bounce suppresses the address.
func TestMailClaims(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	sub := mustAdd(t, s, subscribers.NewSubscriber{Email: "x@example.org", Kind: "school"}, staffConsent)

	m, got, err := s.ClaimMail(ctx, sub.ID, subscribers.MailOptIn, time.Minute)
	if err != nil || got.ID != sub.ID || m.Attempts != 1 {
		t.Fatalf("ClaimMail = %+v, %+v, %v", m, got, err)
	}
	if _, _, err := s.ClaimMail(ctx, sub.ID, subscribers.MailOptIn, time.Minute); !errors.Is(err, subscribers.ErrNothingOwed) {
		t.Errorf("second claim while the first holds: %v, want ErrNothingOwed", err)
	}
	if _, _, err := s.ClaimMail(ctx, 999999, subscribers.MailOptIn, time.Minute); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("claim for unknown subscriber: %v, want ErrNotFound", err)
	}
	if err := s.RecordMail(ctx, m, maillog.Outcome{Status: maillog.Queued, Reply: "451 4.3.0 try later"}); err != nil {
		t.Fatal(err)
	}
	// Retry: claim again; a zero lease lets a second worker take it over.
	m1, _, err := s.ClaimMail(ctx, sub.ID, subscribers.MailOptIn, time.Minute)
	if err != nil || m1.Attempts != 2 {
		t.Fatalf("re-claim after deferral = %+v, %v", m1, err)
	}
	m2, _, err := s.ClaimMail(ctx, sub.ID, subscribers.MailOptIn, 0)
	if err != nil || m2.Attempts != 3 {
		t.Fatalf("take-over after lease = %+v, %v", m2, err)
	}
	if err := s.RecordMail(ctx, m1, m1.Sent("a@b", "250 ok")); !errors.Is(err, maillog.ErrClaimLost) {
		t.Errorf("outcome from the worker that lost its claim: %v, want ErrClaimLost", err)
	}
	if err := s.RecordMail(ctx, m2, maillog.Outcome{Status: maillog.Bounced, Reply: "550 5.1.1 user unknown"}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Get(ctx, sub.ID)
	if after.Status != subscribers.StatusBounced || after.BouncedAt == nil {
		t.Errorf("after bounce, subscriber %s", after.Status)
	}
	if ok, _ := s.IsSuppressed(ctx, "X@example.org"); !ok {
		t.Error("bounced address not suppressed")
	}
	if n, _ := s.CountOpenMails(ctx); n != 0 {
		t.Errorf("%d open mails after bounce", n)
	}
}

func TestOpenMails(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	a := mustAdd(t, s, subscribers.NewSubscriber{Email: "a@example.org", Kind: "school"}, staffConsent)
	b := mustAdd(t, s, subscribers.NewSubscriber{Email: "b@example.org", Kind: "school"}, staffConsent)
	if _, _, err := s.ClaimMail(ctx, b.ID, subscribers.MailOptIn, time.Hour); err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenMails(ctx, time.Hour, time.Hour, 0, 10)
	if err != nil || len(open) != 0 {
		t.Errorf("OpenMails with long grace = %+v, %v; want none", open, err)
	}
	open, err = s.OpenMails(ctx, 0, 0, 0, 10)
	if err != nil || len(open) != 2 || open[0].SubscriberID != a.ID || open[1].SubscriberID != b.ID {
		t.Errorf("OpenMails with no grace = %+v, %v; want a's queued and b's stale claim", open, err)
	}
	if after, _ := s.OpenMails(ctx, 0, 0, open[0].ID, 10); len(after) != 1 || after[0].SubscriberID != b.ID {
		t.Errorf("OpenMails after the first = %+v, want b's only", after)
	}
	if n, _ := s.CountOpenMails(ctx); n != 2 {
		t.Errorf("CountOpenMails = %d, want 2", n)
	}
}

func TestConfirm(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	sub := mustAdd(t, s, subscribers.NewSubscriber{Email: "ja@example.org", Kind: "family"}, staffConsent)
	ref, err := s.Confirm(ctx, sub.ID, subscribers.Consent{Source: subscribers.SourceWeb, WordingVersion: "2026-11"})
	if err != nil || ref == nil || ref.Kind != subscribers.MailWelcome {
		t.Fatalf("Confirm = %+v, %v", ref, err)
	}
	after, _ := s.Get(ctx, sub.ID)
	if after.Status != subscribers.StatusConfirmed || after.ConfirmedAt == nil {
		t.Errorf("after Confirm: %s, %v", after.Status, after.ConfirmedAt)
	}
	if again, err := s.Confirm(ctx, sub.ID, subscribers.Consent{Source: subscribers.SourceWeb}); err != nil || again != nil {
		t.Errorf("second Confirm = %+v, %v; want nothing to do", again, err)
	}
	log, _ := s.ConsentLog(ctx, sub.ID)
	if len(log) != 2 || log[1].Source != subscribers.SourceWeb || log[1].WordingVersion != "2026-11" {
		t.Errorf("consent log %+v", log)
	}
	gone := mustAdd(t, s, subscribers.NewSubscriber{Email: "nein@example.org", Kind: "family"}, staffConsent)
	db.MustExec(`UPDATE subscribers SET status = 'unsubscribed' WHERE id = $1`, gone.ID)
	if _, err := s.Confirm(ctx, gone.ID, subscribers.Consent{Source: subscribers.SourceWeb}); !errors.Is(err, subscribers.ErrNotPending) {
		t.Errorf("Confirm of an unsubscribed person: %v, want ErrNotPending", err)
	}
	if _, err := s.Confirm(ctx, 424242, subscribers.Consent{Source: subscribers.SourceWeb}); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("Confirm of nobody: %v, want ErrNotFound", err)
	}
}

// An international domain has one spelling: written as A-labels or in
// capitals it is the same subscriber, found and suppressed under either.
func TestInternationalDomainIsOneSubscriber(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	sub := mustAdd(t, s, subscribers.NewSubscriber{Email: "user@xn--mller-kva.example", Kind: "company"}, staffConsent)
	if sub.Email != "user@müller.example" {
		t.Errorf("stored as %q, want user@müller.example", sub.Email)
	}
	for _, spelling := range []string{"user@müller.example", "USER@MÜLLER.EXAMPLE", "user@xn--mller-kva.example"} {
		if _, err := s.Add(ctx, subscribers.NewSubscriber{Email: spelling, Kind: "company"}, staffConsent); !errors.Is(err, subscribers.ErrExists) {
			t.Errorf("adding %s: %v, want ErrExists", spelling, err)
		}
		if got, err := s.GetByEmail(ctx, spelling); err != nil || got.ID != sub.ID {
			t.Errorf("GetByEmail(%s) = %v, %v", spelling, got, err)
		}
	}
	if err := s.Suppress(ctx, "user@xn--mller-kva.example", subscribers.SuppressedByStaff); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsSuppressed(ctx, "User@Müller.example"); !ok {
		t.Error("the address suppressed in its A-label spelling is not suppressed in its Unicode one")
	}
}
