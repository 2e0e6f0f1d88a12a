// Package web serves the public pages of rundbrief: subscribe, confirm,
// preferences (with "my data" and "delete me"), and unsubscribe.
//
// The pages are server-rendered html/template with one small stylesheet and
// no JavaScript, in German by default and in English by ?lang=en, the
// subscriber's own language or the browser's Accept-Language.
//
// The rules it keeps:
//
//   - GET never changes anything: mail gateways open every link to scan it.
//     Confirming, unsubscribing and deleting are POSTs behind a page with a
//     button. The one POST without a page is the one-click unsubscribe of
//     RFC 8058, which mail providers send to the List-Unsubscribe URL.
//   - Every answer to the subscription form is the same page, whether the
//     address is new, pending or confirmed, so nobody can learn from it who
//     subscribes (see subscribers.Store.Subscribe).
//   - State-changing forms are protected against cross-site requests with
//     net/http's CrossOriginProtection; the one-click POST is exempt, as RFC
//     8058 requires it to work without cookies or an Origin.
//   - Pages carry a Content-Security-Policy without script, frame-ancestors
//     'none', Referrer-Policy no-referrer (a token must not leak to another
//     site) and nosniff. Request bodies are capped, and the server has
//     timeouts. Logs name the route pattern, never a token.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/compose"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
	"github.com/knf-nordhausen/rundbrief/texts"
)

// MaxBodyBytes caps a request body. The largest form, the preferences, is
// far below it.
const MaxBodyBytes = 64 << 10

// MailQueue queues the task of a subscription mail whose row exists. The
// worker's Client is one.
type MailQueue interface {
	EnqueueMail(ctx context.Context, ref subscribers.MailRef) (bool, error)
	// EnqueueRegistrationMails queues the tasks of mails about
	// registrations whose rows exist.
	EnqueueRegistrationMails(ctx context.Context, ids []int64) (int, error)
}

// paths are the pages' links to each other, paths{}.Event(slug): the
// routes compose spells, from the root (Page.URL and absolute add the
// base).
type paths = compose.Links

// Config is what the web server needs.
type Config struct {
	Store *subscribers.Store
	Keys  *subscribers.Keyring
	Queue MailQueue
	// Events, when set, serves the public event pages (/events/SLUG) and
	// their calendar files; From is then the calendar's organizer.
	Events *events.Store
	From   mail.Address
	// Campaigns, when set, adds the campaigns sent to a person to the data
	// they download ("Meine Daten").
	Campaigns *campaigns.Store
	// BaseURL is where the pages are reached from outside, as the links in
	// mail say (RUNDBRIEF_BASE_URL). Its origin is trusted for forms.
	BaseURL string
	// Brand name, Impressum line and the legal pages for the footer.
	Name         string
	Impressum    string
	ImpressumURL string
	PrivacyURL   string
	// RecordIP keeps the IP address and user agent of consent requests in
	// the consent log (RUNDBRIEF_RECORD_IP).
	RecordIP bool
	// TrustProxy takes the client address from the last X-Forwarded-For
	// entry, for a server behind a reverse proxy (RUNDBRIEF_TRUST_PROXY).
	TrustProxy bool
	// SubscribeBurst and SubscribeEvery limit the subscription form per
	// client address: SubscribeBurst requests at once, then one every
	// SubscribeEvery. Defaults 10 and 20 seconds.
	SubscribeBurst int
	SubscribeEvery time.Duration
	// OptInTTL is how long the worker makes confirm links valid
	// (RUNDBRIEF_OPTIN_TTL; default 7 days): a link's issue time is its
	// expiry less this, and a link issued before the person unsubscribed
	// or bounced confirms nothing.
	OptInTTL time.Duration
	// Texts are the pages' words and the consent wording with its
	// version (package texts); default the shipped ones.
	Texts  *texts.Catalog
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now
	// Metrics, when set, count the requests by route and status (see
	// admin).
	Metrics *admin.Metrics
}

// Server is the public web server. It is an http.Handler.
type Server struct {
	cfg      Config
	pages    map[string]*template.Template
	copy     map[i18n.Lang]map[string]string
	limiter  *limiter
	markdown *templates.Markdown
	handler  http.Handler
	form     formCache // the empty subscription form, see WatchTopics
}

// New checks cfg and returns the server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Queue == nil {
		return nil, errors.New("web: Store, Keys and Queue are required")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("web: base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.Name) == "" || strings.TrimSpace(cfg.Impressum) == "" {
		return nil, errors.New("web: the name and the Impressum line are required")
	}
	if cfg.SubscribeBurst <= 0 {
		cfg.SubscribeBurst = 10
	}
	if cfg.SubscribeEvery <= 0 {
		cfg.SubscribeEvery = 20 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OptInTTL <= 0 {
		cfg.OptInTTL = 7 * 24 * time.Hour
	}
	if cfg.Texts == nil {
		cfg.Texts = texts.Default()
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		pages:    pages,
		copy:     pageCopy(cfg.Texts),
		limiter:  newLimiter(cfg.SubscribeEvery, cfg.SubscribeBurst, cfg.Now),
		markdown: templates.NewMarkdown(),
	}
	csrf := http.NewCrossOriginProtection()
	if err := csrf.AddTrustedOrigin(base.Scheme + "://" + base.Host); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	// RFC 8058: the one-click POST comes from the mail provider, with no
	// cookies and no Origin; it must not be refused as cross-site.
	csrf.AddInsecureBypassPattern("POST " + compose.RouteUnsubscribe)
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusForbidden)
	}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.subscribeForm)
	mux.HandleFunc("POST /subscribe", s.subscribe)
	mux.HandleFunc("GET /subscribe", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET "+compose.RouteConfirm, s.confirmPage)
	mux.HandleFunc("POST "+compose.RouteConfirm, s.confirm)
	mux.HandleFunc("POST "+compose.RouteConfirm+"/resend", s.resend)
	mux.HandleFunc("GET "+compose.RoutePreferences, s.preferencesPage)
	mux.HandleFunc("POST "+compose.RoutePreferences, s.savePreferences)
	mux.HandleFunc("POST "+compose.RoutePreferences+"/data", s.downloadData)
	mux.HandleFunc("GET "+compose.RoutePreferences+"/delete", s.deletePage)
	mux.HandleFunc("POST "+compose.RoutePreferences+"/delete", s.erase)
	mux.HandleFunc("GET "+compose.RouteUnsubscribe, s.unsubscribePage)
	mux.HandleFunc("POST "+compose.RouteUnsubscribe, s.unsubscribe)
	mux.HandleFunc("GET "+compose.RouteArchive, s.archivePage)
	mux.HandleFunc("GET "+compose.RouteArchived, s.archivedPage)
	mux.HandleFunc("GET "+compose.RouteArchivedFile, s.archivedFile)
	mux.HandleFunc("GET "+compose.RouteEvents, s.eventsPage)
	mux.HandleFunc("GET "+compose.RouteEventsFeed, s.eventsFeed)
	mux.HandleFunc("GET "+compose.RouteEvent, s.eventPage)
	mux.HandleFunc("POST "+compose.RouteEvent, s.requestRegistration)
	mux.HandleFunc("GET "+compose.RouteEventCalendar, s.eventCalendar)
	mux.HandleFunc("GET "+compose.RouteRegister, s.registrationPage)
	mux.HandleFunc("POST "+compose.RouteRegister, s.register)
	mux.HandleFunc("GET "+compose.RouteCancel, s.cancelPage)
	mux.HandleFunc("POST "+compose.RouteCancel, s.cancelRegistration)
	mux.HandleFunc("GET /static/style.css", serveStylesheet)
	mux.HandleFunc("GET /healthz", s.health)
	// Everything else: 405 if the path is known for another method, else
	// 404, each with a page that explains.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			probe := r.Clone(r.Context())
			probe.Method = method
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				w.Header().Set("Allow", method)
				s.fail(w, r, http.StatusMethodNotAllowed)
				return
			}
		}
		s.fail(w, r, http.StatusNotFound)
	})
	s.handler = s.recoverPanics(s.logRequests(securityHeaders(limitBody(csrf.Handler(mux)))))
	return s, nil
}

// ServeHTTP serves the pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// ListenAndServe serves on addr until ctx is done, then shuts down, giving
// requests in progress up to 10 seconds.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, as ListenAndServe.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.cfg.Logger.Info("web server listening", "addr", ln.Addr().String(), "base_url", s.cfg.BaseURL)
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	s.cfg.Logger.Info("web server stopped")
	return nil
}

// health answers 200 when the database answers, for load balancers and
// container health checks.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := s.cfg.Store.Topics(ctx); err != nil {
		s.cfg.Logger.Error("health check: database", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unavailable")
		return
	}
	fmt.Fprintln(w, "ok")
}

// enqueue queues the task of a mail whose row exists. If Redis cannot take
// it, the row stays owed and the worker's sweep sends it within minutes,
// so the person is not told of an error.
func (s *Server) enqueue(ctx context.Context, ref *subscribers.MailRef) {
	if ref == nil {
		return
	}
	if _, err := s.cfg.Queue.EnqueueMail(context.WithoutCancel(ctx), *ref); err != nil {
		s.cfg.Logger.Warn("queueing a mail failed; the worker's sweep will send it", "mail", ref.ID, "kind", ref.Kind, "error", err)
	}
}

// consent describes a request for the consent log: from the web, with the
// IP address and user agent only where the installation records them.
func (s *Server) consent(r *http.Request, wording string) subscribers.Consent {
	c := subscribers.Consent{Source: subscribers.SourceWeb, WordingVersion: wording}
	if s.cfg.RecordIP {
		c.IP = s.clientIP(r)
		c.UserAgent = r.UserAgent()
	}
	return c
}

// clientIP is the address of the client: the connection's peer, or behind a
// trusted proxy the last X-Forwarded-For entry (the one the proxy added).
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := strings.TrimSpace(last); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// absolute is the external URL of path, under BaseURL.
func (s *Server) absolute(path string) string { return strings.TrimRight(s.cfg.BaseURL, "/") + path }

// pageCopy is the wording of every page in each language: the texts'
// section "seiten", with the consent wording (einwilligung.text) as
// subscribe.consent.
func pageCopy(c *texts.Catalog) map[i18n.Lang]map[string]string {
	out := map[i18n.Lang]map[string]string{}
	for _, lang := range i18n.All() {
		m := c.Section(lang, "seiten")
		_, m["subscribe.consent"] = c.Consent(lang)
		for k, v := range c.Section(lang, "woerter") {
			m["woerter."+k] = v
		}
		out[lang] = m
	}
	return out
}
