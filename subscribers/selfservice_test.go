package subscribers_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

var webConsent = subscribers.Consent{Source: subscribers.SourceWeb, WordingVersion: "2026-11"}

func mustSubscribe(t *testing.T, s *subscribers.Store, n subscribers.NewSubscriber) subscribers.SubscribeResult {
	t.Helper()
	res, err := s.Subscribe(context.Background(), n, webConsent)
	if err != nil {
		t.Fatalf("Subscribe(%s): %v", n.Email, err)
	}
	return res
}

// finishMails marks every open mail of a subscriber sent, as a worker would.
func finishMails(t *testing.T, s *subscribers.Store, id int64) {
	t.Helper()
	ctx := context.Background()
	for _, kind := range []subscribers.MailKind{subscribers.MailOptIn, subscribers.MailWelcome, subscribers.MailPreferences} {
		m, _, err := s.ClaimMail(ctx, id, kind, time.Minute)
		if errors.Is(err, subscribers.ErrNothingOwed) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordMail(ctx, m, m.Sent("<id@test>", "250 ok")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSubscribeOutcomes(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	n := subscribers.NewSubscriber{Email: "lea@example.org", Name: "Lea", Kind: subscribers.KindFamily, Topics: []string{"jugend"}}

	first := mustSubscribe(t, s, n)
	if first.Outcome != subscribers.OptInQueued || first.Mail == nil || first.Mail.Kind != subscribers.MailOptIn {
		t.Fatalf("new address: %+v, want an opt-in", first)
	}
	// Sent again while the opt-in waits: the same mail, not a second one.
	n.Name = "Lea Sommer"
	again := mustSubscribe(t, s, n)
	if again.Mail == nil || again.Mail.ID != first.Mail.ID {
		t.Errorf("second request while the opt-in waits = %+v, want mail %d again", again.Mail, first.Mail.ID)
	}
	if sub, _ := s.Get(ctx, first.SubscriberID); sub.Name != "Lea Sommer" || sub.Status != subscribers.StatusPending {
		t.Errorf("pending subscriber after a new request = %+v, want the new name, still pending", sub)
	}

	finishMails(t, s, first.SubscriberID)
	if _, err := s.Confirm(ctx, first.SubscriberID, webConsent); err != nil {
		t.Fatal(err)
	}
	finishMails(t, s, first.SubscriberID)
	before, _ := s.Get(ctx, first.SubscriberID)

	// A confirmed address: nothing changes, the preferences link is sent.
	stranger := subscribers.NewSubscriber{Email: "LEA@example.org", Name: "Someone Else", Kind: subscribers.KindCompany}
	res := mustSubscribe(t, s, stranger)
	if res.Outcome != subscribers.LinkQueued || res.Mail == nil || res.Mail.Kind != subscribers.MailPreferences {
		t.Errorf("confirmed address: %+v, want the preferences link", res)
	}
	after, _ := s.Get(ctx, first.SubscriberID)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a form for a confirmed address changed the subscriber:\n got %+v\nwant %+v", after, before)
	}

	// Unsubscribed, then subscribed again: pending, a new opt-in.
	if _, err := s.Unsubscribe(ctx, first.SubscriberID, webConsent); err != nil {
		t.Fatal(err)
	}
	back := mustSubscribe(t, s, n)
	if sub, _ := s.Get(ctx, first.SubscriberID); back.Outcome != subscribers.OptInQueued || sub.Status != subscribers.StatusPending {
		t.Errorf("returning subscriber: %+v, status %s; want a new opt-in, pending", back, sub.Status)
	}
}

func TestSubscribeInvalidFields(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	_, err := s.Subscribe(context.Background(), subscribers.NewSubscriber{
		Email: "kein-at-zeichen", Name: "Max\r\nBcc: x@example.org", Kind: "", Topics: []string{"gibtsnicht"},
	}, webConsent)
	var invalid subscribers.InvalidFields
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v, want InvalidFields", err)
	}
	var got []subscribers.Field
	for _, f := range invalid {
		got = append(got, f.Field)
	}
	want := []subscribers.Field{subscribers.FieldEmail, subscribers.FieldName, subscribers.FieldKind, subscribers.FieldTopics}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if n, _ := s.Count(context.Background(), subscribers.Filter{}); n != 0 {
		t.Errorf("%d subscribers stored after a bad form", n)
	}
}

func TestSubscribeMailLimit(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	n := subscribers.NewSubscriber{Email: "opfer@example.org", Kind: subscribers.KindOther}
	var outcomes []subscribers.SubscribeOutcome
	for range 6 {
		res := mustSubscribe(t, s, n)
		outcomes = append(outcomes, res.Outcome)
		finishMails(t, s, res.SubscriberID) // each request finds no open mail
	}
	want := []subscribers.SubscribeOutcome{subscribers.OptInQueued, subscribers.OptInQueued, subscribers.OptInQueued,
		subscribers.MailLimited, subscribers.MailLimited, subscribers.MailLimited}
	if !reflect.DeepEqual(outcomes, want) {
		t.Errorf("outcomes = %v, want %v", outcomes, want)
	}
	sub, _ := s.GetByEmail(context.Background(), n.Email)
	mails, _ := s.Mails(context.Background(), sub.ID)
	if len(mails) != subscribers.MaxLinkMailsPerDay {
		t.Errorf("%d mails to one address in a day, want %d", len(mails), subscribers.MaxLinkMailsPerDay)
	}
	if _, err := s.RequestLink(context.Background(), sub.ID); err != nil {
		t.Fatal(err)
	}
	if mails, _ := s.Mails(context.Background(), sub.ID); len(mails) != subscribers.MaxLinkMailsPerDay {
		t.Errorf("RequestLink went past the limit: %d mails", len(mails))
	}
}

func TestUpdatePreferencesLogsTopics(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	sub := mustAdd(t, s, subscribers.NewSubscriber{Email: "hr@firma.example", Kind: subscribers.KindCompany,
		Topics: []string{"fachkraefte"}}, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Visitenkarte"})

	// Same topics, new name: no consent entry.
	p := subscribers.Preferences{Name: "Petra Schulz", Organisation: "Schulz GmbH", Kind: subscribers.KindCompany,
		Language: i18n.English, Topics: []string{"fachkraefte"}}
	if err := s.UpdatePreferences(ctx, sub.ID, p, webConsent); err != nil {
		t.Fatal(err)
	}
	p.Topics = []string{"ausbildung", "oepnv"}
	if err := s.UpdatePreferences(ctx, sub.ID, p, webConsent); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, sub.ID)
	if got.Name != "Petra Schulz" || got.Language != i18n.English || !reflect.DeepEqual(got.Topics, p.Topics) {
		t.Errorf("after update: %+v", got)
	}
	log, _ := s.ConsentLog(ctx, sub.ID)
	var changes []string
	for _, e := range log {
		if e.Action == "topics_changed" {
			changes = append(changes, e.Note)
		}
	}
	if want := []string{"Themen: ausbildung, oepnv"}; !reflect.DeepEqual(changes, want) {
		t.Errorf("topic changes logged = %q, want %q", changes, want)
	}
	p.Kind = "Raumschiff"
	var invalid subscribers.InvalidFields
	if err := s.UpdatePreferences(ctx, sub.ID, p, webConsent); !errors.As(err, &invalid) || invalid[0].Field != subscribers.FieldKind {
		t.Errorf("bad kind: %v, want InvalidFields on kind", err)
	}
}

func TestUnsubscribeSkipsQueuedMail(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	res := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "weg@example.org", Kind: subscribers.KindSchool})
	changed, err := s.Unsubscribe(ctx, res.SubscriberID, webConsent)
	if err != nil || !changed {
		t.Fatalf("Unsubscribe = %v, %v", changed, err)
	}
	if changed, _ := s.Unsubscribe(ctx, res.SubscriberID, webConsent); changed {
		t.Error("a second unsubscribe changed something")
	}
	if _, _, err := s.ClaimMail(ctx, res.SubscriberID, subscribers.MailOptIn, time.Minute); !errors.Is(err, subscribers.ErrNothingOwed) {
		t.Errorf("claim after unsubscribe: %v, want ErrNothingOwed", err)
	}
	log, _ := s.ConsentLog(ctx, res.SubscriberID)
	if n := countAction(log, "unsubscribed"); n != 1 {
		t.Errorf("%d unsubscribe entries, want 1", n)
	}
	if _, err := s.Unsubscribe(ctx, 999999, webConsent); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("unknown subscriber: %v, want ErrNotFound", err)
	}
}

func countAction(log []subscribers.ConsentEntry, action string) int {
	n := 0
	for _, e := range log {
		if string(e.Action) == action {
			n++
		}
	}
	return n
}

func TestConsentRecordsIPOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	with := webConsent
	with.IP, with.UserAgent = "::ffff:192.0.2.7", "Mozilla/5.0\r\nX-Evil: 1"+strings.Repeat("x", 400)
	a, err := s.Subscribe(ctx, subscribers.NewSubscriber{Email: "a@example.org", Kind: subscribers.KindOther}, with)
	if err != nil {
		t.Fatal(err)
	}
	b := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "b@example.org", Kind: subscribers.KindOther})
	logA, _ := s.ConsentLog(ctx, a.SubscriberID)
	logB, _ := s.ConsentLog(ctx, b.SubscriberID)
	if logA[0].IP != "192.0.2.7" || !strings.HasPrefix(logA[0].UserAgent, "Mozilla/5.0X-Evil: 1") || len(logA[0].UserAgent) != 300 {
		t.Errorf("recorded IP %q, user agent %q (%d bytes)", logA[0].IP, logA[0].UserAgent, len(logA[0].UserAgent))
	}
	if logB[0].IP != "" || logB[0].UserAgent != "" || logB[0].WordingVersion != "2026-11" || logB[0].Source != subscribers.SourceWeb {
		t.Errorf("entry without IP: %+v", logB[0])
	}
}

func TestEraseLeavesOnlyTheHash(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	res := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "Ida.Loesch@Example.org", Name: "Ida Lösch",
		Organisation: "Löschverein", Kind: subscribers.KindFamily, Topics: []string{"jugend"}})
	finishMails(t, s, res.SubscriberID)
	if _, err := s.Confirm(ctx, res.SubscriberID, webConsent); err != nil {
		t.Fatal(err)
	}
	exp, err := s.Export(ctx, res.SubscriberID, time.Now())
	if err != nil || exp.Email != "Ida.Loesch@example.org" || len(exp.ConsentLog) < 3 || len(exp.Mails) != 2 || exp.Topics[0].TitleDE == "" {
		t.Fatalf("export before erasure = %+v, %v", exp, err)
	}
	// The check below must see the person while they are stored.
	if hits := testenv.TablesMatching(t, db, "ida|lösch"); !reflect.DeepEqual(hits, []string{"subscribers"}) {
		t.Fatalf("before erasure, tables mentioning the person = %v, want [subscribers]", hits)
	}
	if err := s.Erase(ctx, res.SubscriberID); err != nil {
		t.Fatal(err)
	}
	if hits := testenv.TablesMatching(t, db, "ida|lösch"); len(hits) > 0 {
		t.Errorf("after erasure, tables still mention the person: %v", hits)
	}
	if ok, _ := s.IsSuppressed(ctx, "ida.loesch@example.org"); !ok {
		t.Error("the erased address is not suppressed")
	}
	// A new opt-in through the form still works, and confirming it lifts
	// the suppression.
	again := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "ida.loesch@example.org", Kind: subscribers.KindFamily})
	if again.Outcome != subscribers.OptInQueued {
		t.Fatalf("subscribing after erasure: %+v", again)
	}
	finishMails(t, s, again.SubscriberID)
	if _, err := s.Confirm(ctx, again.SubscriberID, webConsent); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsSuppressed(ctx, "ida.loesch@example.org"); ok {
		t.Error("a confirmed new opt-in left the address suppressed")
	}
}

func TestPurgePending(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	old := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "alt@example.org", Kind: subscribers.KindOther})
	fresh := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "neu@example.org", Kind: subscribers.KindOther})
	kept := mustAdd(t, s, subscribers.NewSubscriber{Email: "fest@example.org", Kind: subscribers.KindOther},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Vertrag"})
	registered := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "angemeldet@example.org", Kind: subscribers.KindOther})
	if _, err := db.ExecContext(ctx, `UPDATE subscribers SET updated_at = now() - interval '15 days', created_at = now() - interval '15 days'
		WHERE id IN ($1, $2, $3)`, old.SubscriberID, kept.ID, registered.SubscriberID); err != nil {
		t.Fatal(err)
	}
	// The events package says who holds a registration; here, one of the
	// two old pending subscribers does (issue 15, point 6).
	holds := func(_ context.Context, _ sqlx.QueryerContext, ids []int64) (map[int64]bool, error) {
		return map[int64]bool{registered.SubscriberID: slices.Contains(ids, registered.SubscriberID)}, nil
	}
	n, asContacts, err := s.PurgePending(ctx, 14*24*time.Hour, holds)
	if err != nil || n != 1 || asContacts != 1 {
		t.Fatalf("PurgePending = %d deleted, %d kept, %v; want 1 and 1", n, asContacts, err)
	}
	for _, c := range []struct {
		id   int64
		want error
	}{{old.SubscriberID, subscribers.ErrNotFound}, {fresh.SubscriberID, nil}, {kept.ID, nil}, {registered.SubscriberID, nil}} {
		if _, err := s.Get(ctx, c.id); !errors.Is(err, c.want) {
			t.Errorf("subscriber %d after purge: %v, want %v", c.id, err, c.want)
		}
	}
	if got, _ := s.Get(ctx, registered.SubscriberID); got == nil || got.Status != subscribers.StatusContact {
		t.Errorf("the registered pending subscriber after the purge: %+v, want a contact", got)
	}
	log, _ := s.ConsentLog(ctx, registered.SubscriberID)
	if len(log) == 0 || log[len(log)-1].Action != subscribers.ActionOptInExpired {
		t.Errorf("consent log of the kept contact: %+v", log)
	}
	if ok, _ := s.IsSuppressed(ctx, "alt@example.org"); ok {
		t.Error("a purged pending address was suppressed")
	}
}

// The same new address sent from several browsers at once while a worker
// sends its opt-in mails: no request fails (before, PostgreSQL broke a
// deadlock between the form's row lock and the worker's consent log entry
// and the form answered 500), each opt-in mail is recorded as sent once,
// with its Message-ID in the consent log, and the repeated request is
// logged once, not once per click.
func TestSubscribeWhileOptInIsSent(t *testing.T) {
	t.Parallel()
	s, db := newStore(t)
	ctx := context.Background()
	const addresses, clients = 4, 8
	deadline := time.Now().Add(2 * time.Second)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sent = map[int64]string{} // mail ID -> Message-ID
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	for a := range addresses {
		email := fmt.Sprintf("neu-%d@example.org", a)
		first := mustSubscribe(t, s, subscribers.NewSubscriber{Email: email, Kind: subscribers.KindFamily})
		for range clients {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					if _, err := s.Subscribe(ctx, subscribers.NewSubscriber{Email: email, Kind: subscribers.KindFamily}, webConsent); err != nil {
						fail(err)
						return
					}
				}
			})
		}
		wg.Go(func() { // the worker
			for n := 0; time.Now().Before(deadline); n++ {
				m, _, err := s.ClaimMail(ctx, first.SubscriberID, subscribers.MailOptIn, time.Hour)
				if errors.Is(err, subscribers.ErrNothingOwed) {
					time.Sleep(time.Millisecond)
					continue
				}
				if err != nil {
					fail(err)
					return
				}
				id := fmt.Sprintf("optin-%d-%d@knf.example", a, n)
				if err := s.RecordMail(ctx, m, m.Sent(id, "250 ok")); err != nil {
					fail(fmt.Errorf("recording mail %d: %w", m.ID, err))
					return
				}
				mu.Lock()
				sent[m.ID] = id
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, the first: %v", len(errs), errs[0])
	}
	var rows []struct {
		ID        int64  `db:"id"`
		Status    string `db:"status"`
		Attempts  int    `db:"attempts"`
		MessageID string `db:"message_id"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT id, status, attempts, message_id FROM subscription_mails WHERE kind = 'optin'`); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		if r.Status == "sending" || (r.Status == "sent" && (r.Attempts != 1 || sent[r.ID] != r.MessageID)) {
			t.Errorf("opt-in mail %+v, want sent once with %q, or queued", r, sent[r.ID])
		}
		if r.Status == "sent" {
			ids = append(ids, r.MessageID)
		}
	}
	if len(ids) != len(sent) || len(sent) < addresses {
		t.Errorf("%d opt-in mails recorded as sent, %d sent; want the same, at least one per address", len(ids), len(sent))
	}
	var logged []string
	if err := db.SelectContext(ctx, &logged, `SELECT message_id FROM consent_log WHERE action = 'optin_sent' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	slices.Sort(logged)
	if !slices.Equal(ids, logged) {
		t.Errorf("consent log holds Message-IDs %v, want those of the mails sent %v", logged, ids)
	}
	var requests []int
	if err := db.SelectContext(ctx, &requests, `SELECT count(*) FROM consent_log WHERE action = 'subscribed' GROUP BY subscriber_id`); err != nil {
		t.Fatal(err)
	}
	for _, n := range requests {
		// The first request, and one after each opt-in mail that went out.
		if n > subscribers.MaxLinkMailsPerDay+1 {
			t.Errorf("%d requests logged for one address within seconds, want at most %d", n, subscribers.MaxLinkMailsPerDay+1)
		}
	}
}

// "+tag" spellings of one address are one inbox: the daily limit on
// opt-in mails counts them together.
func TestSubscribeMailLimitCountsTheInbox(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	queued := 0
	for i := range 5 {
		res := mustSubscribe(t, s, subscribers.NewSubscriber{Email: fmt.Sprintf("bomb+%d@example.org", i), Kind: subscribers.KindOther})
		if res.Outcome == subscribers.OptInQueued {
			queued++
		}
	}
	if other := mustSubscribe(t, s, subscribers.NewSubscriber{Email: "bombe@example.org", Kind: subscribers.KindOther}); other.Outcome != subscribers.OptInQueued {
		t.Errorf("another inbox on the same domain: %v, want its opt-in queued", other.Outcome)
	}
	if queued != subscribers.MaxLinkMailsPerDay {
		t.Errorf("%d opt-in mails to bomb+N@example.org, want %d", queued, subscribers.MaxLinkMailsPerDay)
	}
}
