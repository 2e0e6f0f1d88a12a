package mailer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testMessage() *Message {
	return &Message{
		From:    mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"},
		To:      mail.Address{Name: "Jörg Müller", Address: "Personal@metallbau.example"},
		Subject: "Bitte bestätigen Sie Ihre Anmeldung zum Rundbrief",
		Text:    "Guten Tag Jörg Müller,\n\nbitte bestätigen Sie: https://rundbrief.example/confirm/abc\n",
		HTML:    "<p>Guten Tag Jörg Müller,</p><p><a href=\"https://rundbrief.example/confirm/abc\">Anmeldung bestätigen</a></p>",
		Headers: []Header{
			{Name: "List-Unsubscribe", Value: "<https://rundbrief.example/unsubscribe/abc>"},
			{Name: "List-Unsubscribe-Post", Value: "List-Unsubscribe=One-Click"},
			{Name: "Auto-Submitted", Value: "auto-generated"},
		},
		Date: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC),
	}
}

func TestValidateRefusesInjection(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Message)
	}{
		{"CRLF in subject", func(m *Message) { m.Subject = "Hallo\r\nBcc: opfer@example.org" }},
		{"LF in subject", func(m *Message) { m.Subject = "Hallo\nX: y" }},
		{"CR in recipient name", func(m *Message) { m.To.Name = "Anna\rBcc: x@example.org" }},
		{"LF in sender name", func(m *Message) { m.From.Name = "KNF\nReply-To: x@example.org" }},
		{"CRLF in address", func(m *Message) { m.To.Address = "a@example.org\r\nBcc: x@example.org" }},
		{"display name in address", func(m *Message) { m.To.Address = "Anna <a@example.org>" }},
		{"CRLF in header value", func(m *Message) { m.Headers = []Header{{"List-Id", "x\r\nBcc: y@example.org"}} }},
		{"NUL in header value", func(m *Message) { m.Headers = []Header{{"List-Id", "x\x00"}} }},
		{"colon in header name", func(m *Message) { m.Headers = []Header{{"Bcc: x@example.org\r\nX", "y"}} }},
		{"reserved header", func(m *Message) { m.Headers = []Header{{"bcc", "x@example.org"}} }},
		{"second To", func(m *Message) { m.Headers = []Header{{"To", "x@example.org"}} }},
		{"bad Message-ID", func(m *Message) { m.MessageID = "<abc@x>" }},
		{"no text part", func(m *Message) { m.Text = " \n" }},
		{"CRLF in Reply-To", func(m *Message) { m.ReplyTo = mail.Address{Name: "A\r\nBcc: x@example.org", Address: "a@example.org"} }},
		{"Reply-To as a header", func(m *Message) { m.Headers = []Header{{"Reply-To", "x@example.org"}} }},
		{"picture without Content-ID", func(m *Message) { m.Inline = []Attachment{{Name: "logo.png", ContentType: "image/png"}} }},
		{"picture with a bad Content-ID", func(m *Message) {
			m.Inline = []Attachment{{Name: "logo.png", ContentType: "image/png", ContentID: "<logo@x>\r\nBcc: y"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			tt.edit(m)
			if err := m.Validate(); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("Validate = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if err := testMessage().Validate(); err != nil {
		t.Errorf("valid message refused: %v", err)
	}
}

// parsed is a written message, read back with the standard library.
type parsed struct {
	header      mail.Header
	contentType string
	parts       map[string]string // media type -> decoded body
}

func readMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	p := parsed{header: msg.Header, contentType: mt, parts: map[string]string{}}
	if !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type = %s, want multipart", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pparams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if pparams["charset"] != "UTF-8" && pparams["charset"] != "utf-8" {
			t.Errorf("%s part charset = %q", pt, pparams["charset"])
		}
		body, _ := io.ReadAll(part)
		p.parts[pt] = strings.ReplaceAll(string(body), "\r\n", "\n") // MIME text is CRLF on the wire
	}
	return p
}

// A message written to the outbox is a valid MIME message with text and HTML
// alternatives, the German subject, a Message-ID on the sender's domain and
// the extra headers.
func TestOutboxWritesMIME(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	o, err := NewOutbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := o.Send(context.Background(), testMessage())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("outbox holds %v, want one .eml", files)
	}
	if !strings.HasPrefix(filepath.Base(files[0]), "20261125T093000Z-") || !strings.Contains(rec.Reply, files[0]) {
		t.Errorf("file %s, reply %q", files[0], rec.Reply)
	}
	if others, _ := filepath.Glob(filepath.Join(dir, ".writing-*")); len(others) > 0 {
		t.Errorf("temporary files left: %v", others)
	}
	raw, _ := os.ReadFile(files[0])
	p := readMessage(t, raw)

	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(p.header.Get("Subject"))
	from, _ := p.header.AddressList("From")
	to, _ := p.header.AddressList("To")
	checks := []struct{ name, got, want string }{
		{"content type", p.contentType, "multipart/alternative"},
		{"subject", subject, "Bitte bestätigen Sie Ihre Anmeldung zum Rundbrief"},
		{"from", from[0].String(), (&mail.Address{Name: "Netzwerkstelle Fachkräftesicherung", Address: "rundbrief@knf.example"}).String()},
		{"to", to[0].Address, "Personal@metallbau.example"},
		{"to name", to[0].Name, "Jörg Müller"},
		{"message-id", p.header.Get("Message-Id"), "<" + rec.MessageID + ">"},
		{"list-unsubscribe", p.header.Get("List-Unsubscribe"), "<https://rundbrief.example/unsubscribe/abc>"},
		{"list-unsubscribe-post", p.header.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"},
		{"auto-submitted", p.header.Get("Auto-Submitted"), "auto-generated"},
		{"mime-version", p.header.Get("Mime-Version"), "1.0"},
		// One name for the program (issue 16, point 8).
		{"x-mailer", p.header.Get("X-Mailer"), "rundbrief"},
		{"user-agent", p.header.Get("User-Agent"), ""},
		{"text part", p.parts["text/plain"], testMessage().Text},
		{"html part", p.parts["text/html"], testMessage().HTML},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasSuffix(rec.MessageID, "@knf.example") {
		t.Errorf("Message-ID %q not on the sender's domain", rec.MessageID)
	}
	if d, err := p.header.Date(); err != nil || !d.Equal(testMessage().Date) {
		t.Errorf("Date = %v, %v", d, err)
	}
}

// Whatever Validate lets through is written with exactly the headers the
// mailer means to write: no input adds a header or a recipient.
func FuzzHeaderValues(f *testing.F) {
	f.Add("Hallo", "Anna", "x")
	f.Add("a\r\nBcc: x@y.z", "B\nC", "<https://x>\r\n")
	f.Add("Grüße aus Nordhausen", "Müller, Jörg", "List=One-Click")
	f.Fuzz(func(t *testing.T, subject, name, value string) {
		m := testMessage()
		m.Subject, m.To.Name = subject, name
		m.Headers = []Header{{"List-Id", value}}
		msg, err := m.build()
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		parsed, err := mail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("written message does not parse: %v", err)
		}
		for key := range parsed.Header {
			switch key {
			case "Date", "Mime-Version", "Message-Id", "Subject", "User-Agent", "X-Mailer", "From", "To", "List-Id", "Content-Type":
			default:
				t.Fatalf("unexpected header %q (subject %q, name %q, value %q)", key, subject, name, value)
			}
		}
		if to, err := parsed.Header.AddressList("To"); err == nil && (len(to) != 1 || to[0].Address != m.To.Address) {
			t.Fatalf("To = %v", to)
		}
	})
}
