// Package mailer builds rundbrief's e-mail (RFC 5322, MIME per RFC 2045-2049)
// with github.com/wneessen/go-mail and hands it to an SMTP relay (RFC 5321)
// or writes it to an outbox folder.
//
// Every message goes to one recipient and has a plain-text part, optionally
// an HTML alternative, a Message-ID on the sender's domain and a Date.
// Header values that carry CR or LF are refused, whatever their source, so
// no input can add a header or a recipient.
//
// Failures come back as *Error, classified as temporary (4xx replies,
// network trouble: try again later) or permanent (5xx replies), with the
// reply code, the enhanced status code (RFC 3463) and the SMTP stage kept.
//
// Many copies of one message are a Bulk, encoded once; a Pipeline sends
// them over one connection, each text in one write with the next copy's
// envelope where the relay offers PIPELINING (RFC 2920), dot-stuffed
// (RFC 5321, section 4.5.2) as they are built.
package mailer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender delivers messages. Implementations are safe for concurrent use.
type Sender interface {
	// Send delivers m. On failure the error is an *Error.
	Send(ctx context.Context, m *Message) (Receipt, error)
	// SendBulk delivers l's copy of b. On failure the error is an *Error.
	SendBulk(ctx context.Context, b *Bulk, l *Letter) (Receipt, error)
	// Pipeline returns a Pipeline for sending many letters one after
	// another; done learns the fate of each (see Pipeline).
	Pipeline(ctx context.Context, done func(*Letter, Receipt, error)) Pipeline
	// Close releases connections; Send must not be called afterwards.
	Close() error
}

// Receipt is the proof that a relay (or the outbox) took a message.
type Receipt struct {
	MessageID string // without angle brackets
	Reply     string // the relay's final reply, or where the outbox put the file
}

// Message is one e-mail to one recipient.
type Message struct {
	From mail.Address
	To   mail.Address
	// ReturnPath is the envelope sender (MAIL FROM, RFC 5321 section
	// 4.4), where reports of failed delivery go, when it is not From: a
	// bounce address that names this mail. Optional.
	ReturnPath string
	// ReplyTo is where answers go when it is not From (RFC 5322,
	// section 3.6.2): the contact person of an event, the office's
	// mailbox. Optional.
	ReplyTo mail.Address
	Subject string
	Text    string // required: every mail has a plain-text part
	HTML    string // optional alternative
	// Headers are extra header fields, such as List-Unsubscribe. They may
	// not replace the fields the mailer sets itself.
	Headers []Header
	// MessageID is the Message-ID without angle brackets; Send makes one
	// on the sender's domain when it is empty.
	MessageID string
	// Date is the Date header; Send uses the current time when it is zero.
	Date time.Time
	// Attachments are files sent along, such as an event's calendar file.
	Attachments []Attachment
	// Inline are the pictures the HTML part shows (the logo, the emblems,
	// a newsletter's pictures), each with its ContentID, which the HTML
	// names as "cid:" and the ContentID (RFC 2392). They go with the HTML
	// into a multipart/related part (RFC 2387), so that nothing is
	// fetched from a server when the mail is opened.
	Inline []Attachment
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string // file name: letters, digits, '.', '-' and '_'
	ContentType string // with parameters, e.g. "text/calendar; method=PUBLISH; charset=UTF-8"
	Data        []byte
	// ContentID names a picture of Message.Inline: "logo@rundbrief".
	ContentID string
}

// Header is one extra header field.
type Header struct {
	Name, Value string
}

// reserved reports whether the mailer sets header itself, so that it cannot
// be given as an extra header.
func reserved(header string) bool {
	switch strings.ToLower(header) {
	case "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version",
		"content-type", "content-transfer-encoding", "return-path", "sender", "reply-to":
		return true
	}
	return false
}

var (
	headerName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	attachmentName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
	contentID      = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}@[A-Za-z0-9.-]{1,64}$`)
)

// validMessageID reports whether id is a Message-ID without its angle
// brackets as rundbrief makes and accepts them: a dot-atom-like left part
// of the characters `A-Za-z0-9.!#$%&'*+/=?^_{|}~-`, "@", and a domain of
// `A-Za-z0-9.-`, both not empty (RFC 5322, section 3.6.4, in its common
// form). A loop, not a regular expression: every copy of a campaign is
// checked, and the expression cost a worker 4% of its time.
func validMessageID(id string) bool {
	at := strings.IndexByte(id, '@')
	if at <= 0 || at == len(id)-1 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		switch {
		case i == at:
		case alnum, c == '.', c == '-':
		case i < at && strings.IndexByte("!#$%&'*+/=?^_{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ErrInvalidMessage is wrapped by every refusal of Validate.
var ErrInvalidMessage = errors.New("mailer: invalid message")

// Validate checks m before it is built: addresses parse, no header value
// (names and subject included) holds CR, LF or another control character,
// extra header names are well formed and not reserved, and there is a text
// part.
func (m *Message) Validate() error {
	for _, a := range []struct {
		field string
		addr  mail.Address
	}{{"From", m.From}, {"To", m.To}} {
		if err := checkAddress(a.addr); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalidMessage, a.field, err)
		}
	}
	if m.ReplyTo.Address != "" {
		if err := checkAddress(m.ReplyTo); err != nil {
			return fmt.Errorf("%w: Reply-To: %v", ErrInvalidMessage, err)
		}
	}
	if err := checkValue(m.Subject); err != nil {
		return fmt.Errorf("%w: Subject: %v", ErrInvalidMessage, err)
	}
	if m.MessageID != "" && !validMessageID(m.MessageID) {
		return fmt.Errorf("%w: Message-ID %q is not of the form id@domain", ErrInvalidMessage, m.MessageID)
	}
	for _, h := range m.Headers {
		if !headerName.MatchString(h.Name) {
			return fmt.Errorf("%w: header name %q", ErrInvalidMessage, h.Name)
		}
		if reserved(h.Name) {
			return fmt.Errorf("%w: header %s is set by the mailer", ErrInvalidMessage, h.Name)
		}
		if err := checkValue(h.Value); err != nil {
			return fmt.Errorf("%w: header %s: %v", ErrInvalidMessage, h.Name, err)
		}
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: no plain-text part", ErrInvalidMessage)
	}
	for _, a := range m.Inline {
		if !contentID.MatchString(a.ContentID) {
			return fmt.Errorf("%w: inline picture %s: Content-ID %q is not of the form name@domain", ErrInvalidMessage, a.Name, a.ContentID)
		}
		if m.HTML == "" {
			return fmt.Errorf("%w: inline picture %s without an HTML part", ErrInvalidMessage, a.Name)
		}
	}
	for _, a := range slices.Concat(m.Attachments, m.Inline) {
		if !attachmentName.MatchString(a.Name) {
			return fmt.Errorf("%w: attachment name %q", ErrInvalidMessage, a.Name)
		}
		if err := checkValue(a.ContentType); err != nil {
			return fmt.Errorf("%w: attachment %s: content type %v", ErrInvalidMessage, a.Name, err)
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
			return fmt.Errorf("%w: attachment %s: content type %q: %v", ErrInvalidMessage, a.Name, a.ContentType, err)
		}
	}
	return nil
}

func checkAddress(a mail.Address) error {
	if err := checkValue(a.Name); err != nil {
		return fmt.Errorf("name: %v", err)
	}
	if err := checkValue(a.Address); err != nil {
		return err
	}
	p, err := mail.ParseAddress(a.Address)
	if err != nil || p.Address != a.Address || p.Name != "" {
		return errors.New("not a bare e-mail address") // without it: errors outlive the person
	}
	return nil
}

// checkValue refuses CR, LF and other control characters (tab is allowed).
func checkValue(s string) error {
	for _, r := range s {
		if r == '\r' || r == '\n' {
			return errors.New("contains a line break")
		}
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// NewMessageID returns a unique Message-ID (without angle brackets) on the
// domain of from.
func NewMessageID(from mail.Address) string {
	domain := "localhost"
	if wire, _, err := wireAddress(from.Address); err == nil {
		domain = strings.ToLower(wire[strings.LastIndexByte(wire, '@')+1:])
	}
	var b [12]byte
	rand.Read(b[:])
	return strconv.FormatInt(time.Now().UnixMilli(), 36) + "." + hex.EncodeToString(b[:]) + "@" + domain
}

// build validates m, fills in Message-ID and Date if missing, and returns
// the go-mail message.
func (m *Message) build() (*gomail.Msg, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if m.MessageID == "" {
		m.MessageID = NewMessageID(m.From)
	}
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	from, err := headerAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("%w: From: %v", ErrInvalidMessage, err)
	}
	to, err := headerAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("%w: To: %v", ErrInvalidMessage, err)
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&from)
	msg.ToMailAddress(&to)
	msg.SetDateWithValue(m.Date)
	msg.SetMessageIDWithValue(m.MessageID)
	return msg, m.content(msg)
}

// content adds what every copy of m shares to msg: the subject, the
// extra headers, the parts and the attachments.
func (m *Message) content(msg *gomail.Msg) error {
	if m.ReplyTo.Address != "" {
		to, err := headerAddress(m.ReplyTo)
		if err != nil {
			return fmt.Errorf("%w: Reply-To: %v", ErrInvalidMessage, err)
		}
		msg.ReplyToMailAddress(&to)
	}
	msg.Subject(m.Subject)
	// One name for the program, not two (go-mail's SetUserAgent writes
	// both User-Agent and X-Mailer).
	msg.SetGenHeader(gomail.HeaderXMailer, "rundbrief")
	for _, h := range m.Headers {
		msg.SetGenHeader(gomail.Header(h.Name), h.Value)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Inline {
		if err := msg.EmbedReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentID("<"+a.ContentID+">"),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("mailer: inline picture %s: %w", a.Name, err)
		}
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("mailer: attachment %s: %w", a.Name, err)
		}
	}
	return nil
}

// encode validates m and returns it as it goes to the relay (RFC 5322,
// lines ending in CRLF, the last one too) with its envelope.
func (m *Message) encode() ([]byte, envelope, error) {
	env, err := newEnvelope(m.From, m.To, m.ReturnPath)
	if err != nil {
		return nil, env, err
	}
	msg, err := m.build()
	if err != nil {
		return nil, env, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, env, fmt.Errorf("mailer: encoding the message: %w", err)
	}
	data := buf.Bytes()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		data = append(data, '\r', '\n')
	}
	return data, env, nil
}

// WriteTo writes m as an RFC 5322 message, as it would be sent, filling in
// the Message-ID and Date if they are missing.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	msg, err := m.build()
	if err != nil {
		return 0, err
	}
	return msg.WriteTo(w)
}

// ListHeaders are the headers of every mail to a subscriber: List-Id
// (RFC 2919), List-Unsubscribe (RFC 2369) and the one-click unsubscribe of
// RFC 8058 that Gmail, Yahoo and Microsoft require of bulk senders.
func ListHeaders(from mail.Address, unsubscribeURL string) []Header {
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return []Header{
		{Name: "List-Id", Value: "Rundbrief der Netzwerkstelle Fachkraeftesicherung <rundbrief." + domain + ">"},
		{Name: "List-Unsubscribe", Value: "<" + unsubscribeURL + ">"},
		{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
	}
}
