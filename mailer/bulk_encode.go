package mailer

import "fmt"

// The encoding of a Bulk copy's values: quoted-printable in a body part
// (RFC 2045, section 6.7), folded in a header field (RFC 5322, section
// 2.2.3), and dot-stuffed for the wire (RFC 5321, section 4.5.2).

// appendLineStuffed appends piece, dot-stuffed but for its first byte, to
// dst, which is empty or ends in a line or within one: a dot first in
// piece is doubled when it starts a line.
func appendLineStuffed(dst, piece []byte) []byte {
	if len(piece) > 0 && piece[0] == '.' && (len(dst) == 0 || dst[len(dst)-1] == '\n') {
		dst = append(dst, '.')
	}
	return append(dst, piece...)
}

// stuffFrom dot-stuffs dst[start:] in place: a dot is added before each
// dot that starts a line, and before dst[start] when it is a dot and
// lineStart says a line starts there. It returns dst and 1 when it added
// a dot before dst[start], else 0.
func stuffFrom(dst []byte, start int, lineStart bool) ([]byte, int) {
	starts := func(i int) bool {
		return dst[i] == '.' && ((i == start && lineStart) || (i > start && dst[i-1] == '\n'))
	}
	n := 0
	for i := start; i < len(dst); i++ {
		if starts(i) {
			n++
		}
	}
	if n == 0 {
		return dst, 0
	}
	lead := 0
	if starts(start) {
		lead = 1
	}
	// Each byte moves right by the dots added before it; going from
	// the end, a byte is read before anything is written over it.
	end := len(dst)
	dst = append(dst, make([]byte, n)...)
	j := len(dst)
	for i := end - 1; i >= start; i-- {
		j--
		dst[j] = dst[i]
		if starts(i) {
			j--
			dst[j] = '.'
		}
	}
	return dst, lead
}

// checkText refuses CR and the control characters other than LF and tab
// in a value for a body part, where lines end in LF: a lone CR would
// end a line in one place and not in another.
func checkText(s string) error {
	for _, r := range s {
		if r == '\r' || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return fmt.Errorf("contains control character %U", r)
		}
	}
	return nil
}

// appendQP appends v quoted-printable encoded on lines of its own, between
// soft line breaks. The encoding is mime/quotedprintable's Writer in text
// mode, byte for byte (TestAppendQPAsTheStandardLibrary), without the
// writer, buffer and copy of v it allocated for every value of every copy.
func appendQP(dst []byte, v string) []byte {
	q := qpLine{dst: append(dst, "=\r\n"...)}
	q.start = len(q.dst)
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case b >= '!' && b <= '~' && b != '=', b == ' ', b == '\t':
			q.literal(b)
		case b == '\n' || b == '\r':
			q.lineBreak(b)
		default:
			q.encode(b)
		}
	}
	q.checkLastByte()
	return append(q.dst, "=\r\n"...)
}

// qpLine is the state of appendQP: the output, where its current line
// starts, and whether the last line break was a CR.
type qpLine struct {
	dst   []byte
	start int
	cr    bool
}

const qpLineMax = 76 // characters on a line, the soft line break's "=" included

func (q *qpLine) len() int { return len(q.dst) - q.start }

func (q *qpLine) literal(b byte) {
	if q.len() == qpLineMax-1 {
		q.softLineBreak()
	}
	q.dst = append(q.dst, b)
	q.cr = false
}

// lineBreak ends the line at a CR, an LF or a CRLF of the input.
func (q *qpLine) lineBreak(b byte) {
	if q.cr && b == '\n' {
		q.cr = false
		return
	}
	q.cr = b == '\r'
	q.checkLastByte()
	q.crlf()
}

func (q *qpLine) encode(b byte) {
	const upperhex = "0123456789ABCDEF"
	if qpLineMax-1-q.len() < 3 {
		q.softLineBreak()
	}
	q.dst = append(q.dst, '=', upperhex[b>>4], upperhex[b&0x0f])
}

// checkLastByte encodes white space at the end of a line, which a
// transport may strip (RFC 2045, section 6.7, rule 3).
func (q *qpLine) checkLastByte() {
	if q.len() == 0 {
		return
	}
	if b := q.dst[len(q.dst)-1]; b == ' ' || b == '\t' {
		q.dst = q.dst[:len(q.dst)-1]
		q.encode(b)
	}
}

func (q *qpLine) softLineBreak() {
	q.dst = append(q.dst, '=')
	q.crlf()
}

func (q *qpLine) crlf() {
	q.dst = append(q.dst, '\r', '\n')
	q.start = len(q.dst)
}

// appendFolded appends a header value that starts at column col, folding it
// at spaces (RFC 5322, section 2.2.3) so lines stay near 78 characters.
func appendFolded(dst []byte, v string, col int) []byte {
	const limit = 76
	for len(v) > 0 {
		if col+len(v) <= limit {
			return append(dst, v...)
		}
		// Fold at the last space that fits, or else the first one.
		cut := -1
		for i := 1; i < len(v); i++ {
			if v[i] == ' ' {
				if col+i > limit && cut > 0 {
					break
				}
				cut = i
			}
		}
		if cut < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:cut]...)
		dst = append(dst, "\r\n"...)
		v = v[cut:] // the space starts the continuation line
		col = 0
	}
	return dst
}
