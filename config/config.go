// Package config reads rundbrief's configuration from environment variables
// (RUNDBRIEF_*), checks every value, and names the variable when one is
// wrong. Defaults work on a machine with PostgreSQL and Redis on localhost.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/bounces/imapbox"
	"github.com/knf-nordhausen/rundbrief/mailer"
)

// MinSecretLength is the least number of bytes RUNDBRIEF_SECRET must have.
const MinSecretLength = 32

// namespacePattern is the form of RUNDBRIEF_QUEUE_NAMESPACE.
var namespacePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Config is the configuration of one rundbrief installation.
//
// The default sender's domain is reserved (RFC 2606), so no relay delivers
// it: with a relay configured, RUNDBRIEF_FROM must name a real address.
type Config struct {
	DatabaseURL     string     `env:"RUNDBRIEF_DATABASE_URL" envDefault:"postgres://127.0.0.1:5432/rundbrief?sslmode=disable"`
	RedisURL        string     `env:"RUNDBRIEF_REDIS_URL" envDefault:"redis://127.0.0.1:6379/0"`
	Namespace       string     `env:"RUNDBRIEF_QUEUE_NAMESPACE" envDefault:"rundbrief"`
	SMTPURL         string     `env:"RUNDBRIEF_SMTP_URL"`
	Outbox          string     `env:"RUNDBRIEF_OUTBOX" envDefault:"./outbox"`
	From            string     `env:"RUNDBRIEF_FROM" envDefault:"Netzwerkstelle Fachkräftesicherung <rundbrief@nordhausen.example>"`
	ReplyTo         string     `env:"RUNDBRIEF_REPLY_TO"`
	BaseURL         string     `env:"RUNDBRIEF_BASE_URL" envDefault:"http://127.0.0.1:8080"`
	Listen          string     `env:"RUNDBRIEF_LISTEN" envDefault:"127.0.0.1:8080"`
	Name            string     `env:"RUNDBRIEF_NAME" envDefault:"Netzwerkstelle Fachkräftesicherung Nordhausen"`
	Secret          string     `env:"RUNDBRIEF_SECRET"`
	OptInTTL        Duration   `env:"RUNDBRIEF_OPTIN_TTL" envDefault:"7d"`
	PendingTTL      Duration   `env:"RUNDBRIEF_PENDING_TTL" envDefault:"14d"`
	RegistrationTTL Duration   `env:"RUNDBRIEF_REGISTRATION_TTL" envDefault:"90d"`
	RecordIP        bool       `env:"RUNDBRIEF_RECORD_IP" envDefault:"false"`
	TrustProxy      bool       `env:"RUNDBRIEF_TRUST_PROXY" envDefault:"false"`
	Concurrency     int        `env:"RUNDBRIEF_CONCURRENCY" envDefault:"4"`
	Rate            int        `env:"RUNDBRIEF_RATE" envDefault:"0"`
	Lease           Duration   `env:"RUNDBRIEF_LEASE" envDefault:"10m"`
	RequeueEvery    Duration   `env:"RUNDBRIEF_REQUEUE_EVERY" envDefault:"1m"`
	RetryDelay      Duration   `env:"RUNDBRIEF_RETRY_DELAY" envDefault:"10s"`
	Impressum       string     `env:"RUNDBRIEF_IMPRESSUM" envDefault:"Landratsamt Nordhausen · Kommunale Netzwerkstelle Fachkräftesicherung · Behringstraße 3 · 99734 Nordhausen"`
	ImpressumURL    string     `env:"RUNDBRIEF_IMPRESSUM_URL"`
	PrivacyURL      string     `env:"RUNDBRIEF_PRIVACY_URL"`
	Logo            string     `env:"RUNDBRIEF_LOGO"`
	Texts           string     `env:"RUNDBRIEF_TEXTS"`
	FooterLogos     string     `env:"RUNDBRIEF_FOOTER_LOGOS"`
	LogLevel        slog.Level `env:"RUNDBRIEF_LOG_LEVEL" envDefault:"info"`
	BounceAddress   string     `env:"RUNDBRIEF_BOUNCE_ADDRESS"`
	BounceIMAPURL   string     `env:"RUNDBRIEF_BOUNCE_IMAP_URL"`
	BouncePoll      Duration   `env:"RUNDBRIEF_BOUNCE_POLL" envDefault:"5m"`
	DKIMKey         string     `env:"RUNDBRIEF_DKIM_KEY"`
	DKIMSelector    string     `env:"RUNDBRIEF_DKIM_SELECTOR"`
	DKIMDomain      string     `env:"RUNDBRIEF_DKIM_DOMAIN"`
	AdminListen     string     `env:"RUNDBRIEF_ADMIN_LISTEN"`
	AdminPassword   string     `env:"RUNDBRIEF_ADMIN_PASSWORD"`

	set        map[string]bool // variables given in the environment
	smtp       *mailer.SMTPConfig
	bounceIMAP *imapbox.Config
	dkim       *mailer.DKIM
	dkimDomain string
	from       mail.Address
	replyTo    mail.Address
	redis      asynq.RedisConnOpt

	logo        *Logo
	footerLogos []Logo
}

// Error is a wrong configuration value.
type Error struct {
	Var string // the environment variable
	Err error
}

func (e *Error) Error() string { return e.Var + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Load reads the configuration from environ (as os.Environ returns it) and
// checks it. The error joins one *Error per wrong variable.
func Load(environ []string) (*Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	c := &Config{set: map[string]bool{}}
	for k := range vars {
		if strings.HasPrefix(k, "RUNDBRIEF_") {
			c.set[k] = true
		}
	}
	// Report every wrong variable at once: those that cannot be read, and
	// those whose value is wrong.
	parseErrs := namedParseErrors(env.ParseWithOptions(c, env.Options{Environment: vars}))
	failed := map[string]bool{}
	for _, e := range parseErrs {
		var ce *Error
		if errors.As(e, &ce) {
			failed[ce.Var] = true
		}
	}
	errs := parseErrs
	for _, e := range c.check() {
		if ce := e.(*Error); !failed[ce.Var] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// namedParseErrors turns the library's errors, which name Go fields, into
// errors that name the environment variables.
func namedParseErrors(err error) []error {
	if err == nil {
		return nil
	}
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return []error{fmt.Errorf("config: %w", err)}
	}
	var out []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			out = append(out, &Error{Var: varOf(pe.Name), Err: fmt.Errorf("Wert nicht lesbar: %w", pe.Err)})
			continue
		}
		out = append(out, e)
	}
	return out
}

// varOf is the environment variable of a Config field.
func varOf(field string) string {
	if f, ok := reflect.TypeFor[Config]().FieldByName(field); ok {
		return f.Tag.Get("env")
	}
	return field
}

// check validates every value and keeps the parsed forms. Every error is an
// *Error.
func (c *Config) check() []error {
	var errs []error
	fail := func(v string, err error) { errs = append(errs, &Error{Var: v, Err: err}) }

	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || strings.Trim(u.Path, "/") == "" {
		fail("RUNDBRIEF_DATABASE_URL", errors.New("erwartet eine Adresse wie postgres://benutzer:passwort@host:5432/rundbrief?sslmode=disable"))
	}
	if opt, err := asynq.ParseRedisURI(c.RedisURL); err != nil {
		fail("RUNDBRIEF_REDIS_URL", fmt.Errorf("erwartet eine Adresse wie redis://127.0.0.1:6379/0 (%v)", err))
	} else {
		c.redis = opt
	}
	if !namespacePattern.MatchString(c.Namespace) {
		fail("RUNDBRIEF_QUEUE_NAMESPACE", errors.New("erwartet 1 bis 40 Kleinbuchstaben, Ziffern, - oder _, z. B. rundbrief-test"))
	}
	if c.SMTPURL != "" {
		if s, err := mailer.ParseSMTPURL(c.SMTPURL); err != nil {
			fail("RUNDBRIEF_SMTP_URL", err)
		} else {
			c.smtp = &s
		}
	} else if strings.TrimSpace(c.Outbox) == "" {
		fail("RUNDBRIEF_OUTBOX", errors.New("braucht einen Ordner für die Mails – oder RUNDBRIEF_SMTP_URL für einen Mailserver"))
	}
	if a, err := mail.ParseAddress(c.From); err != nil || strings.ContainsAny(c.From, "\r\n") {
		fail("RUNDBRIEF_FROM", fmt.Errorf("erwartet eine Absenderadresse wie %q", "Netzwerkstelle Fachkräftesicherung <knf@example.org>"))
	} else {
		c.from = *a
		if c.smtp != nil && strings.HasSuffix(a.Address, ".example") {
			fail("RUNDBRIEF_FROM", fmt.Errorf("%s ist ein Platzhalter, den kein Mailserver zustellt; bitte die echte Absenderadresse der Stelle eintragen", a.Address))
		}
	}
	c.loadLogos(fail)
	if dir := strings.TrimSpace(c.Texts); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			fail("RUNDBRIEF_TEXTS", fmt.Errorf("%s ist kein Ordner; er soll de.yaml und/oder en.yaml mit den eigenen Texten enthalten (rundbrief texts export %s legt sie an)", dir, dir))
		}
	}
	if strings.TrimSpace(c.ReplyTo) != "" {
		if a, err := mail.ParseAddress(c.ReplyTo); err != nil || strings.ContainsAny(c.ReplyTo, "\r\n") {
			fail("RUNDBRIEF_REPLY_TO", fmt.Errorf("erwartet eine Adresse für Antworten wie %q", "Netzwerkstelle Fachkräftesicherung <fachkraefte@example.org>"))
		} else {
			c.replyTo = *a
		}
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		fail("RUNDBRIEF_BASE_URL", errors.New("erwartet die öffentliche Adresse der Webseiten, z. B. https://rundbrief.example.org"))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Secret != "" && len(c.Secret) < MinSecretLength {
		fail("RUNDBRIEF_SECRET", fmt.Errorf("hat %d Bytes, nötig sind mindestens %d; erzeugen mit: openssl rand -base64 48", len(c.Secret), MinSecretLength))
	}
	if d := time.Duration(c.OptInTTL); d < time.Hour || d > 90*24*time.Hour {
		fail("RUNDBRIEF_OPTIN_TTL", fmt.Errorf("%s liegt nicht zwischen 1h und 90d", c.OptInTTL))
	}
	if d := time.Duration(c.PendingTTL); d < time.Duration(c.OptInTTL) || d > 90*24*time.Hour {
		fail("RUNDBRIEF_PENDING_TTL", fmt.Errorf("%s muss mindestens so lang sein wie RUNDBRIEF_OPTIN_TTL (%s) und höchstens 90d", c.PendingTTL, c.OptInTTL))
	}
	if d := time.Duration(c.RegistrationTTL); d != 0 && (d < 24*time.Hour || d > 3*365*24*time.Hour) {
		fail("RUNDBRIEF_REGISTRATION_TTL", fmt.Errorf("%s liegt nicht zwischen 1d und 1095d (0 behält die Anmeldungen)", c.RegistrationTTL))
	}
	if host, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" || (host != "" && net.ParseIP(host) == nil && host != "localhost") {
		fail("RUNDBRIEF_LISTEN", errors.New("erwartet Adresse und Port, z. B. 127.0.0.1:8080 oder :8080 für alle Schnittstellen"))
	}
	if strings.TrimSpace(c.Name) == "" || strings.ContainsAny(c.Name, "\r\n") || len([]rune(c.Name)) > 100 {
		fail("RUNDBRIEF_NAME", errors.New("muss eine Zeile mit dem Namen der Stelle sein (höchstens 100 Zeichen)"))
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		fail("RUNDBRIEF_CONCURRENCY", fmt.Errorf("%d liegt nicht zwischen 1 und 64", c.Concurrency))
	}
	if c.Rate < 0 || c.Rate > 100000 {
		fail("RUNDBRIEF_RATE", fmt.Errorf("%d ist keine Zahl von Mails je Sekunde zwischen 0 (ohne Grenze) und 100000", c.Rate))
	}
	if d := time.Duration(c.Lease); d < time.Second || d > 24*time.Hour {
		fail("RUNDBRIEF_LEASE", fmt.Errorf("%s liegt nicht zwischen 1s und 24h", c.Lease))
	}
	if d := time.Duration(c.RequeueEvery); d < 2*time.Second || d > time.Hour {
		fail("RUNDBRIEF_REQUEUE_EVERY", fmt.Errorf("%s liegt nicht zwischen 2s und 1h", c.RequeueEvery))
	}
	if d := time.Duration(c.RetryDelay); d < 100*time.Millisecond || d > time.Hour {
		fail("RUNDBRIEF_RETRY_DELAY", fmt.Errorf("%s liegt nicht zwischen 100ms und 1h", c.RetryDelay))
	}
	if strings.TrimSpace(c.Impressum) == "" || strings.ContainsAny(c.Impressum, "\r\n") {
		fail("RUNDBRIEF_IMPRESSUM", errors.New("muss eine Zeile mit Stelle und Postanschrift sein"))
	}
	for _, v := range []struct{ name, val string }{{"RUNDBRIEF_IMPRESSUM_URL", c.ImpressumURL}, {"RUNDBRIEF_PRIVACY_URL", c.PrivacyURL}} {
		if v.val == "" {
			continue
		}
		if u, err := url.Parse(v.val); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fail(v.name, errors.New("erwartet eine vollständige Adresse wie https://www.example.org/impressum"))
		}
	}
	c.checkBounces(fail)
	c.checkDKIM(fail)
	c.checkAdmin(fail)
	if (c.ImpressumURL == "") != (c.PrivacyURL == "") {
		fail("RUNDBRIEF_PRIVACY_URL", errors.New("RUNDBRIEF_IMPRESSUM_URL und RUNDBRIEF_PRIVACY_URL gehören zusammen: beide setzen oder keine"))
	}
	return errs
}

// checkBounces checks the bounce address and mailbox: the address is a
// bare address whose local part has no '+', the mailbox a valid
// imaps:// or imap:// URL, and the mailbox needs the address.
func (c *Config) checkBounces(fail func(string, error)) {
	if c.BounceAddress != "" {
		a, err := mail.ParseAddress(c.BounceAddress)
		at := strings.LastIndexByte(c.BounceAddress, '@')
		if err != nil || a.Address != c.BounceAddress || at < 0 || at > 32 || strings.ContainsAny(c.BounceAddress[:at], "+\" ") {
			fail("RUNDBRIEF_BOUNCE_ADDRESS", errors.New("erwartet eine Adresse ohne Namen und ohne + wie bounces@example.org (höchstens 32 Zeichen vor dem @); an sie gehen die Fehlermeldungen der Mailserver, mit einem Zeichen hinter + für jede Mail"))
		}
	}
	if c.BounceIMAPURL != "" {
		if b, err := imapbox.ParseURL(c.BounceIMAPURL); err != nil {
			fail("RUNDBRIEF_BOUNCE_IMAP_URL", fmt.Errorf("erwartet eine Adresse wie imaps://benutzer:passwort@mail.example.org/INBOX (%v)", err))
		} else {
			c.bounceIMAP = &b
		}
		if c.BounceAddress == "" {
			fail("RUNDBRIEF_BOUNCE_IMAP_URL", errors.New("braucht RUNDBRIEF_BOUNCE_ADDRESS: nur Fehlermeldungen an diese Adresse lassen sich einer Mail zuordnen"))
		}
	}
	if d := time.Duration(c.BouncePoll); d < 10*time.Second || d > 24*time.Hour {
		fail("RUNDBRIEF_BOUNCE_POLL", fmt.Errorf("%s liegt nicht zwischen 10s und 24h", c.BouncePoll))
	}
}

// checkDKIM reads the DKIM keys: RUNDBRIEF_DKIM_KEY names one PEM file,
// or two separated by a comma (an RSA and an Ed25519 key), and
// RUNDBRIEF_DKIM_SELECTOR their selectors in the same order;
// RUNDBRIEF_DKIM_DOMAIN is the signing domain, by default the sender's.
func (c *Config) checkDKIM(fail func(string, error)) {
	if c.DKIMKey == "" {
		if c.DKIMSelector != "" || c.DKIMDomain != "" {
			fail("RUNDBRIEF_DKIM_KEY", errors.New("fehlt: RUNDBRIEF_DKIM_SELECTOR und RUNDBRIEF_DKIM_DOMAIN wirken nur mit einem Schlüssel"))
		}
		return
	}
	paths, selectors := splitList(c.DKIMKey), splitList(c.DKIMSelector)
	if len(paths) > 2 || len(selectors) != len(paths) {
		fail("RUNDBRIEF_DKIM_SELECTOR", fmt.Errorf("braucht je Schlüssel in RUNDBRIEF_DKIM_KEY einen Selektor in derselben Reihenfolge (%d Schlüssel, %d Selektoren; höchstens 2)", len(paths), len(selectors)))
		return
	}
	domain := c.DKIMDomain
	if domain == "" && c.from.Address != "" {
		domain = strings.ToLower(c.from.Address[strings.LastIndexByte(c.from.Address, '@')+1:])
	}
	var keys []mailer.DKIMKey
	for i, p := range paths {
		k, err := mailer.ReadDKIMKey(p)
		if err != nil {
			fail("RUNDBRIEF_DKIM_KEY", fmt.Errorf("%s ist kein lesbarer privater Schlüssel (PEM, RSA oder Ed25519): %v", p, err))
			return
		}
		keys = append(keys, mailer.DKIMKey{Selector: selectors[i], Key: k})
	}
	d, err := mailer.NewDKIM(domain, keys...)
	if err != nil {
		fail("RUNDBRIEF_DKIM_KEY", err)
		return
	}
	c.dkim, c.dkimDomain = d, domain
}

// checkAdmin checks the operator's listener: an address and port, and on
// any address but loopback a password of at least 16 characters, since
// the queue dashboard can delete tasks.
func (c *Config) checkAdmin(fail func(string, error)) {
	if c.AdminListen == "" {
		if c.AdminPassword != "" {
			fail("RUNDBRIEF_ADMIN_LISTEN", errors.New("fehlt: RUNDBRIEF_ADMIN_PASSWORD wirkt nur mit einer Adresse für die Überwachung, z. B. 127.0.0.1:9090"))
		}
		return
	}
	host, port, err := net.SplitHostPort(c.AdminListen)
	if err != nil || port == "" || (host != "" && net.ParseIP(host) == nil && host != "localhost") {
		fail("RUNDBRIEF_ADMIN_LISTEN", errors.New("erwartet Adresse und Port, z. B. 127.0.0.1:9090"))
		return
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	switch {
	case c.AdminPassword != "" && len(c.AdminPassword) < 16:
		fail("RUNDBRIEF_ADMIN_PASSWORD", fmt.Errorf("hat %d Zeichen, nötig sind mindestens 16; erzeugen mit: openssl rand -base64 24", len(c.AdminPassword)))
	case !loopback && c.AdminPassword == "":
		fail("RUNDBRIEF_ADMIN_PASSWORD", fmt.Errorf("fehlt: %s ist von anderen Rechnern erreichbar; ohne Passwort nur 127.0.0.1:PORT verwenden", c.AdminListen))
	}
}

// splitList splits a comma-separated value, trimming each item.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// DKIM is the signer of RUNDBRIEF_DKIM_KEY, or nil.
func (c *Config) DKIM() *mailer.DKIM { return c.dkim }

// DKIMSelectors are the selectors of the DKIM keys and the signing
// domain, for the doctor's DNS check; none without keys.
func (c *Config) DKIMSelectors() (domain string, selectors []string) {
	if c.dkim == nil {
		return "", nil
	}
	return c.dkimDomain, splitList(c.DKIMSelector)
}

// BounceMailbox is the parsed RUNDBRIEF_BOUNCE_IMAP_URL, or nil.
func (c *Config) BounceMailbox() *imapbox.Config { return c.bounceIMAP }

// ErrNoSecret is returned by RequireSecret when RUNDBRIEF_SECRET is unset.
var ErrNoSecret = &Error{Var: "RUNDBRIEF_SECRET", Err: fmt.Errorf(
	"ist nicht gesetzt; es sichert die Links in jeder Mail und muss für die ganze Lebensdauer der Installation gleich bleiben. Erzeugen mit: openssl rand -base64 48")}

// RequireSecret returns the secret, or ErrNoSecret.
func (c *Config) RequireSecret() ([]byte, error) {
	if c.Secret == "" {
		return nil, ErrNoSecret
	}
	return []byte(c.Secret), nil
}

// SMTP is the relay, or nil when mail goes to the outbox.
func (c *Config) SMTP() *mailer.SMTPConfig { return c.smtp }

// FromAddress is the parsed sender.
func (c *Config) FromAddress() mail.Address { return c.from }

// ReplyToAddress is the parsed RUNDBRIEF_REPLY_TO: where answers to the
// mails go, when not to the sender; the zero Address when it is not set.
func (c *Config) ReplyToAddress() mail.Address { return c.replyTo }

// Redis is the parsed Redis connection.
func (c *Config) Redis() asynq.RedisConnOpt { return c.redis }
