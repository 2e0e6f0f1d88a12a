package mailer

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

// bulkPair is one mail made both ways: whole, and as a copy of a bulk
// message with the same values in its blanks.
type bulkPair struct {
	whole *Message
	bulk  *Bulk
	copy  *Letter
}

// newBulkPair fills text and html, written with {name} where a value
// goes, both ways.
func newBulkPair(t testing.TB, to mail.Address, text, html string, values map[string]string) bulkPair {
	t.Helper()
	fill := func(s string, blanks bool) string {
		for name, v := range values {
			if blanks {
				v = Blank(name)
			}
			s = strings.ReplaceAll(s, "{"+name+"}", v)
		}
		return s
	}
	base := testMessage()
	base.To, base.Text, base.HTML = to, text, html
	base.Attachments = []Attachment{{Name: "termin.ics", ContentType: "text/calendar; method=PUBLISH; charset=UTF-8", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")},
		{Name: "programm.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 rbblankunsubscriberbblank \x00\xff")}}
	base.Inline = []Attachment{{Name: "logo.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n"), ContentID: "logo@rundbrief"}}
	base.ReplyTo = mail.Address{Name: "Anja Berger", Address: "fachkraefte@example.org"}
	base.Headers = ListHeaders(base.From, "https://rundbrief.example/unsubscribe/{unsubscribe}")

	whole := *base
	whole.Text, whole.HTML = fill(text, false), fill(html, false)
	whole.Headers = ListHeaders(base.From, fill("https://rundbrief.example/unsubscribe/{unsubscribe}", false))
	whole.MessageID = "abc.123@knf.example"

	tmpl := *base
	tmpl.Text, tmpl.HTML = fill(text, true), fill(html, true)
	tmpl.Headers = ListHeaders(base.From, fill("https://rundbrief.example/unsubscribe/{unsubscribe}", true))
	var names []string
	for name := range values {
		names = append(names, name)
	}
	b, err := NewBulk(&tmpl, names...)
	if err != nil {
		t.Fatal(err)
	}
	return bulkPair{whole: &whole, bulk: b, copy: &Letter{To: to, MessageID: whole.MessageID, Date: base.Date, Values: values}}
}

// decoded is what a mail program shows of a message: its header values
// (encoded words decoded) and its parts, decoded.
type decoded struct {
	header map[string]string
	parts  map[string]string // by media type
}

func decode(t testing.TB, raw []byte) decoded {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, raw)
	}
	d := decoded{header: map[string]string{}, parts: map[string]string{}}
	dec := new(mime.WordDecoder)
	for _, k := range []string{"From", "To", "Subject", "Date", "Message-Id", "List-Unsubscribe", "List-Id", "List-Unsubscribe-Post", "Reply-To"} {
		v, err := dec.DecodeHeader(msg.Header.Get(k))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		d.header[k] = v
	}
	var walk func(ct string, cte string, body io.Reader)
	walk = func(ct, cte string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("Content-Type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if id := p.Header.Get("Content-Id"); id != "" {
					d.header["Content-Id"] = id
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			}
		}
		var r io.Reader = body
		switch strings.ToLower(cte) {
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		d.parts[mt] = string(b)
	}
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return d
}

// checkLines fails if a line is longer than RFC 5322 allows, or longer than
// 76 characters in a quoted-printable part (RFC 2045, section 6.7).
func checkLines(t testing.TB, raw []byte) {
	t.Helper()
	head := bytes.Index(raw, []byte("\r\n\r\n"))
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d has %d characters", i+1, len(line))
		}
		if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, line)
		}
	}
	// Past the header, only base64 and quoted-printable lines, both ≤ 76.
	for i, line := range bytes.Split(raw[head+4:], []byte("\r\n")) {
		if len(line) > 76 && !bytes.HasPrefix(line, []byte("Content-")) {
			t.Errorf("body line %d has %d characters: %q", i+1, len(line), line)
		}
	}
}

// checkWire checks that the copy of b for l on the wire is raw, the copy,
// dot-stuffed.
func checkWire(t testing.TB, b *Bulk, l *Letter, raw []byte) {
	t.Helper()
	wire, err := b.appendWire(nil, l)
	if err != nil {
		t.Fatal(err)
	}
	if want := appendDotStuffed(nil, raw); !bytes.Equal(wire, want) {
		t.Errorf("on the wire:\n%q\nwant the copy dot-stuffed:\n%q", wire, want)
	}
}

func TestBulkCopyIsTheSameMail(t *testing.T) {
	t.Parallel()
	long := "https://rundbrief.example/events/talent-campus/register/" + strings.Repeat("AbC-d_9", 20)
	tests := []struct {
		name   string
		to     mail.Address
		text   string
		html   string
		values map[string]string
	}{
		{
			name: "umlauts and a long link",
			to:   mail.Address{Name: "Jörg Müller-Lüdenscheidt", Address: "j.mueller@metallbau.example"},
			text: "{greeting}\n\nzur Anmeldung: {register}\n\nAbbestellen: {unsubscribe}\n",
			html: `<p>{greeting_html}</p><p><a href="{register}">Jetzt anmelden</a></p>`,
			values: map[string]string{"greeting": "Guten Tag Jörg Müller-Lüdenscheidt,", "greeting_html": "Guten Tag J&ouml;rg M&uuml;ller,",
				"register": long, "unsubscribe": "t0k3n"},
		},
		{
			name:   "quoted-printable's own characters, dots and spaces",
			to:     mail.Address{Name: "A = B", Address: "ab@example.org"},
			text:   "{greeting}\n.{greeting}\n{greeting} \n\t{greeting}\n",
			html:   "<p>{greeting}</p>\n.{greeting}.\n",
			values: map[string]string{"greeting": "=?Hallo =3D . ", "unsubscribe": "x"},
		},
		{
			name:   "values that start lines with a dot",
			to:     mail.Address{Address: "punkt@example.org"},
			text:   "{d}\n.{d}\n",
			html:   "<p>\n{d}</p>\n.{d}",
			values: map[string]string{"d": ".Punkt\n.zweite Zeile", "unsubscribe": "."},
		},
		{
			name:   "empty values, a value at the start and at the end",
			to:     mail.Address{Address: "leer@example.org"},
			text:   "{a}Text{b}\n{c}",
			html:   "{a}<b>{b}</b>{c}",
			values: map[string]string{"a": "", "b": "", "c": strings.Repeat("ä", 200), "unsubscribe": ""},
		},
		{
			name:   "several lines in a value",
			to:     mail.Address{Name: "Zeilen", Address: "z@example.org"},
			text:   "Ihre Themen:\n{topics}\nEnde",
			html:   "<ul>{topics}</ul>",
			values: map[string]string{"topics": "- Ausbildung\n- Fachkräfte\n.\n- Familie", "unsubscribe": "u"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newBulkPair(t, tt.to, tt.text, tt.html, tt.values)
			var whole bytes.Buffer
			if _, err := p.whole.WriteTo(&whole); err != nil {
				t.Fatal(err)
			}
			var copy bytes.Buffer
			if _, err := p.bulk.WriteTo(&copy, p.copy); err != nil {
				t.Fatal(err)
			}
			checkLines(t, copy.Bytes())
			checkWire(t, p.bulk, p.copy, copy.Bytes())
			got, want := decode(t, copy.Bytes()), decode(t, whole.Bytes())
			for k, w := range want.header {
				if g := got.header[k]; g != w {
					t.Errorf("header %s: got %q, want %q", k, g, w)
				}
			}
			for mt, w := range want.parts {
				if g := got.parts[mt]; g != w {
					t.Errorf("%s part:\ngot  %q\nwant %q", mt, g, w)
				}
			}
			if len(got.parts) != len(want.parts) {
				t.Errorf("parts: got %d, want %d", len(got.parts), len(want.parts))
			}
			if got.header["Content-Id"] != "<logo@rundbrief>" || got.parts["image/png"] != "\x89PNG\r\n\x1a\n" ||
				got.parts["application/pdf"] != "%PDF-1.4 rbblankunsubscriberbblank \x00\xff" || got.header["Reply-To"] != `"Anja Berger" <fachkraefte@example.org>` {
				t.Errorf("the picture, the attachment or Reply-To is not as given: %q, %q", got.header, got.parts)
			}
			if bytes.Contains(copy.Bytes(), []byte(blankMark)) {
				t.Errorf("a blank was left in the copy:\n%s", copy.Bytes())
			}
		})
	}
}

func TestBulkRefuses(t *testing.T) {
	t.Parallel()
	p := newBulkPair(t, mail.Address{Address: "a@example.org"}, "{greeting}\n", "<p>{greeting}</p>",
		map[string]string{"greeting": "Hallo", "unsubscribe": "tok"})
	tests := []struct {
		name string
		edit func(*Letter)
		want error
	}{
		{"CRLF in a header value", func(l *Letter) { l.Values["unsubscribe"] = "x>\r\nBcc: opfer@example.org" }, ErrInvalidMessage},
		{"LF in the recipient's name", func(l *Letter) { l.To.Name = "Anna\nBcc: x@example.org" }, ErrInvalidMessage},
		{"CRLF in the address", func(l *Letter) { l.To.Address = "a@example.org\r\nBcc: x@example.org" }, ErrInvalidMessage},
		{"a bad Message-ID", func(l *Letter) { l.MessageID = "kein <id>" }, ErrInvalidMessage},
		{"a blank without value", func(l *Letter) { delete(l.Values, "greeting") }, ErrBlank},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := *p.copy
			l.Values = map[string]string{"greeting": "Hallo", "unsubscribe": "tok"}
			tt.edit(&l)
			_, err := p.bulk.AppendLetter(nil, &l)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := NewBulk(testMessage(), "Großbuchstaben"); !errors.Is(err, ErrBlank) {
		t.Errorf("a blank name with capitals: got %v, want ErrBlank", err)
	}
	// A marker that is not a blank of the message stays text.
	m := testMessage()
	m.Text = "Wer " + Blank("fremd") + " schreibt, liest es so.\n"
	b, err := NewBulk(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf, &Letter{To: mail.Address{Address: "a@example.org"}}); err != nil {
		t.Fatal(err)
	}
	if got := decode(t, buf.Bytes()).parts["text/plain"]; !strings.Contains(got, Blank("fremd")) {
		t.Errorf("unknown marker changed: %q", got)
	}
}

// Copies go over the pooled connections like whole messages: dot-stuffed,
// with their replies classified the same way.
func TestSMTPSendBulk(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, 1)
	ctx := context.Background()
	text := ".{greeting}\n..zwei Punkte\n.\nEnde {greeting}\n"
	p := newBulkPair(t, mail.Address{Name: "Jörg", Address: "j@example.org"}, text, "<p>.{greeting}</p>\n.\n",
		map[string]string{"greeting": ".Hallo", "unsubscribe": "tok"})

	srv.Reply("later@example.org", smtptest.Temporary())
	srv.Reply("unknown@example.org", smtptest.Unknown())
	srv.Reply("policy@example.org", smtptest.Policy())
	tests := []struct {
		rcpt      string
		ok        bool
		temporary bool
		code      int
		enhanced  string
		rejected  bool
	}{
		{"j@example.org", true, false, 0, "", false},
		{"later@example.org", false, true, 451, "4.3.0", false},
		{"unknown@example.org", false, false, 550, "5.1.1", true},
		{"policy@example.org", false, false, 550, "5.7.1", false},
		{"later@example.org", true, false, 0, "", false}, // the 451 was once
	}
	for _, tt := range tests {
		l := *p.copy
		l.To.Address, l.MessageID = tt.rcpt, ""
		r, err := s.SendBulk(ctx, p.bulk, &l)
		if tt.ok {
			if err != nil || r.MessageID == "" || !strings.HasPrefix(r.Reply, "2") && !strings.Contains(r.Reply, "OK") {
				t.Errorf("%s: receipt %+v, error %v", tt.rcpt, r, err)
			}
			continue
		}
		e, ok := AsError(err)
		if !ok {
			t.Fatalf("%s: error %v is not a *mailer.Error", tt.rcpt, err)
		}
		if e.Temporary != tt.temporary || e.Code != tt.code || e.Enhanced != tt.enhanced ||
			e.Stage != StageRcptTo || e.RecipientRejected() != tt.rejected {
			t.Errorf("%s: got temporary=%v code=%d enhanced=%q stage=%s rejected=%v; want %v %d %q RCPT TO %v",
				tt.rcpt, e.Temporary, e.Code, e.Enhanced, e.Stage, e.RecipientRejected(), tt.temporary, tt.code, tt.enhanced, tt.rejected)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("relay got %d messages, want 2", len(msgs))
	}
	if got := srv.Connections(); got != 1 {
		t.Errorf("connections = %d, want 1: refusals leave the session usable", got)
	}
	var want bytes.Buffer
	p.whole.WriteTo(&want)
	if got, want := decode(t, msgs[0].Data).parts["text/plain"], decode(t, want.Bytes()).parts["text/plain"]; got != want {
		t.Errorf("text after the relay:\ngot  %q\nwant %q", got, want)
	}
}

// A relay that dropped the idle connection gets the copy on a new one.
func TestSMTPSendBulkReconnects(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := newSender(t, srv, 1)
	p := newBulkPair(t, mail.Address{Address: "a@example.org"}, "{g}\n", "<p>{g}</p>", map[string]string{"g": "Hallo", "unsubscribe": "u"})
	ctx := context.Background()
	for i := range 2 {
		l := *p.copy
		l.MessageID = ""
		if _, err := s.SendBulk(ctx, p.bulk, &l); err != nil {
			t.Fatalf("copy %d: %v", i+1, err)
		}
		srv.DropConnections()
		time.Sleep(50 * time.Millisecond)
	}
	if got := srv.Connections(); got != 2 {
		t.Errorf("connections = %d, want 2", got)
	}
}

// FuzzBulkValues fills a copy with any value: the copy is refused, or it
// parses, keeps its lines short, has the headers it should and decodes to
// the same mail as the whole message with that value.
func FuzzBulkValues(f *testing.F) {
	for _, seed := range []string{"", "Jörg", "=", "=\n", ".", "\n.\n", strings.Repeat("ä", 100), "a \t", "\r", "Bcc: x@example.org\r\n\r\n", "x \n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) {
			return // values come from Go strings of UTF-8 text
		}
		p := newBulkPair(t, mail.Address{Address: "a@example.org"}, "vorher {v} nachher\n{v}\n.{v}\n", "<p>{v}</p>\n.{v}", map[string]string{"v": v, "unsubscribe": "u"})
		raw, err := p.bulk.AppendLetter(nil, p.copy)
		if checkText(v) != nil {
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("value %q with a control character: got %v, want ErrInvalidMessage", v, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkLines(t, raw)
		checkWire(t, p.bulk, p.copy, raw)
		var whole bytes.Buffer
		if _, err := p.whole.WriteTo(&whole); err != nil {
			t.Fatal(err)
		}
		got, want := decode(t, raw), decode(t, whole.Bytes())
		for _, mt := range []string{"text/plain", "text/html"} {
			if got.parts[mt] != want.parts[mt] {
				t.Errorf("%s part:\ngot  %q\nwant %q", mt, got.parts[mt], want.parts[mt])
			}
		}
		msg, _ := mail.ReadMessage(bytes.NewReader(raw))
		if len(msg.Header["Bcc"]) > 0 || len(msg.Header["To"]) != 1 {
			t.Errorf("headers changed: %v", msg.Header)
		}
	})
}
