package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// TLSMode is how the connection to the relay is secured.
type TLSMode string

// The TLS modes of RUNDBRIEF_SMTP_URL's tls parameter.
const (
	TLSStartTLS TLSMode = "starttls" // plain connect, then STARTTLS; refuse if the relay does not offer it
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (port 465, "smtps")
	TLSNone     TLSMode = "none"     // no TLS; for a relay on the same host or network only
)

// SMTPConfig says how to reach the relay.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      TLSMode
	Username string // empty: no AUTH
	Password string
	HELO     string        // name sent in EHLO; default: this host's name
	Timeout  time.Duration // per command; default 30s
	// MaxConns caps the connections open at once; each is reused for many
	// messages. Default 4.
	MaxConns int
	// IdleTimeout closes a connection that was idle this long before it is
	// used again, since relays drop idle clients. Default 30s.
	IdleTimeout time.Duration
	// TLSConfig overrides the TLS settings (e.g. to trust a private CA).
	TLSConfig *tls.Config
	// DKIM, when set, signs every message (see DKIM).
	DKIM *DKIM
}

// ParseSMTPURL reads a relay URL: smtp://user:pass@host:port?tls=starttls.
//
// The scheme is smtp or smtps (smtps means tls=tls). The tls parameter is
// starttls (the default for smtp), tls or none. The port defaults to 587
// for starttls, 465 for tls and 25 for none. User and password are
// percent-decoded. A timeout parameter (e.g. timeout=20s) sets the per-command
// timeout, helo the name sent in EHLO. Unknown parameters are refused, so a
// typo does not silently weaken TLS.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("mailer: SMTP URL: %w", err)
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.TLS = TLSStartTLS
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return c, fmt.Errorf("mailer: SMTP URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return c, errors.New("mailer: SMTP URL names no host")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch key {
		case "tls":
			switch m := TLSMode(strings.ToLower(v)); m {
			case TLSStartTLS, TLSImplicit, TLSNone:
				c.TLS = m
			default:
				return c, fmt.Errorf("mailer: SMTP URL: tls=%s; use starttls, tls or none", v)
			}
		case "timeout":
			if c.Timeout, err = time.ParseDuration(v); err != nil || c.Timeout <= 0 {
				return c, fmt.Errorf("mailer: SMTP URL: timeout=%s is not a duration such as 30s", v)
			}
		case "helo":
			c.HELO = v
		default:
			return c, fmt.Errorf("mailer: SMTP URL: unknown parameter %q (known: tls, timeout, helo)", key)
		}
	}
	if u.Scheme == "smtps" && c.TLS != TLSImplicit {
		return c, errors.New("mailer: SMTP URL: smtps:// always uses tls=tls")
	}
	if c.TLS == TLSNone && c.Username != "" && !isLoopback(c.Host) {
		return c, errors.New("mailer: SMTP URL: a user name with tls=none would send the password unencrypted; use tls=starttls or tls (without TLS, AUTH is allowed only to a relay on this host)")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return c, fmt.Errorf("mailer: SMTP URL: port %q", p)
		}
	} else {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	return c, nil
}

// Scheme is the URL scheme the config corresponds to.
func (c SMTPConfig) Scheme() string {
	if c.TLS == TLSImplicit {
		return "smtps"
	}
	return "smtp"
}

// Redacted is the config as a URL with the password masked, for display.
func (c SMTPConfig) Redacted() string {
	u := url.URL{Scheme: c.Scheme(), Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), RawQuery: "tls=" + string(c.TLS)}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.String()
}

// isLoopback reports whether host is this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SMTPSender sends through one relay over a small pool of connections, each
// reused for many messages. A connection that died while idle is replaced
// transparently; a connection is closed after any failure that may have
// left it in an unknown state.
type SMTPSender struct {
	cfg   SMTPConfig
	slots chan struct{} // one token per connection that may be open

	mu     sync.Mutex
	idle   []*pooledConn
	closed bool

	dials atomic.Int64
}

type pooledConn struct {
	client   *gomail.Client // the settings
	smtp     *smtp.Client   // the connection
	lastUsed time.Time
	wire     []byte // what goes out in one write is put together here
	broken   bool   // the session may not be clean: close it, do not reuse it
}

// quit says QUIT on an idle connection and closes it.
func (pc *pooledConn) quit() error {
	err := pc.client.CloseWithSMTPClient(pc.smtp)
	pc.smtp.Close() // when QUIT failed, the socket is still open
	return err
}

// drop closes a connection in an unknown state without a word: a QUIT
// could be read as message text and wait for a reply that never comes.
func (pc *pooledConn) drop() { pc.smtp.Close() }

// NewSMTPSender returns a sender for cfg. It connects on first use.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	if cfg.Host == "" || cfg.Port == 0 {
		return nil, errors.New("mailer: SMTP host and port are required")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 4
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	return &SMTPSender{cfg: cfg, slots: make(chan struct{}, cfg.MaxConns)}, nil
}

// Dials returns how many connections the sender has opened so far.
func (s *SMTPSender) Dials() int64 { return s.dials.Load() }

// Send delivers m over a pooled connection. It waits for a free connection
// if MaxConns are busy.
func (s *SMTPSender) Send(ctx context.Context, m *Message) (Receipt, error) {
	data, env, err := m.encode()
	if err == nil {
		data, err = s.cfg.DKIM.sign(data)
	}
	if err != nil {
		return Receipt{}, &Error{Stage: StageBuild, Err: err}
	}
	return s.transact(ctx, m.MessageID, func(pc *pooledConn) (string, error) {
		return pc.sendRaw(env, data, s.cfg.Timeout)
	})
}

// transact runs send on a pooled connection: an idle one if there is one,
// else a new one. send returns the relay's reply, or an *Error, and marks
// the connection broken when its session may be out of step. A reused
// connection that turns out dead (no reply to MAIL) or closing (421 to
// MAIL) is replaced once: relays drop idle clients, and nothing was sent.
func (s *SMTPSender) transact(ctx context.Context, id string, send func(*pooledConn) (string, error)) (Receipt, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return Receipt{}, &Error{Temporary: true, Stage: StageConnect, Err: ctx.Err()}
	}
	defer func() { <-s.slots }()

	pc := s.takeIdle()
	reused := pc != nil
	for {
		if pc == nil {
			var err error
			if pc, err = s.dial(ctx); err != nil {
				return Receipt{}, &Error{Temporary: true, Stage: StageConnect, Err: err}
			}
		}
		reply, err := send(pc)
		if pc.broken {
			pc.drop()
		} else {
			s.putIdle(pc)
		}
		if err == nil {
			return Receipt{MessageID: id, Reply: reply}, nil
		}
		e, _ := AsError(err)
		if reused && (e.Stage == StageConnect || (e.Stage == StageMailFrom && e.Code == 421)) {
			pc, reused = nil, false
			continue
		}
		return Receipt{}, e
	}
}

func (s *SMTPSender) dial(ctx context.Context) (*pooledConn, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		// Four round trips per message (MAIL, RCPT, DATA, end of data),
		// not seven: a finished transaction needs no RSET (RFC 5321,
		// 4.1.4), and a connection that died while idle shows on MAIL,
		// where Send retries once on a fresh one, so no NOOP before each.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.cfg.TLSConfig))
	}
	if s.cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.cfg.HELO))
	}
	if s.cfg.Username != "" {
		// Over TLS, let go-mail pick the strongest mechanism the relay
		// offers. Without TLS (a relay on this host only, see
		// ParseSMTPURL) it refuses every mechanism that reveals the
		// password, so ask for PLAIN explicitly.
		auth := gomail.SMTPAuthAutoDiscover
		if s.cfg.TLS == TLSNone {
			if !isLoopback(s.cfg.Host) {
				return nil, errors.New("mailer: AUTH without TLS is allowed only to a relay on this host")
			}
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mailer: SMTP client: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	sc, err := c.DialToSMTPClientWithContext(dctx)
	if err != nil {
		return nil, fmt.Errorf("mailer: connect to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	s.dials.Add(1)
	return &pooledConn{client: c, smtp: sc}, nil
}

// takeIdle returns the most recently used idle connection, closing any that
// idled too long.
func (s *SMTPSender) takeIdle() *pooledConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.idle) > 0 {
		pc := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if time.Since(pc.lastUsed) < s.cfg.IdleTimeout {
			return pc
		}
		go pc.quit() // QUIT may block on a dead peer
	}
	return nil
}

func (s *SMTPSender) putIdle(pc *pooledConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		pc.quit()
		return
	}
	pc.lastUsed = time.Now()
	s.idle = append(s.idle, pc)
}

// Close says QUIT on every idle connection. Connections in use are closed
// when their Send returns.
func (s *SMTPSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for _, pc := range s.idle {
		if err := pc.quit(); err != nil {
			errs = append(errs, err)
		}
	}
	s.idle = nil
	return errors.Join(errs...)
}
