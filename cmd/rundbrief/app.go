package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/config"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/migrations"
	"github.com/knf-nordhausen/rundbrief/postgres"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// app holds what one command line needs, opened on first use and closed at
// the end. Nothing here is global, so tests run commands side by side.
type app struct {
	env            []string
	stdin          io.Reader
	stdout, stderr io.Writer
	started        bool          // flags and arguments were accepted and the command began
	cpus           func(int) int // runtime.GOMAXPROCS in the real process, nil in tests

	cfg     *config.Config
	db      *sqlx.DB
	queue   *worker.Client
	closers []func()

	adminMetrics *admin.Metrics // see metrics
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// config loads and checks the configuration.
func (a *app) config() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	c, err := config.Load(a.env)
	if err != nil {
		return nil, fmt.Errorf("die Konfiguration ist fehlerhaft:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	a.cfg = c
	return c, nil
}

// logger writes to stderr at the configured level.
func (a *app) logger() *slog.Logger {
	level := slog.LevelInfo
	if a.cfg != nil {
		level = a.cfg.LogLevel
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

// openDB connects to the database, creating it if it is missing.
func (a *app) openDB(ctx context.Context) (*sqlx.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, databaseError(cfg.DatabaseURL, err)
	}
	a.db = db
	a.closers = append(a.closers, func() { db.Close() })
	return db, nil
}

// database connects and checks that the schema is up to date.
func (a *app) database(ctx context.Context) (*sqlx.DB, error) {
	db, err := a.openDB(ctx)
	if err != nil {
		return nil, err
	}
	states, err := migrations.List(ctx, db.DB)
	if err != nil {
		return nil, err
	}
	for _, s := range states {
		if !s.Applied {
			return nil, errors.New("die Datenbank ist noch nicht eingerichtet oder nicht auf dem neuesten Stand; bitte zuerst ausführen: rundbrief migrate")
		}
	}
	return db, nil
}

// keyring derives the keys from RUNDBRIEF_SECRET.
func (a *app) keyring() (*subscribers.Keyring, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	secret, err := cfg.RequireSecret()
	if err != nil {
		return nil, err
	}
	return subscribers.NewKeyring(secret)
}

// store opens the subscriber store.
func (a *app) store(ctx context.Context) (*subscribers.Store, error) {
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	db, err := a.database(ctx)
	if err != nil {
		return nil, err
	}
	return subscribers.NewStore(db, keys), nil
}

// subscriber opens the store and finds the subscriber with the address
// email, explaining in German if there is none.
func (a *app) subscriber(ctx context.Context, email string) (*subscribers.Store, *subscribers.Subscriber, error) {
	s, err := a.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	var sub *subscribers.Subscriber
	if id, ok := personNumber(email); ok {
		sub, err = s.Get(ctx, id)
	} else {
		sub, err = s.GetByEmail(ctx, email)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", email, explain(err))
	}
	return s, sub, nil
}

// queueClient connects to Redis for queueing tasks.
func (a *app) queueClient() (*worker.Client, error) {
	if a.queue != nil {
		return a.queue, nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	c := worker.NewClient(cfg.Redis(), cfg.Namespace)
	if err := c.Ping(); err != nil {
		c.Close()
		return nil, redisError(cfg.RedisURL, err)
	}
	a.queue = c
	a.closers = append(a.closers, func() { c.Close() })
	return c, nil
}

// enqueueMails queues mail tasks and reports whether it did. If Redis is
// down the mails stay owed in the database, where the worker finds them;
// the command says so and still succeeds.
func (a *app) enqueueMails(ctx context.Context, refs []subscribers.MailRef) bool {
	if len(refs) == 0 {
		return true
	}
	q, err := a.queueClient()
	if err == nil {
		_, err = q.EnqueueMails(ctx, refs)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "Hinweis: Die Mails sind gespeichert, aber noch nicht in der Warteschlange.\n%v.\n"+
			"Der Worker holt sie nach, sobald Redis wieder erreichbar ist.\n", err)
		return false
	}
	return true
}

// enqueueImportedOptIns queues the tasks of the opt-in mails an import
// queued, ten thousand at a time, so that a list of a million costs no
// more memory than one of ten thousand. If Redis is down the mails stay
// owed, as in enqueueMails.
func (a *app) enqueueImportedOptIns(ctx context.Context, s *subscribers.Store, r subscribers.MailRange) {
	for after := int64(0); r.Count > 0; {
		refs, err := s.QueuedOptIns(ctx, r, after, 10000)
		if err != nil || len(refs) == 0 {
			return
		}
		if !a.enqueueMails(ctx, refs) {
			return
		}
		after = refs[len(refs)-1].ID
	}
}

// stores are the three stores on one database, with the keys.
type stores struct {
	keys      *subscribers.Keyring
	subs      *subscribers.Store
	events    *events.Store
	campaigns *campaigns.Store
}

// stores opens the stores.
func (a *app) stores(ctx context.Context) (*stores, error) {
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	db, err := a.database(ctx)
	if err != nil {
		return nil, err
	}
	subs, evs := subscribers.NewStore(db, keys), events.NewStore(db)
	return &stores{keys: keys, subs: subs, events: evs, campaigns: campaigns.NewStore(db, subs, evs)}, nil
}

// campaignStore opens the campaign store.
func (a *app) campaignStore(ctx context.Context) (*campaigns.Store, error) {
	st, err := a.stores(ctx)
	if err != nil {
		return nil, err
	}
	return st.campaigns, nil
}

// composer builds mails as the worker does.
func (a *app) composer() (*compose.Composer, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	keys, err := a.keyring()
	if err != nil {
		return nil, err
	}
	r, err := a.renderer()
	if err != nil {
		return nil, err
	}
	return &compose.Composer{Templates: r, Keys: keys, From: cfg.FromAddress(), ReplyTo: cfg.ReplyToAddress(), Logos: logos(cfg), Links: compose.Links{Base: cfg.BaseURL}, OptInTTL: time.Duration(cfg.OptInTTL)}, nil
}
