// Package imapbox reads the bounce mailbox over IMAP (RFC 3501) with
// github.com/emersion/go-imap: every mail not read before is handed to a
// bounces.Processor, then marked with the keyword $Rundbrief so that it
// is never read twice. A report that acted is also marked \Seen and, when
// the address names a folder, moved there (MOVE, RFC 6851, or copy and
// expunge); any other mail stays as it was, unread, for the people who
// share the mailbox. While waiting, the reader idles (IDLE, RFC 2177)
// where the server offers it, so a report is read as it arrives.
package imapbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-imap"
	"github.com/emersion/go-imap/client"

	"github.com/knf-nordhausen/rundbrief/bounces"
)

// Keyword marks a mail the reader has read.
const Keyword = "$Rundbrief"

// Config is where the bounce mailbox is and how to log in.
type Config struct {
	Addr     string // host:port
	TLS      bool   // implicit TLS (imaps, port 993); else STARTTLS, required off loopback
	Username string
	Password string
	Mailbox  string // default INBOX
	// MoveTo is the folder reports that acted go to; "" leaves them in
	// Mailbox, marked read.
	MoveTo    string
	TLSConfig *tls.Config // nil: the system's roots, ServerName from Addr
	Timeout   time.Duration
}

// ParseURL reads RUNDBRIEF_BOUNCE_IMAP_URL:
//
//	imaps://USER:PASSWORD@HOST[:993][/MAILBOX][?move=FOLDER]
//	imap://USER:PASSWORD@HOST[:143][/MAILBOX][?move=FOLDER]
//
// imap:// uses STARTTLS; only on a loopback address may it go without.
// User and password are URL-encoded (@ as %40).
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, errors.New("imapbox: not a URL like imaps://benutzer:passwort@mail.example.org/INBOX")
	}
	var c Config
	switch u.Scheme {
	case "imaps":
		c.TLS = true
	case "imap":
	default:
		return Config{}, fmt.Errorf("imapbox: scheme %q: use imaps:// (TLS) or imap:// (STARTTLS)", u.Scheme)
	}
	if u.Hostname() == "" || u.User == nil || u.User.Username() == "" {
		return Config{}, errors.New("imapbox: the URL needs user, password and host: imaps://benutzer:passwort@mail.example.org")
	}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "993", false: "143"}[c.TLS]
	}
	c.Addr = net.JoinHostPort(u.Hostname(), port)
	c.Username = u.User.Username()
	c.Password, _ = u.User.Password()
	c.Mailbox = strings.Trim(u.Path, "/")
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	q := u.Query()
	for k := range q {
		if k != "move" {
			return Config{}, fmt.Errorf("imapbox: unknown parameter %q (known: move)", k)
		}
	}
	c.MoveTo = q.Get("move")
	if strings.ContainsAny(c.Mailbox+c.MoveTo, "\r\n\x00") {
		return Config{}, errors.New("imapbox: a folder name holds a control character")
	}
	return c, nil
}

// String is c without its password, for logs and messages.
func (c Config) String() string {
	scheme := "imap"
	if c.TLS {
		scheme = "imaps"
	}
	return scheme + "://" + url.User(c.Username).String() + "@" + c.Addr + "/" + c.Mailbox
}

// Processor acts on one mail that came back (bounces.Processor).
type Processor interface {
	Process(ctx context.Context, r io.Reader) (bounces.Result, error)
}

// Reader reads the bounce mailbox.
type Reader struct {
	Config    Config
	Processor Processor
	Log       *slog.Logger
}

// Counts is what one pass over the mailbox did.
type Counts struct {
	Read   int // new mails read
	Acted  int // bounces and complaints matched to a mail and recorded
	Failed int // mails that could not be processed; read again next time
}

// Check logs in and selects the mailbox, then logs out: the check of
// rundbrief doctor.
func (r *Reader) Check(ctx context.Context) error {
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Logout()
	_, err = c.Select(r.mailbox(), true)
	if err != nil {
		return fmt.Errorf("imapbox: selecting %s: %w", r.mailbox(), err)
	}
	return nil
}

// Poll reads every new mail once and returns what it did.
func (r *Reader) Poll(ctx context.Context) (Counts, error) {
	c, err := r.connect(ctx)
	if err != nil {
		return Counts{}, err
	}
	defer c.Logout()
	if _, err := c.Select(r.mailbox(), false); err != nil {
		return Counts{}, fmt.Errorf("imapbox: selecting %s: %w", r.mailbox(), err)
	}
	return r.pass(ctx, c)
}

// Run reads the mailbox until ctx ends: a pass, then idling until new mail
// arrives or every has passed, then the next pass. A lost connection is
// logged and made again after a pause.
func (r *Reader) Run(ctx context.Context, every time.Duration) error {
	pause := time.Second
	for ctx.Err() == nil {
		err := r.session(ctx, every)
		if ctx.Err() != nil {
			break
		}
		r.log().Warn("bounce mailbox: connection lost; trying again", "mailbox", r.Config.String(), "in", pause, "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, every, 5*time.Minute)
	}
	return nil
}

// session holds one connection: passes with idling in between.
func (r *Reader) session(ctx context.Context, every time.Duration) error {
	// The client blocks while its updates are not read: read them all,
	// and wake the idling for new mail. The channel is closed after the
	// logout (defers run last first).
	updates := make(chan client.Update, 16)
	defer close(updates)
	wake := make(chan struct{}, 1)
	go func() {
		for u := range updates {
			if _, ok := u.(*client.MailboxUpdate); ok {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	c, err := r.connect(ctx)
	if err != nil {
		return err
	}
	c.Updates = updates
	defer c.Logout()
	if _, err := c.Select(r.mailbox(), false); err != nil {
		return fmt.Errorf("imapbox: selecting %s: %w", r.mailbox(), err)
	}
	for {
		n, err := r.pass(ctx, c)
		if err != nil {
			return err
		}
		if n.Read > 0 {
			r.log().Info("bounce mailbox read", "read", n.Read, "acted", n.Acted, "failed", n.Failed)
		}
		if err := idle(ctx, c, wake, every); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// idle waits on c until new mail arrives, every has passed or ctx ends.
func idle(ctx context.Context, c *client.Client, wake <-chan struct{}, every time.Duration) error {
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- c.Idle(stop, &client.IdleOptions{PollInterval: every}) }()
	timer := time.NewTimer(every)
	defer timer.Stop()
	select {
	case <-wake:
	case <-timer.C:
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	close(stop)
	return <-done
}

// pass reads the mails without the keyword in the selected mailbox.
func (r *Reader) pass(ctx context.Context, c *client.Client) (Counts, error) {
	var n Counts
	crit := imap.NewSearchCriteria()
	crit.WithoutFlags = []string{Keyword}
	uids, err := c.UidSearch(crit)
	if err != nil {
		return n, fmt.Errorf("imapbox: search: %w", err)
	}
	if len(uids) == 0 {
		return n, nil
	}
	section := &imap.BodySectionName{Peek: true}
	for start := 0; start < len(uids); start += 100 {
		batch := uids[start:min(start+100, len(uids))]
		set := new(imap.SeqSet)
		set.AddNum(batch...)
		msgs := make(chan *imap.Message, len(batch))
		if err := c.UidFetch(set, []imap.FetchItem{imap.FetchUid, section.FetchItem()}, msgs); err != nil {
			return n, fmt.Errorf("imapbox: fetch: %w", err)
		}
		read, acted := new(imap.SeqSet), new(imap.SeqSet)
		for m := range msgs {
			body := m.GetBody(section)
			if body == nil {
				continue
			}
			res, err := r.Processor.Process(ctx, body)
			n.Read++
			if err != nil {
				n.Failed++
				r.log().Error("bounce mailbox: processing a mail failed; it is read again next time", "uid", m.Uid, "error", err)
				continue
			}
			read.AddNum(m.Uid)
			if res.Effect != "" {
				n.Acted++
				acted.AddNum(m.Uid)
			}
		}
		if err := r.mark(c, read, acted); err != nil {
			return n, err
		}
	}
	return n, nil
}

// mark gives the mails read the keyword, and those that acted \Seen, and
// moves those to MoveTo when it is set.
func (r *Reader) mark(c *client.Client, read, acted *imap.SeqSet) error {
	if !read.Empty() {
		if err := c.UidStore(read, imap.FormatFlagsOp(imap.AddFlags, true), []any{Keyword}, nil); err != nil {
			return fmt.Errorf("imapbox: marking mails read: %w", err)
		}
	}
	if acted.Empty() {
		return nil
	}
	if err := c.UidStore(acted, imap.FormatFlagsOp(imap.AddFlags, true), []any{imap.SeenFlag}, nil); err != nil {
		return fmt.Errorf("imapbox: marking reports seen: %w", err)
	}
	if r.Config.MoveTo != "" {
		if err := c.UidMove(acted, r.Config.MoveTo); err != nil {
			return fmt.Errorf("imapbox: moving reports to %s: %w", r.Config.MoveTo, err)
		}
	}
	return nil
}

// connect dials, secures and logs in.
func (r *Reader) connect(ctx context.Context) (*client.Client, error) {
	cfg := r.Config
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	host, _, _ := net.SplitHostPort(cfg.Addr)
	tlsConfig := cfg.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	dialer := &net.Dialer{Timeout: timeout}
	var (
		c   *client.Client
		err error
	)
	if cfg.TLS {
		c, err = client.DialWithDialerTLS(dialer, cfg.Addr, tlsConfig)
	} else {
		c, err = client.DialWithDialer(dialer, cfg.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("imapbox: connecting to %s: %w", cfg.Addr, err)
	}
	c.Timeout = timeout
	// The client logs a read that a logout cut short; that is no error.
	c.ErrorLog = log.New(io.Discard, "", 0)
	stop := context.AfterFunc(ctx, func() { c.Terminate() })
	defer stop()
	if !cfg.TLS {
		ok, err := c.SupportStartTLS()
		switch {
		case err != nil:
			c.Terminate()
			return nil, fmt.Errorf("imapbox: %s: %w", cfg.Addr, err)
		case ok:
			if err := c.StartTLS(tlsConfig); err != nil {
				c.Terminate()
				return nil, fmt.Errorf("imapbox: STARTTLS with %s: %w", cfg.Addr, err)
			}
		case !isLoopback(host):
			c.Terminate()
			return nil, fmt.Errorf("imapbox: %s offers no STARTTLS; the password would go unencrypted (use imaps://)", cfg.Addr)
		}
	}
	if err := c.Login(cfg.Username, cfg.Password); err != nil {
		c.Terminate()
		return nil, fmt.Errorf("imapbox: login as %s at %s: %w", cfg.Username, cfg.Addr, err)
	}
	return c, nil
}

func (r *Reader) mailbox() string {
	if r.Config.Mailbox == "" {
		return "INBOX"
	}
	return r.Config.Mailbox
}

func (r *Reader) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
