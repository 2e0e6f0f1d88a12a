package mailer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"slices"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// A Bulk is one message encoded once and sent to many recipients, each with
// their own values in its blanks: a campaign to ten thousand subscribers is
// built as MIME by go-mail once per language, and each copy costs a copy of
// bytes and the quoted-printable encoding of a few short values, not the
// encoding of every part anew.
//
// A copy stays correct MIME (RFC 2045, section 6.7): a value in a body part
// is quoted-printable encoded on lines of its own between soft line breaks
// ("=" CRLF), which decode to nothing, so no line grows beyond 76 characters
// and the decoded text is exactly the literal text with the value in it.
// Values in header fields are refused when they hold CR, LF or another
// control character, like every header value. A Bulk is safe for concurrent
// use.
type Bulk struct {
	from mail.Address
	segs []bulkSegment
	size int
	qps  int // the distinct blanks in quoted-printable parts
}

type bulkSegment struct {
	lit   []byte // literal bytes of the encoded message, then
	blank string // the value of this blank; "" after the last literal
	qp    bool   // the blank is in a quoted-printable part, not a header
	col   int    // for a header blank, the column it starts at
	// slot numbers the blank among the distinct ones in quoted-printable
	// parts: a value is encoded the same wherever it stands, so a copy
	// encodes it once and copies it to its other places.
	slot int
	// wire is lit dot-stuffed (RFC 5321, section 4.5.2) but for its first
	// byte, which starts a line or not according to what comes before.
	wire []byte
}

// The blanks every copy has: its own Date, Message-ID and To.
const (
	blankDate      = "0date"
	blankMessageID = "0mid"
	blankTo        = "0to"
	blankMark      = "rbblank"
)

var (
	blankUserName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	blankPattern  = regexp.MustCompile(blankMark + `([a-z0-9_]{1,63}?)` + blankMark)
)

// Blank is the marker of the value named name in the Text, HTML or an extra
// header value of a Message given to NewBulk. A name is a lower-case letter
// followed by lower-case letters, digits and '_'.
func Blank(name string) string { return blankMark + name + blankMark }

// ErrBlank is wrapped by the errors about blanks and their values.
var ErrBlank = errors.New("mailer: blank")

// NewBulk encodes m once, with the values named blanks left open (see
// Blank). m.To, m.MessageID and m.Date are ignored: every copy has its own
// (see Letter). A marker whose name is not among blanks stays as it is.
func NewBulk(m *Message, blanks ...string) (*Bulk, error) {
	probe := *m
	probe.To = mail.Address{Address: "bulk@example.invalid"}
	probe.MessageID = ""
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	known := map[string]bool{blankDate: true, blankMessageID: true, blankTo: true}
	for _, name := range blanks {
		if !blankUserName.MatchString(name) {
			return nil, fmt.Errorf("%w: name %q: use lower-case letters, digits and '_'", ErrBlank, name)
		}
		known[name] = true
	}
	from, err := headerAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("%w: From: %v", ErrInvalidMessage, err)
	}
	msg := gomail.NewMsg(gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(&from)
	msg.SetGenHeader(gomail.HeaderDate, Blank(blankDate))
	msg.SetGenHeader(gomail.HeaderMessageID, "<"+Blank(blankMessageID)+">")
	msg.SetGenHeader(gomail.Header(gomail.HeaderTo), Blank(blankTo))
	if err := m.content(msg); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mailer: encoding a bulk message: %w", err)
	}
	raw := buf.Bytes()
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		raw = append(raw, '\r', '\n')
	}
	b := &Bulk{from: m.From, segs: splitBlanks(raw, known), size: len(raw)}
	slots := map[string]int{}
	for i, seg := range b.segs {
		b.segs[i].wire = seg.lit
		if bytes.Contains(seg.lit, []byte("\n.")) {
			b.segs[i].wire, _ = stuffFrom(slices.Clone(seg.lit), 0, false)
		}
		if !seg.qp {
			continue
		}
		n, ok := slots[seg.blank]
		if !ok {
			n = len(slots)
			slots[seg.blank] = n
		}
		b.segs[i].slot = n
	}
	b.qps = len(slots)
	return b, nil
}

// splitBlanks cuts raw at the markers of the known blanks. In the body,
// the quoted-printable encoder may have put soft line breaks into a
// marker; they are part of the marker's range and go with it.
func splitBlanks(raw []byte, known map[string]bool) []bulkSegment {
	type found struct {
		start, end int
		name       string
		qp         bool
	}
	var marks []found
	head := bytes.Index(raw, []byte("\r\n\r\n")) + 4
	for _, loc := range blankPattern.FindAllSubmatchIndex(raw[:head], -1) {
		if name := string(raw[loc[2]:loc[3]]); known[name] {
			marks = append(marks, found{loc[0], loc[1], name, false})
		}
	}
	// The body without its soft line breaks, and where each byte came from.
	clean := make([]byte, 0, len(raw)-head)
	from := make([]int, 0, len(raw)-head)
	for i := head; i < len(raw); i++ {
		if raw[i] == '=' && i+2 < len(raw) && raw[i+1] == '\r' && raw[i+2] == '\n' {
			i += 2
			continue
		}
		clean = append(clean, raw[i])
		from = append(from, i)
	}
	for _, loc := range blankPattern.FindAllSubmatchIndex(clean, -1) {
		if name := string(clean[loc[2]:loc[3]]); known[name] {
			marks = append(marks, found{from[loc[0]], from[loc[1]-1] + 1, name, true})
		}
	}
	slices.SortFunc(marks, func(a, b found) int { return a.start - b.start })
	var segs []bulkSegment
	prev := 0
	for _, f := range marks {
		seg := bulkSegment{lit: raw[prev:f.start], blank: f.name, qp: f.qp}
		if !f.qp {
			seg.col = f.start - (bytes.LastIndex(raw[:f.start], []byte("\r\n")) + 2)
		}
		segs = append(segs, seg)
		prev = f.end
	}
	return append(segs, bulkSegment{lit: raw[prev:]})
}

// Letter is one recipient's copy of a Bulk.
type Letter struct {
	To        mail.Address
	MessageID string    // without angle brackets; made on the sender's domain if empty
	Date      time.Time // the current time if zero
	Values    map[string]string
	// ReturnPath is the envelope sender when it is not the Bulk's From
	// (see Message.ReturnPath). Optional.
	ReturnPath string
}

// check validates l and fills in its Message-ID and Date.
func (l *Letter) check(from mail.Address) error {
	if err := checkAddress(l.To); err != nil {
		return fmt.Errorf("%w: To: %v", ErrInvalidMessage, err)
	}
	if l.MessageID == "" {
		l.MessageID = NewMessageID(from)
	}
	if !validMessageID(l.MessageID) {
		return fmt.Errorf("%w: Message-ID %q is not of the form id@domain", ErrInvalidMessage, l.MessageID)
	}
	if l.Date.IsZero() {
		l.Date = time.Now()
	}
	return nil
}

// WriteTo writes l's copy of b, as it would be sent, filling in l's
// Message-ID and Date if they are missing.
func (b *Bulk) WriteTo(w io.Writer, l *Letter) (int64, error) {
	data, err := b.AppendLetter(nil, l)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(data)
	return int64(n), err
}

// AppendLetter appends l's copy of b to dst, filling in l's Message-ID and
// Date if they are missing. It fails if a blank has no value, a header
// value holds a line break or another control character, or a body value
// holds CR or a control character other than LF and tab.
func (b *Bulk) AppendLetter(dst []byte, l *Letter) ([]byte, error) {
	return b.appendCopy(dst, l, false)
}

// appendWire is AppendLetter with the copy dot-stuffed for the DATA
// command (RFC 5321, section 4.5.2), as appendDotStuffed would make it,
// but without a look at each line: the literals were stuffed once, in
// NewBulk, and only the values are looked at. dst is empty or ends a line.
func (b *Bulk) appendWire(dst []byte, l *Letter) ([]byte, error) {
	return b.appendCopy(dst, l, true)
}

func (b *Bulk) appendCopy(dst []byte, l *Letter, wire bool) ([]byte, error) {
	if err := l.check(b.from); err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, b.size+1024)
	// Where in dst each quoted-printable value went first, end 0 until
	// then; on the wire without a dot added before it for where it stood.
	type span struct{ start, end int }
	var spans []span
	if b.qps <= 16 {
		spans = make([]span, b.qps, 16) // on the stack
	} else {
		spans = make([]span, b.qps)
	}
	for _, s := range b.segs {
		if wire {
			dst = appendLineStuffed(dst, s.wire)
		} else {
			dst = append(dst, s.lit...)
		}
		if s.blank == "" {
			continue
		}
		var v string
		switch s.blank {
		case blankDate:
			v = l.Date.Format(time.RFC1123Z)
		case blankMessageID:
			v = l.MessageID
		case blankTo:
			to, err := headerAddress(l.To)
			if err != nil {
				return dst, fmt.Errorf("%w: To: %v", ErrInvalidMessage, err)
			}
			v = to.String()
		default:
			var ok bool
			if v, ok = l.Values[s.blank]; !ok {
				return dst, fmt.Errorf("%w: no value for %q", ErrBlank, s.blank)
			}
		}
		start := len(dst)
		if s.qp {
			if sp := spans[s.slot]; sp.end > 0 {
				if wire {
					dst = appendLineStuffed(dst, dst[sp.start:sp.end])
				} else {
					dst = append(dst, dst[sp.start:sp.end]...)
				}
				continue
			}
			if err := checkText(v); err != nil {
				return dst, fmt.Errorf("%w: %s: %v", ErrInvalidMessage, s.blank, err)
			}
			dst = appendQP(dst, v)
		} else {
			if err := checkValue(v); err != nil {
				return dst, fmt.Errorf("%w: %s: %v", ErrInvalidMessage, s.blank, err)
			}
			dst = appendFolded(dst, v, s.col)
		}
		lead := 0
		if wire {
			dst, lead = stuffFrom(dst, start, start == 0 || dst[start-1] == '\n')
		}
		if s.qp {
			spans[s.slot] = span{start + lead, len(dst)}
		}
	}
	return dst, nil
}
