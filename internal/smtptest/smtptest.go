// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on
// 127.0.0.1 inside a test. It records what it receives, counts connections,
// and answers 4xx or 5xx to chosen recipients on demand, so tests can drive
// rundbrief's mailer and worker through every path a relay can take.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/knf-nordhausen/rundbrief/internal/testcert"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	Conn int // the number of the connection it came on, from 1
}

// Header returns the parsed header of the message.
func (m Message) Header() mail.Header {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return mail.Header{}
	}
	return msg.Header
}

// Text returns the decoded text/plain part of the message.
func (m Message) Text() string { return m.part("text/plain") }

// HTML returns the decoded text/html part of the message.
func (m Message) HTML() string { return m.part("text/html") }

// Part is one decoded MIME part of a message.
type Part struct {
	Header textproto.MIMEHeader
	Body   []byte // decoded from base64 or quoted-printable, line ends as sent
}

// Part returns the first part of mediaType, such as an attached
// "text/calendar", exactly as decoded.
func (m Message) Part(mediaType string) (Part, bool) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return Part{}, false
	}
	var found Part
	ok := walkParts(textproto.MIMEHeader(msg.Header), msg.Body, func(h textproto.MIMEHeader, body io.Reader) bool {
		mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil || mt != mediaType {
			return false
		}
		if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, _ := io.ReadAll(body)
		found = Part{Header: h, Body: b}
		return true
	})
	return found, ok
}

// Parts returns every leaf part of the message, decoded, in order.
func (m Message) Parts() []Part {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil
	}
	var parts []Part
	walkParts(textproto.MIMEHeader(msg.Header), msg.Body, func(h textproto.MIMEHeader, body io.Reader) bool {
		switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(body)
		parts = append(parts, Part{Header: h, Body: b})
		return false
	})
	return parts
}

// walkParts calls fn for every leaf part until fn reports true.
func walkParts(h textproto.MIMEHeader, body io.Reader, fn func(textproto.MIMEHeader, io.Reader) bool) bool {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err == nil && strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return false
			}
			if walkParts(p.Header, p, fn) {
				return true
			}
		}
	}
	return fn(h, body)
}

// part finds the first part of mediaType, decoding quoted-printable and
// base64, and returns it with CRLF turned into LF; "" if there is none.
func (m Message) part(mediaType string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	return findPart(textproto.MIMEHeader(msg.Header), msg.Body, mediaType)
}

func findPart(h textproto.MIMEHeader, body io.Reader, mediaType string) string {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return ""
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable
			if err != nil {
				return ""
			}
			if s := findPart(p.Header, p, mediaType); s != "" {
				return s
			}
		}
	}
	if mt != mediaType {
		return ""
	}
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "base64") {
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, _ := io.ReadAll(body)
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// Options configure a Server.
type Options struct {
	// Username and Password, when set, make the server offer AUTH PLAIN and
	// require it before MAIL FROM.
	Username, Password string
	// StartTLS offers STARTTLS with a self-signed certificate for 127.0.0.1;
	// ClientTLSConfig trusts it.
	StartTLS bool
	// DataDelay holds every message this long after its DATA began, as a
	// slow relay does.
	DataDelay time.Duration
	// OnMessage, when set, is called with each accepted message before
	// the server answers 250, outside the server's lock.
	OnMessage func(Message)
	// OnRcpt, when set, decides the reply to each RCPT TO that Reply did
	// not: nil accepts. n counts the RCPT TOs for the address so far, from
	// 1. It is called outside the server's lock.
	OnRcpt func(to string, n int) *smtp.SMTPError
	// HeadersOnly keeps only the header of each message, for tests that
	// count many messages rather than read them.
	HeadersOnly bool
}

// Server is a running test SMTP server.
type Server struct {
	Host string
	Port int

	opts Options
	srv  *smtp.Server
	cert *testcert.Cert

	mu          sync.Mutex
	cond        *sync.Cond
	dataStarted int
	messages    []Message
	conns       []*smtp.Conn
	replies     map[string][]*smtp.SMTPError // recipient -> replies for its next RCPT TOs
	rcpts       map[string]int               // recipient -> RCPT TOs seen
	down        bool
}

// Start runs a server on 127.0.0.1 on a free port until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{opts: opts, replies: map[string][]*smtp.SMTPError{}, rcpts: map[string]int{}}
	s.cond = sync.NewCond(&s.mu)
	if opts.StartTLS {
		cert, err := testcert.New("smtptest")
		if err != nil {
			t.Fatalf("smtptest: certificate: %v", err)
		}
		s.cert = cert
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	s.serve(l)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.srv.Close()
	})
	return s
}

// serve starts a new go-smtp server on l.
func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "relay.test"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = !s.opts.StartTLS
	// Clients that vanish (killed workers) are part of the tests.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.opts.StartTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert.TLS}}
	}
	s.srv = srv
	go srv.Serve(l)
}

// Down stops the server as a relay that is switched off: open connections
// are cut and new ones refused, until Up.
func (s *Server) Down() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down {
		s.down = true
		s.srv.Close()
	}
}

// Up starts a server that is Down again, on the same port.
func (s *Server) Up() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.down {
		return nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
	if err != nil {
		return fmt.Errorf("smtptest: listen again on port %d: %w", s.Port, err)
	}
	s.down = false
	s.serve(l)
	return nil
}

// RcptCount returns how many RCPT TOs the server has seen for rcpt,
// matched without regard to case, whatever it answered.
func (s *Server) RcptCount(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts[strings.ToLower(rcpt)]
}

// URL is the server's address as RUNDBRIEF_SMTP_URL takes it.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), RawQuery: "tls=none"}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	if s.opts.StartTLS {
		u.RawQuery = "tls=starttls"
	}
	return u.String()
}

// ClientTLSConfig trusts the server's self-signed certificate.
func (s *Server) ClientTLSConfig() *tls.Config {
	if s.cert == nil {
		return &tls.Config{RootCAs: x509.NewCertPool(), ServerName: s.Host, MinVersion: tls.VersionTLS12}
	}
	return s.cert.ClientConfig()
}

// Temporary is a 4xx reply: try again later.
func Temporary() *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
}

// Unknown is a 5xx reply for a mailbox that does not exist.
func Unknown() *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable: user unknown"}
}

// Policy is a 5xx reply that blames the sender, not the recipient.
func Policy() *smtp.SMTPError {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected by policy"}
}

// Reply makes the server answer the next RCPT TO commands for rcpt with
// replies, in order; after that it accepts rcpt again. The address is matched
// without regard to case.
func (s *Server) Reply(rcpt string, replies ...*smtp.SMTPError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(rcpt)
	s.replies[key] = append(s.replies[key], replies...)
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Connections returns how many connections clients have opened.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// DropConnections closes every open connection, as a relay does with idle
// clients.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Conn().Close()
	}
}

// DataStarted returns how many messages have begun their DATA.
func (s *Server) DataStarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataStarted
}

// Wait blocks until the server has accepted n messages or timeout passes,
// and returns what it has.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	deadline := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer deadline.Stop()
	end := time.Now().Add(timeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.messages) < n && time.Now().Before(end) {
		s.cond.Wait()
	}
	return append([]Message(nil), s.messages...)
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns = append(s.conns, c)
	return &session{s: s, conn: len(s.conns), authed: s.opts.Username == ""}, nil
}

type session struct {
	s      *Server
	conn   int
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	key := strings.ToLower(to)
	ss.s.rcpts[key]++
	n := ss.s.rcpts[key]
	if q := ss.s.replies[key]; len(q) > 0 {
		ss.s.replies[key] = q[1:]
		ss.s.mu.Unlock()
		return q[0]
	}
	ss.s.mu.Unlock()
	if ss.s.opts.OnRcpt != nil {
		if err := ss.s.opts.OnRcpt(to, n); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	ss.s.mu.Lock()
	ss.s.dataStarted++
	ss.s.cond.Broadcast()
	ss.s.mu.Unlock()
	time.Sleep(ss.s.opts.DataDelay)
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(ss.to) == 0 {
		return errors.New("smtptest: DATA without recipients")
	}
	if ss.s.opts.HeadersOnly {
		if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
			data = data[:i+4]
		}
	}
	m := Message{From: ss.from, To: ss.to, Data: data, Conn: ss.conn}
	if ss.s.opts.OnMessage != nil {
		ss.s.opts.OnMessage(m)
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.messages = append(ss.s.messages, m)
	ss.s.cond.Broadcast()
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
