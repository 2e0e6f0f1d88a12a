package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

const (
	testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
	baseURL    = "https://rundbrief.example"
)

// env is one test's world: its own database, queue namespace and relay.
type env struct {
	db    *sqlx.DB
	store *subscribers.Store
	keys  *subscribers.Keyring
	relay *smtptest.Server
	redis asynq.RedisConnOpt
	ns    string
	cfg   worker.Config
}

func setup(t testing.TB) *env { return setupWith(t, smtptest.Options{}) }

// setupWith is setup with a relay that behaves as opts say.
func setupWith(t testing.TB, opts smtptest.Options) *env {
	t.Helper()
	db, _ := testenv.Database(t)
	redis := testenv.Redis(t)
	keys, err := subscribers.NewKeyring([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	relay := smtptest.Start(t, opts)
	smtpCfg, err := mailer.ParseSMTPURL(relay.URL())
	if err != nil {
		t.Fatal(err)
	}
	smtpCfg.MaxConns = 2
	sender, err := mailer.NewSMTPSender(smtpCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	renderer := testenv.Renderer(t, baseURL)
	e := &env{db: db, store: subscribers.NewStore(db, keys), keys: keys, relay: relay, redis: redis, ns: testenv.Namespace(t, redis)}
	e.cfg = worker.Config{
		Redis: redis, Namespace: e.ns, Store: e.store, Keys: keys, Templates: renderer, Sender: sender,
		From:    mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"},
		BaseURL: baseURL, Concurrency: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetryDelay: func(int) time.Duration { return 100 * time.Millisecond },
		RetryPoll:  100 * time.Millisecond,
	}
	return e
}

func (e *env) worker(t testing.TB, edit func(*worker.Config)) *worker.Worker {
	t.Helper()
	cfg := e.cfg
	if edit != nil {
		edit(&cfg)
	}
	w, err := worker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (e *env) add(t testing.TB, email, name string, lang i18n.Lang) *subscribers.Subscriber {
	t.Helper()
	sub, err := e.store.Add(context.Background(), subscribers.NewSubscriber{
		Email: email, Name: name, Kind: subscribers.KindCompany, Language: lang, Topics: []string{"ausbildung"},
	}, subscribers.Consent{Source: subscribers.SourceStaff})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// enqueueOwed queues the tasks of every open mail, as the import does.
func (e *env) enqueueOwed(t testing.TB) {
	t.Helper()
	mails, err := e.store.OpenMails(context.Background(), 0, time.Hour, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]subscribers.MailRef, len(mails))
	for i, m := range mails {
		refs[i] = m.Ref()
	}
	c := worker.NewClient(e.redis, e.ns)
	defer c.Close()
	if _, err := c.EnqueueMails(context.Background(), refs); err != nil {
		t.Fatal(err)
	}
}

func drain(t testing.TB, w *worker.Worker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := w.RunUntilEmpty(ctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("worker did not empty the queue within 60s")
	}
}

func mailsOf(t testing.TB, e *env, id int64) []subscribers.Mail {
	t.Helper()
	ms, err := e.store.Mails(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

var confirmLink = regexp.MustCompile(regexp.QuoteMeta(baseURL) + `/confirm/([A-Za-z0-9_-]+)`)

// Opt-in mails go out over reused connections, one per subscriber, in the
// subscriber's language, with a confirm link that verifies to them; the
// mail log and the consent log record the Message-ID.
func TestOptInMailsDelivered(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var subs []*subscribers.Subscriber
	for i := range 12 {
		lang := i18n.German
		if i%4 == 0 {
			lang = i18n.English
		}
		subs = append(subs, e.add(t, fmt.Sprintf("person%d@firma%d.example", i, i), fmt.Sprintf("Person %d", i), lang))
	}
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))

	msgs := e.relay.Messages()
	if len(msgs) != len(subs) {
		t.Fatalf("relay got %d messages, want %d", len(msgs), len(subs))
	}
	if c := e.relay.Connections(); c > 2 {
		t.Errorf("%d messages used %d connections, want at most 2 (the concurrency)", len(msgs), c)
	}
	byRcpt := map[string]smtptest.Message{}
	for _, m := range msgs {
		byRcpt[m.To[0]] = m
	}
	dec := new(mime.WordDecoder)
	for i, sub := range subs {
		m, ok := byRcpt[sub.Email]
		if !ok {
			t.Errorf("no mail for %s", sub.Email)
			continue
		}
		h := m.Header()
		subject, _ := dec.DecodeHeader(h.Get("Subject"))
		want := "Bitte bestätigen Sie Ihr Abonnement des Rundbriefs"
		if i%4 == 0 {
			want = "Please confirm your subscription"
		}
		if subject != want {
			t.Errorf("%s: subject %q, want %q", sub.Email, subject, want)
		}
		if h.Get("List-Unsubscribe") != "" {
			t.Errorf("%s: the opt-in request carries List-Unsubscribe", sub.Email)
		}
		match := confirmLink.FindStringSubmatch(m.Text())
		if match == nil || !strings.Contains(m.HTML(), `href="`+match[0]+`"`) {
			t.Errorf("%s: no confirm link in both parts of\n%s", sub.Email, m.Data)
			continue
		}
		id, err := e.keys.Verify(string(match[1]), subscribers.PurposeConfirm, time.Now())
		if err != nil || id != sub.ID {
			t.Errorf("%s: confirm token verifies to %d, %v; want %d", sub.Email, id, err, sub.ID)
		}
		ms := mailsOf(t, e, sub.ID)
		if len(ms) != 1 || ms[0].Status != maillog.Sent || "<"+ms[0].MessageID+">" != h.Get("Message-Id") {
			t.Errorf("%s: mail log %+v, Message-Id %s", sub.Email, ms, h.Get("Message-Id"))
		}
		log, _ := e.store.ConsentLog(context.Background(), sub.ID)
		if len(log) != 2 || log[1].MessageID != ms[0].MessageID {
			t.Errorf("%s: consent log %+v lacks the opt-in mail's Message-ID", sub.Email, log)
		}
	}
}

// A 4xx reply is retried until the relay takes the mail.
func TestTemporaryFailureIsRetried(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "spaeter@example.org", "", i18n.German)
	e.relay.Reply(sub.Email, smtptest.Temporary(), smtptest.Temporary())
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))

	if n := len(e.relay.Messages()); n != 1 {
		t.Fatalf("relay got %d messages, want 1", n)
	}
	ms := mailsOf(t, e, sub.ID)
	if len(ms) != 1 || ms[0].Status != maillog.Sent || ms[0].Attempts != 3 {
		t.Errorf("mail log %+v, want sent on the third attempt", ms)
	}
}

// A 5xx "no such user" is not retried: the mail is bounced, the subscriber
// marked bounced and the address suppressed.
func TestPermanentFailureBounces(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "gibtsnicht@example.org", "", i18n.German)
	e.relay.Reply(sub.Email, smtptest.Unknown(), smtptest.Unknown())
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))

	ms := mailsOf(t, e, sub.ID)
	if len(ms) != 1 || ms[0].Status != maillog.Bounced || ms[0].Attempts != 1 || !strings.Contains(ms[0].Reply, "550") {
		t.Errorf("mail log %+v, want bounced after one attempt", ms)
	}
	after, _ := e.store.Get(context.Background(), sub.ID)
	if after.Status != subscribers.StatusBounced {
		t.Errorf("subscriber is %s, want bounced", after.Status)
	}
	if ok, _ := e.store.IsSuppressed(context.Background(), sub.Email); !ok {
		t.Error("address not suppressed")
	}
	assertArchived(t, e, 1)
}

// A policy rejection (5.7.1) is the sender's problem: the mail fails, the
// subscriber stays as they were.
func TestPolicyRejectionDoesNotBounce(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "streng@example.org", "", i18n.German)
	e.relay.Reply(sub.Email, smtptest.Policy())
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))

	if ms := mailsOf(t, e, sub.ID); len(ms) != 1 || ms[0].Status != maillog.Failed || ms[0].Attempts != 1 {
		t.Errorf("mail log %+v, want failed after one attempt", ms)
	}
	after, _ := e.store.Get(context.Background(), sub.ID)
	suppressed, _ := e.store.IsSuppressed(context.Background(), sub.Email)
	if after.Status != subscribers.StatusPending || suppressed {
		t.Errorf("subscriber %s, suppressed %v; want pending, not suppressed", after.Status, suppressed)
	}
}

// After MaxRetry temporary failures the mail is given up as failed.
func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "immer-spaeter@example.org", "", i18n.German)
	e.relay.Reply(sub.Email, smtptest.Temporary(), smtptest.Temporary(), smtptest.Temporary(), smtptest.Temporary())
	e.enqueueOwed(t)
	drain(t, e.worker(t, func(c *worker.Config) { c.MaxRetry = 2 }))

	if ms := mailsOf(t, e, sub.ID); len(ms) != 1 || ms[0].Status != maillog.Failed || ms[0].Attempts != 3 {
		t.Errorf("mail log %+v, want failed after 3 attempts", ms)
	}
	if n := len(e.relay.Messages()); n != 0 {
		t.Errorf("relay got %d messages", n)
	}
}

// A task for a subscriber that does not exist can never succeed: it is
// archived at once, not retried.
func TestUnknownSubscriberNotRetried(t *testing.T) {
	t.Parallel()
	e := setup(t)
	task, err := worker.NewOptInTask(987654)
	if err != nil {
		t.Fatal(err)
	}
	c := asynq.NewClient(e.redis)
	defer c.Close()
	if _, err := c.Enqueue(task, asynq.Queue(worker.MailQueue(e.ns)), asynq.MaxRetry(5)); err != nil {
		t.Fatal(err)
	}
	drain(t, e.worker(t, nil))
	assertArchived(t, e, 1)
}

func assertArchived(t testing.TB, e *env, want int) {
	t.Helper()
	insp := asynq.NewInspector(e.redis)
	defer insp.Close()
	info, err := insp.GetQueueInfo(worker.MailQueue(e.ns))
	if err != nil {
		t.Fatal(err)
	}
	if info.Archived != want || info.Retry != 0 {
		t.Errorf("queue has %d archived and %d retrying tasks, want %d and 0", info.Archived, info.Retry, want)
	}
}

// Duplicate tasks, and two workers on one queue, still send each mail once.
func TestNoDoubleSend(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var subs []*subscribers.Subscriber
	for i := range 40 {
		subs = append(subs, e.add(t, fmt.Sprintf("p%d@example.org", i), "", i18n.German))
	}
	e.enqueueOwed(t)
	// Extra tasks for the same subscribers, as a retry storm or a second
	// enqueue would make them.
	c := asynq.NewClient(e.redis)
	defer c.Close()
	for _, s := range subs {
		task, _ := worker.NewOptInTask(s.ID)
		if _, err := c.Enqueue(task, asynq.Queue(worker.MailQueue(e.ns))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		w := e.worker(t, nil)
		wg.Go(func() { drain(t, w) })
	}
	wg.Wait()
	got := map[string]int{}
	for _, m := range e.relay.Messages() {
		got[m.To[0]]++
	}
	for _, s := range subs {
		if got[s.Email] != 1 {
			t.Errorf("%s got %d mails, want 1", s.Email, got[s.Email])
		}
	}
}

// Mails whose task vanished (Redis lost its data) are re-queued from
// PostgreSQL and sent.
func TestLostTasksAreRequeued(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "verloren@example.org", "", i18n.German)
	// No enqueue: as if Redis had been flushed after the import.
	drain(t, e.worker(t, nil))
	if ms := mailsOf(t, e, sub.ID); len(ms) != 1 || ms[0].Status != maillog.Sent {
		t.Errorf("mail log %+v, want sent", ms)
	}
}

// An opt-in owed to someone who confirmed in the meantime (say, through an
// earlier mail) is skipped, and the welcome mail goes out instead.
func TestMailNoLongerOwedIsSkipped(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sub := e.add(t, "schnell@example.org", "", i18n.German)
	welcome, err := e.store.Confirm(ctx, sub.ID, subscribers.Consent{Source: subscribers.SourceWeb})
	if err != nil || welcome == nil {
		t.Fatalf("Confirm = %v, %v", welcome, err)
	}
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))
	ms := mailsOf(t, e, sub.ID)
	if len(ms) != 2 || ms[0].Kind != subscribers.MailOptIn || ms[0].Status != maillog.Skipped ||
		ms[1].Kind != subscribers.MailWelcome || ms[1].Status != maillog.Sent {
		t.Errorf("mail log %+v, want the opt-in skipped and the welcome sent", ms)
	}
	if msgs := e.relay.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Header().Get("Subject"), "Willkommen") {
		t.Errorf("relay got %d messages, want only the welcome mail", len(msgs))
	}
}

// The welcome mail carries the preferences link and the list headers.
func TestWelcomeMail(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sub, err := e.store.Add(ctx, subscribers.NewSubscriber{Email: "willkommen@example.org", Name: "Anna", Kind: "family", Topics: []string{"kinderbetreuung", "jugend"}},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Telefon 24.11."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.QueueMail(ctx, sub.ID, subscribers.MailWelcome); err != nil {
		t.Fatal(err)
	}
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))
	msgs := e.relay.Messages()
	if len(msgs) != 1 {
		t.Fatalf("relay got %d messages, want 1", len(msgs))
	}
	h := msgs[0].Header()
	unsub := h.Get("List-Unsubscribe")
	token := strings.TrimSuffix(strings.TrimPrefix(unsub, "<"+baseURL+"/unsubscribe/"), ">")
	if id, err := e.keys.Verify(token, subscribers.PurposePreferences, time.Now().AddDate(5, 0, 0)); err != nil || id != sub.ID {
		t.Errorf("List-Unsubscribe %q: token verifies to %d, %v", unsub, id, err)
	}
	if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.Contains(h.Get("List-Id"), "<rundbrief.knf.example>") {
		t.Errorf("list headers: %v", h)
	}
	if !strings.Contains(msgs[0].Text(), baseURL+"/preferences/"+token) {
		t.Error("no preferences link in the body")
	}
}

// Shutting down (SIGTERM in `rundbrief worker`) waits for the mail in
// flight and records it before Run returns.
func TestShutdownFinishesMailInFlight(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "langsam@example.org", "", i18n.German)
	slow := &slowSender{Sender: e.cfg.Sender, started: make(chan struct{}), release: make(chan struct{})}
	w := e.worker(t, func(c *worker.Config) { c.Sender = slow })
	e.enqueueOwed(t)

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-slow.started:
	case <-time.After(20 * time.Second):
		t.Fatal("the mail never started sending")
	}
	stop() // SIGTERM
	select {
	case <-done:
		t.Fatal("Run returned while a mail was in flight")
	case <-time.After(300 * time.Millisecond):
	}
	close(slow.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after the mail finished")
	}
	if ms := mailsOf(t, e, sub.ID); len(ms) != 1 || ms[0].Status != maillog.Sent {
		t.Errorf("mail log %+v, want sent", ms)
	}
}

type slowSender struct {
	mailer.Sender
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (s *slowSender) Send(ctx context.Context, m *mailer.Message) (mailer.Receipt, error) {
	s.once.Do(func() { close(s.started) })
	<-s.release
	return s.Sender.Send(ctx, m)
}

// A confirmed subscriber who fills in the form again gets their preferences
// link with the list headers, and no opt-in.
func TestPreferencesLinkMail(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	_, err := e.store.Add(ctx, subscribers.NewSubscriber{Email: "schon@example.org", Kind: "school", Language: "en"},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Messe 2026"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.store.Subscribe(ctx, subscribers.NewSubscriber{Email: "schon@example.org", Kind: "other"},
		subscribers.Consent{Source: subscribers.SourceWeb})
	if err != nil || res.Outcome != subscribers.LinkQueued {
		t.Fatalf("Subscribe = %+v, %v", res, err)
	}
	c := worker.NewClient(e.redis, e.ns)
	defer c.Close()
	if _, err := c.EnqueueMail(ctx, *res.Mail); err != nil {
		t.Fatal(err)
	}
	drain(t, e.worker(t, nil))
	msgs := e.relay.Messages()
	if len(msgs) != 1 {
		t.Fatalf("relay got %d messages, want 1", len(msgs))
	}
	h := msgs[0].Header()
	if subj, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); subj != "Your link to your newsletter preferences" {
		t.Errorf("subject %q", subj)
	}
	// Anyone can ask for it through the form: it answers that request
	// and is no list mail (issue 15, point 4).
	if h.Get("List-Unsubscribe") != "" || h.Get("List-Unsubscribe-Post") != "" || h.Get("List-Id") != "" {
		t.Errorf("list headers on the preferences link: %v", h)
	}
	if !strings.Contains(msgs[0].Text(), baseURL+"/preferences/") {
		t.Error("no preferences link in the body")
	}
}

// A mail still queued for someone who unsubscribed is not sent, even when
// its task runs.
func TestNoMailAfterUnsubscribe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sub, err := e.store.Add(ctx, subscribers.NewSubscriber{Email: "bye@example.org", Kind: "family"},
		subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Elternabend"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.store.QueueMail(ctx, sub.ID, subscribers.MailWelcome)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Unsubscribe(ctx, sub.ID, subscribers.Consent{Source: subscribers.SourceWeb}); err != nil {
		t.Fatal(err)
	}
	c := worker.NewClient(e.redis, e.ns)
	defer c.Close()
	if _, err := c.EnqueueMail(ctx, m.Ref()); err != nil {
		t.Fatal(err)
	}
	drain(t, e.worker(t, nil))
	if n := len(e.relay.Messages()); n != 0 {
		t.Errorf("relay got %d messages for an unsubscribed subscriber", n)
	}
	if ms := mailsOf(t, e, sub.ID); len(ms) != 1 || ms[0].Status != maillog.Skipped {
		t.Errorf("mail log %+v, want the welcome skipped", ms)
	}
}

// The purge task deletes subscribers left unconfirmed past the pending TTL.
func TestPurgePendingTask(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	sub := e.add(t, "vergessen@example.org", "", i18n.German)
	time.Sleep(1100 * time.Millisecond)
	c := asynq.NewClient(e.redis)
	defer c.Close()
	if _, err := c.Enqueue(asynq.NewTask(worker.TypePurgePending, nil), asynq.Queue(worker.MailQueue(e.ns))); err != nil {
		t.Fatal(err)
	}
	drain(t, e.worker(t, func(c *worker.Config) { c.PendingTTL = time.Second }))
	if _, err := e.store.Get(ctx, sub.ID); err == nil {
		t.Error("a subscriber unconfirmed past the TTL is still there")
	}
}

// A finished task that still holds a mail's task ID (the database was
// restored, Redis kept its data) does not block the mail: it is replaced.
func TestFinishedTaskDoesNotBlockItsID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	sub := e.add(t, "wieder@example.org", "", i18n.German)
	mails := mailsOf(t, e, sub.ID)
	// An archived task with the ID the mail's task will have.
	task, _ := worker.NewOptInTask(999999)
	ac := asynq.NewClient(e.redis)
	defer ac.Close()
	if _, err := ac.Enqueue(task, asynq.Queue(worker.MailQueue(e.ns)), asynq.TaskID(fmt.Sprintf("optin:%d", mails[0].ID))); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(e.redis)
	defer insp.Close()
	if err := insp.ArchiveTask(worker.MailQueue(e.ns), fmt.Sprintf("optin:%d", mails[0].ID)); err != nil {
		t.Fatal(err)
	}
	c := worker.NewClient(e.redis, e.ns)
	defer c.Close()
	if ok, err := c.EnqueueMail(context.Background(), mails[0].Ref()); err != nil || !ok {
		t.Fatalf("EnqueueMail over an archived task = %v, %v; want queued", ok, err)
	}
	if ok, _ := c.EnqueueMail(context.Background(), mails[0].Ref()); ok {
		t.Error("a waiting task was replaced")
	}
	drain(t, e.worker(t, nil))
	if n := len(e.relay.Messages()); n != 1 {
		t.Errorf("relay got %d messages, want 1", n)
	}
}

// Through a relay without SMTPUTF8 (RFC 6531), an address with an
// international domain arrives under its A-label; one with umlauts before
// the @ cannot go, and its mail fails without the address being counted
// as bounced or suppressed.
func TestInternationalAddressesThroughAnASCIIRelay(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	idn := e.add(t, "user@müller.example", "", i18n.German)
	utf8 := e.add(t, "jörg@example.org", "", i18n.German)
	e.enqueueOwed(t)
	drain(t, e.worker(t, nil))

	msgs := e.relay.Messages()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "user@xn--mller-kva.example" ||
		!strings.Contains(msgs[0].Header().Get("To"), "user@xn--mller-kva.example") {
		t.Fatalf("relay got %d messages (%v), want the one to user@xn--mller-kva.example", len(msgs), msgs)
	}
	if ms := mailsOf(t, e, utf8.ID); len(ms) != 1 || ms[0].Status != maillog.Failed || !strings.Contains(ms[0].Reply, "SMTPUTF8") {
		t.Errorf("mail log of jörg@: %+v, want failed for want of SMTPUTF8", ms)
	}
	after, _ := e.store.Get(ctx, utf8.ID)
	suppressed, _ := e.store.IsSuppressed(ctx, utf8.Email)
	if after.Status != subscribers.StatusPending || suppressed || e.relay.RcptCount("jörg@example.org") != 0 {
		t.Errorf("jörg@ is %s, suppressed %v, %d RCPT TOs; want pending, not suppressed, never offered to the relay",
			after.Status, suppressed, e.relay.RcptCount("jörg@example.org"))
	}
	if got, _ := e.store.Get(ctx, idn.ID); got.Email != "user@müller.example" {
		t.Errorf("stored as %q", got.Email)
	}
}
