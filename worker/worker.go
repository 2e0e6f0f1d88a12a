package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/bounces"
	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/mailer"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// Config is what a worker needs. Zero durations and counts take the
// defaults named on each field.
type Config struct {
	Redis     asynq.RedisConnOpt
	Namespace string // default DefaultNamespace

	Store *subscribers.Store
	// Campaigns, when set, makes the worker send campaigns too.
	Campaigns *campaigns.Store
	// Events, when set, makes the worker send the mails about
	// registrations too.
	Events    *events.Store
	Keys      *subscribers.Keyring
	Templates *templates.Renderer
	Sender    mailer.Sender
	From      mail.Address
	ReplyTo   mail.Address // where answers go, if not to From; optional
	// VERP, when set, gives every mail its own envelope sender, the
	// bounce address with a token that names the mail, so that a report
	// that comes back later maps to it (see bounces). Without it, the
	// envelope sender is From.
	VERP *bounces.VERP
	// Bounces, when set, is the reader of the bounce mailbox, which Run
	// runs beside the queue, polling every BouncePoll (default 5 minutes)
	// and idling in between.
	Bounces    BounceReader
	BouncePoll time.Duration
	// Metrics, when set, count the mails sent, failed and bounced, the
	// relay's replies and the time to send (see admin).
	Metrics *admin.Metrics
	// Logos are the pictures every mail carries inline (see
	// compose.Composer.Logos).
	Logos    []mailer.Attachment
	BaseURL  string
	OptInTTL time.Duration // default 7 days
	Logger   *slog.Logger  // default slog.Default()

	// Concurrency is how many mails are sent at once; with SMTP, also the
	// most connections held open. Default 4.
	Concurrency int
	// Rate caps the campaign mails sent per second by all workers on the
	// same Redis and namespace together; 0 means no limit.
	Rate int
	// MaxRetry is how often a temporary failure is retried, whatever the
	// task was enqueued with. Default DefaultMaxRetry.
	MaxRetry int
	// RetryDelay is the wait before retry n (from 1). Default: 10s doubling
	// to at most an hour, with jitter.
	RetryDelay func(n int) time.Duration
	// RetryPoll is how often tasks waiting for a retry are checked for
	// being due. Default 5 seconds.
	RetryPoll time.Duration
	// Lease is how long a claimed mail is reserved for one worker. Default
	// 10 minutes.
	Lease time.Duration
	// RequeueEvery is how often the sweep looks in PostgreSQL for work
	// whose task was lost (Redis lost its data, a worker was killed) and
	// for due scheduled campaigns and reminders. Default 1 minute.
	RequeueEvery time.Duration
	// RequeueAfter is how long a queued mail may wait before the sweep
	// re-creates its task. Default twice RequeueEvery.
	RequeueAfter time.Duration
	// PendingTTL is how long a subscriber may stay unconfirmed after their
	// last request before the hourly purge deletes them. Default 14 days.
	PendingTTL time.Duration
	// RegistrationTTL is how long after its event a registration is kept
	// (the event keeps the figures); with Events set, the hourly purge
	// deletes older ones, then the contacts left without one. 0 keeps
	// them.
	RegistrationTTL time.Duration
	// ShutdownTimeout is how long a shutdown waits for mails in flight.
	// Default 30 seconds.
	ShutdownTimeout time.Duration
	Now             func() time.Time // default time.Now
}

// BounceReader reads the bounce mailbox until ctx ends (imapbox.Reader).
type BounceReader interface {
	Run(ctx context.Context, every time.Duration) error
}

// Worker sends subscription mail from the queue.
type Worker struct {
	cfg       Config
	queue     string
	handler   *MailHandler
	campaigns *CampaignHandler     // nil without Config.Campaigns
	regs      *RegistrationHandler // nil without Config.Events
	client    *Client
}

// New checks cfg and returns a worker. It connects to Redis when it runs.
func New(cfg Config) (*Worker, error) {
	if cfg.Redis == nil || cfg.Store == nil || cfg.Keys == nil || cfg.Templates == nil || cfg.Sender == nil {
		return nil, errors.New("worker: Redis, Store, Keys, Templates and Sender are required")
	}
	if cfg.From.Address == "" || cfg.BaseURL == "" {
		return nil, errors.New("worker: From and BaseURL are required")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	cfg.OptInTTL = orDefault(cfg.OptInTTL, 7*24*time.Hour)
	cfg.Lease = orDefault(cfg.Lease, 10*time.Minute)
	cfg.RequeueEvery = orDefault(cfg.RequeueEvery, time.Minute)
	cfg.RequeueAfter = orDefault(cfg.RequeueAfter, 2*cfg.RequeueEvery)
	cfg.PendingTTL = orDefault(cfg.PendingTTL, 14*24*time.Hour)
	cfg.ShutdownTimeout = orDefault(cfg.ShutdownTimeout, 30*time.Second)
	cfg.RetryPoll = orDefault(cfg.RetryPoll, 5*time.Second)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = DefaultMaxRetry
	}
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = Backoff(10 * time.Second)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := NewClient(cfg.Redis, cfg.Namespace)
	client.maxRetry = cfg.MaxRetry
	composer := &compose.Composer{Templates: cfg.Templates, Keys: cfg.Keys, From: cfg.From, ReplyTo: cfg.ReplyTo, Logos: cfg.Logos,
		Links: compose.Links{Base: cfg.BaseURL}, OptInTTL: cfg.OptInTTL}
	w := &Worker{
		cfg:    cfg,
		queue:  MailQueue(cfg.Namespace),
		client: client,
		handler: &MailHandler{
			Store: cfg.Store, Composer: composer, Sender: cfg.Sender, VERP: cfg.VERP, Metrics: cfg.Metrics,
			Lease: cfg.Lease, MaxRetry: cfg.MaxRetry, Log: cfg.Logger, Now: cfg.Now,
		},
	}
	if cfg.Campaigns != nil {
		w.campaigns = &CampaignHandler{
			Campaigns: cfg.Campaigns, Subscribers: cfg.Store, Sender: cfg.Sender, Client: client,
			Composer: composer, VERP: cfg.VERP, Metrics: cfg.Metrics,
			Lease: cfg.Lease, MaxRetry: cfg.MaxRetry, RetryDelay: cfg.RetryDelay, Log: cfg.Logger, Now: cfg.Now,
		}
	}
	if cfg.Events != nil {
		w.regs = &RegistrationHandler{
			Events: cfg.Events, Subscribers: cfg.Store, Composer: composer, Sender: cfg.Sender, VERP: cfg.VERP, Metrics: cfg.Metrics,
			Lease: cfg.Lease, MaxRetry: cfg.MaxRetry, Log: cfg.Logger, Now: cfg.Now,
		}
	}
	return w, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Backoff waits first before the first retry, doubling up to an hour,
// with ±20% jitter so that retries after a relay outage do not arrive at
// once. Its n counts from 1.
func Backoff(first time.Duration) func(n int) time.Duration {
	return func(n int) time.Duration {
		d := first << min(max(n-1, 0), 20)
		d = min(d, time.Hour)
		return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	}
}

// Client is the worker's client, for queueing tasks on its queues.
func (w *Worker) Client() *Client { return w.client }

// Run works the queue until ctx is done, then shuts down gracefully: it
// takes no new tasks and waits up to ShutdownTimeout for the mails in
// flight. Before it starts, and every minute while it runs, it re-creates
// the tasks of mails that lost theirs.
func (w *Worker) Run(ctx context.Context) error {
	stop, err := w.start(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it had started
		}
		return err
	}
	var bounced sync.WaitGroup
	if w.cfg.Bounces != nil {
		bounced.Go(func() { w.cfg.Bounces.Run(ctx, orDefault(w.cfg.BouncePoll, 5*time.Minute)) })
	}
	<-ctx.Done()
	w.cfg.Logger.Info("worker shutting down; finishing mails in flight", "timeout", w.cfg.ShutdownTimeout)
	stop()
	bounced.Wait()
	w.cfg.Logger.Info("worker stopped")
	return nil
}

// StoppedError is the error of RunUntilEmpty when it was stopped (ctx
// done) while mails were still owed. They stay in the mail logs and go
// out when a worker runs again.
type StoppedError struct {
	Open int // mails owed when the worker stopped
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("worker: stopped with %d mails still owed", e.Open)
}

// RunUntilEmpty works the queue until no mail is owed any more (the queue
// is empty and the mail log has no open mail), then shuts down as Run
// does, and returns nil. Mails whose task is missing are re-queued at
// once. Stopped by ctx first, it finishes the mails in flight and returns
// a *StoppedError if mails are still owed (nil if none are).
func (w *Worker) RunUntilEmpty(ctx context.Context, poll time.Duration) error {
	stop, err := w.start(ctx)
	if err != nil {
		return err
	}
	var once sync.Once
	defer once.Do(stop)
	// stopped is the answer once ctx is done: the mails in flight are
	// finished and recorded, then what is still owed is counted.
	stopped := func() error {
		once.Do(stop)
		return w.stillOwed()
	}
	// failed is err, unless ctx is done and err came from stopping.
	failed := func(err error) error {
		if ctx.Err() != nil {
			return stopped()
		}
		return err
	}
	insp := asynq.NewInspector(w.cfg.Redis)
	defer insp.Close()
	quiet := 0
	for quiet < 2 {
		select {
		case <-ctx.Done():
			return stopped()
		case <-time.After(poll):
		}
		queued, err := w.queued(insp)
		if err != nil {
			return failed(err)
		}
		open, err := w.countOpen(ctx)
		if err != nil {
			return failed(err)
		}
		switch {
		case queued == 0 && open == 0:
			quiet++
		case queued == 0:
			// Open mails without a task: re-create them now.
			quiet = 0
			if _, err := w.Sweep(ctx, 0); err != nil {
				return failed(err)
			}
		default:
			quiet = 0
		}
	}
	return nil
}

// stillOwed is RunUntilEmpty's answer to being stopped: a *StoppedError
// naming the mails still owed, or nil when none are.
func (w *Worker) stillOwed() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open, err := w.countOpen(ctx)
	switch {
	case err != nil:
		return err
	case open > 0:
		return &StoppedError{Open: open}
	}
	return nil
}

// countOpen counts the mails owed: open subscription mails and open
// deliveries of campaigns being sent.
func (w *Worker) countOpen(ctx context.Context) (int, error) {
	n, err := w.cfg.Store.CountOpenMails(ctx)
	if err != nil {
		return n, err
	}
	if w.cfg.Events != nil {
		m, err := w.cfg.Events.CountOpenMails(ctx)
		if err != nil {
			return n, err
		}
		n += m
	}
	if w.cfg.Campaigns == nil {
		return n, nil
	}
	m, err := w.cfg.Campaigns.CountOpen(ctx)
	return n + m, err
}

// queues are the worker's queues with their priorities: subscription mail
// strictly before campaigns.
func (w *Worker) queues() map[string]int {
	q := map[string]int{w.queue: 2}
	if w.campaigns != nil {
		q[CampaignQueue(w.cfg.Namespace)] = 1
	}
	return q
}

// queued counts the tasks in the worker's queues that are still to run.
func (w *Worker) queued(insp *asynq.Inspector) (int, error) {
	queues, err := insp.Queues()
	if err != nil {
		return 0, fmt.Errorf("worker: queues: %w", err)
	}
	total := 0
	for q := range w.queues() {
		if !slices.Contains(queues, q) {
			continue // nothing was ever queued
		}
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			return 0, fmt.Errorf("worker: queue info: %w", err)
		}
		total += info.Pending + info.Active + info.Retry
		// A mail waiting for its retry is owed; a campaign scheduled for
		// later (campaigns send --at) is owed only once its time is near:
		// waiting for one due in days would keep RunUntilEmpty running
		// until then.
		switch {
		case q == w.queue:
			total += info.Scheduled
		case info.Scheduled > 0:
			due, err := insp.ListScheduledTasks(q, asynq.PageSize(1000))
			if err != nil {
				return 0, fmt.Errorf("worker: scheduled tasks: %w", err)
			}
			for _, task := range due {
				if time.Until(task.NextProcessAt) < startsSoon {
					total++
				}
			}
		}
	}
	return total, nil
}

// startsSoon is how near a scheduled campaign's time must be for
// RunUntilEmpty to wait for it.
const startsSoon = 2 * time.Minute

// start sweeps for what was lost and starts the asynq server and scheduler.
// stop shuts them down, waiting for the mails in flight, and closes the
// client.
func (w *Worker) start(ctx context.Context) (stop func(), err error) {
	if err := w.client.Ping(); err != nil {
		return nil, fmt.Errorf("worker: Redis: %w", err)
	}
	if _, err := w.Sweep(ctx, w.cfg.RequeueAfter); err != nil {
		return nil, err
	}
	if w.campaigns != nil {
		if w.campaigns.limiter, err = newRateLimiter(w.cfg.Redis, w.cfg.Namespace, w.cfg.Rate); err != nil {
			return nil, err
		}
	}
	log := asynqLogger{w.cfg.Logger}
	srv := asynq.NewServer(w.cfg.Redis, asynq.Config{
		Concurrency:     w.cfg.Concurrency,
		Queues:          w.queues(),
		StrictPriority:  true,
		RetryDelayFunc:  func(n int, _ error, _ *asynq.Task) time.Duration { return w.cfg.RetryDelay(n) },
		ShutdownTimeout: w.cfg.ShutdownTimeout,
		// Retries are due after RetryDelay; check for due ones this often.
		DelayedTaskCheckInterval: w.cfg.RetryPoll,
		// An idle worker looks for new tasks five times a second (asynq's
		// default is once): the first mails of a campaign leave within a
		// second of its start. Each look is one small Redis script.
		TaskCheckInterval: 200 * time.Millisecond,
		Logger:            log,
		LogLevel:          asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			w.cfg.Logger.Debug("task failed", "task", t.Type(), "retried", retried, "error", err)
		}),
	})
	mux := asynq.NewServeMux()
	mux.Handle(TypeOptIn, w.handler)
	mux.Handle(TypeWelcome, w.handler)
	mux.Handle(TypePreferences, w.handler)
	mux.HandleFunc(TypePurgePending, w.purgePending)
	if w.regs != nil {
		mux.Handle(TypeRegistrationMail, w.regs)
	}
	if w.campaigns != nil {
		mux.Handle(TypeDeliver, w.campaigns)
		mux.Handle(TypeStartCampaign, w.campaigns)
	}
	mux.HandleFunc(TypeSweep, func(ctx context.Context, _ *asynq.Task) error {
		_, err := w.Sweep(ctx, w.cfg.RequeueAfter)
		return err
	})
	if err := srv.Start(mux); err != nil {
		return nil, fmt.Errorf("worker: start: %w", err)
	}
	sched := asynq.NewScheduler(w.cfg.Redis, &asynq.SchedulerOpts{Logger: log, LogLevel: asynq.WarnLevel})
	// Every worker runs a scheduler; Unique keeps it to one sweep per
	// interval among them.
	if _, err := sched.Register("@every "+w.cfg.RequeueEvery.String(), asynq.NewTask(TypeSweep, nil),
		asynq.Queue(w.queue), asynq.Unique(max(w.cfg.RequeueEvery*9/10, time.Second)), asynq.MaxRetry(0)); err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("worker: schedule sweep: %w", err)
	}
	if _, err := sched.Register("@every 1h", asynq.NewTask(TypePurgePending, nil),
		asynq.Queue(w.queue), asynq.Unique(55*time.Minute), asynq.MaxRetry(3)); err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("worker: schedule purge: %w", err)
	}
	if err := sched.Start(); err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("worker: start scheduler: %w", err)
	}
	w.cfg.Logger.Info("worker started", "queue", w.queue, "concurrency", w.cfg.Concurrency, "rate", w.cfg.Rate)
	return func() {
		sched.Shutdown()
		srv.Shutdown()
		w.client.Close()
		if w.campaigns != nil {
			w.campaigns.limiter.Close()
		}
	}, nil
}

// purgePending deletes the subscribers who did not confirm within
// PendingTTL (DSGVO Art. 5(1)(e): data kept no longer than needed); those
// who hold a registration stay, as contacts. With Events, it then deletes
// the requests from the public page not confirmed within OptInTTL, the
// registrations RegistrationTTL after their event, and the contacts left
// without one.
func (w *Worker) purgePending(ctx context.Context, _ *asynq.Task) error {
	_, err := w.Purge(ctx)
	return err
}

// Purged is what a purge deleted.
type Purged struct {
	Pending        int // unconfirmed subscribers past PendingTTL
	KeptAsContacts int // of them, those who hold a registration, kept as contacts
	Requests       int // requests from the public page not confirmed within OptInTTL
	Events         int // past events whose registrations went
	Registrations  int // registrations deleted with them
	Contacts       int // contacts left without a registration
}

// Purge is the hourly purge (TypePurgePending), run at once: it applies
// PendingTTL, OptInTTL to requests, and RegistrationTTL, and says what
// went.
func (w *Worker) Purge(ctx context.Context) (Purged, error) {
	var p Purged
	registered := func(context.Context, sqlx.QueryerContext, []int64) (map[int64]bool, error) { return nil, nil }
	if w.cfg.Events != nil {
		registered = w.cfg.Events.Registered
	}
	var err error
	p.Pending, p.KeptAsContacts, err = w.cfg.Store.PurgePending(ctx, w.cfg.PendingTTL, registered)
	if p.Pending > 0 || p.KeptAsContacts > 0 {
		w.cfg.Logger.Info("deleted subscribers who did not confirm in time", "count", p.Pending, "kept_as_contacts", p.KeptAsContacts, "ttl", w.cfg.PendingTTL)
	}
	if err != nil || w.cfg.Events == nil {
		return p, err
	}
	// A request held no place; the address it names was never shown to
	// be the asker's.
	if p.Requests, err = w.cfg.Events.ExpireRequests(ctx, w.cfg.Now().Add(-w.cfg.OptInTTL)); err != nil {
		return p, err
	}
	if p.Requests > 0 {
		w.cfg.Logger.Info("deleted registration requests not confirmed in time", "count", p.Requests, "ttl", w.cfg.OptInTTL)
	}
	if w.cfg.RegistrationTTL > 0 {
		p.Events, p.Registrations, err = w.cfg.Events.PurgeRegistrations(ctx, w.cfg.RegistrationTTL, w.cfg.Now(), w.cfg.Store.Kinds)
		if err != nil {
			return p, err
		}
		if p.Events > 0 {
			w.cfg.Logger.Info("deleted the registrations of past events", "events", p.Events, "registrations", p.Registrations, "ttl", w.cfg.RegistrationTTL)
		}
	}
	// A contact exists for their registrations only: once none is left
	// (purged, or an expired request), they go after OptInTTL.
	p.Contacts, err = w.cfg.Store.PurgeContacts(ctx, w.cfg.OptInTTL, registered)
	if p.Contacts > 0 {
		w.cfg.Logger.Info("deleted contacts without a registration", "count", p.Contacts)
	}
	return p, err
}
