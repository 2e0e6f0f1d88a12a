package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/web"
)

const testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// recordingQueue stands in for the worker's client and remembers the mails
// queued.
type recordingQueue struct {
	mu            sync.Mutex
	refs          []subscribers.MailRef
	registrations []int64
}

func (q *recordingQueue) EnqueueRegistrationMails(_ context.Context, ids []int64) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.registrations = append(q.registrations, ids...)
	return len(ids), nil
}

func (q *recordingQueue) EnqueueMail(_ context.Context, ref subscribers.MailRef) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.refs = append(q.refs, ref)
	return true, nil
}

func (q *recordingQueue) registrationMails() []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]int64(nil), q.registrations...)
}

func (q *recordingQueue) queued() []subscribers.MailRef {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]subscribers.MailRef(nil), q.refs...)
}

// site is one test's web server with its own database.
type site struct {
	t      testing.TB
	db     *sqlx.DB
	dbURL  string
	store  *subscribers.Store
	keys   *subscribers.Keyring
	queue  *recordingQueue
	srv    *httptest.Server
	server *web.Server // the handler, also to Serve on a listener of a test's own
	logs   *testenv.SyncBuffer
}

func newSite(t testing.TB, edit func(*web.Config)) *site {
	t.Helper()
	db, dbURL := testenv.Database(t)
	keys, err := subscribers.NewKeyring([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, db: db, dbURL: dbURL, store: subscribers.NewStore(db, keys), keys: keys, queue: &recordingQueue{}, logs: &testenv.SyncBuffer{}}
	s.srv = httptest.NewUnstartedServer(nil)
	cfg := web.Config{
		Store: s.store, Keys: keys, Queue: s.queue, Events: events.NewStore(db),
		Campaigns:    campaigns.NewStore(db, s.store, events.NewStore(db)),
		From:         mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"},
		BaseURL:      "http://" + s.srv.Listener.Addr().String(),
		Name:         "Netzwerkstelle Fachkräftesicherung Nordhausen",
		Impressum:    "Landratsamt Nordhausen · Behringstraße 3 · 99734 Nordhausen",
		ImpressumURL: "https://www.landratsamt-nordhausen.de/impressum",
		PrivacyURL:   "https://www.landratsamt-nordhausen.de/datenschutz",
		Logger:       slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.server = h
	s.srv.Config.Handler = h
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	return s
}

// response is an answer with its body read.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request without following redirects.
func (s *site) do(method, path string, body io.Reader, header map[string]string) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (s *site) get(path string) response { return s.do("GET", path, nil, nil) }

func (s *site) post(path string, form url.Values) response {
	return s.do("POST", path, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// subscribeForm is a complete, valid subscription form.
func subscribeForm(email string) url.Values {
	return url.Values{
		"email": {email}, "name": {"Anna Beispiel"}, "organisation": {"Beispiel GmbH"},
		"kind": {"company"}, "topics": {"ausbildung", "fachkraefte"}, "language": {"de"}, "consent": {"yes"},
	}
}

// confirmed adds a confirmed subscriber and returns them with their
// preferences token.
func (s *site) confirmed(email string) (*subscribers.Subscriber, string) {
	s.t.Helper()
	sub, err := s.store.Add(context.Background(), subscribers.NewSubscriber{
		Email: email, Name: "Bernd Beispiel", Kind: subscribers.KindSchool, Topics: []string{"jugend"},
	}, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Anmeldung auf Papier, 12.11.2026"})
	if err != nil {
		s.t.Fatal(err)
	}
	return sub, s.keys.Token(subscribers.PurposePreferences, sub.ID, time.Time{})
}

// snapshot is the content of every table, for checking that a request
// changed nothing.
func (s *site) snapshot() string {
	s.t.Helper()
	var tables []string
	if err := s.db.Select(&tables, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version' ORDER BY 1`); err != nil {
		s.t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var rows []string
		if err := s.db.Select(&rows, `SELECT t::text FROM `+table+` t ORDER BY 1`); err != nil {
			s.t.Fatal(err)
		}
		b.WriteString(table + ":\n" + strings.Join(rows, "\n") + "\n")
	}
	return b.String()
}
