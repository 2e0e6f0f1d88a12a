package mailer

import (
	"bytes"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"regexp"
	"strings"
	"testing"
)

// messageIDPattern is what validMessageID accepts, as the regular
// expression it replaced.
var messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9.-]+$`)

// validMessageID accepts exactly what the regular expression did: the
// cases that matter, then a hundred thousand strings of the characters
// near the rules.
func TestValidMessageIDAsTheExpression(t *testing.T) {
	cases := []string{
		"", "@", "a@", "@b", "a@b", "a@@b", "a@b@c", "1a2b.3c@lra-nordhausen.example.org",
		"x+y=z@b", "x@b+c", "a b@c", "a@b c", "a\r\n@b", "ä@b", "a@b_c", "a_b@c", "{a}@b.", "a@-",
	}
	for _, id := range cases {
		if got, want := validMessageID(id), messageIDPattern.MatchString(id); got != want {
			t.Errorf("validMessageID(%q) = %v, the expression says %v", id, got, want)
		}
	}
	const alphabet = "aZ09.-@!#$%&'*+/=?^_{|}~ <>\"(),:;[]\\\r\n\x00\x7fä"
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		b := make([]byte, rng.IntN(8))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		id := string(b)
		if got, want := validMessageID(id), messageIDPattern.MatchString(id); got != want {
			t.Fatalf("validMessageID(%q) = %v, the expression says %v", id, got, want)
		}
	}
}

// appendQPStd is appendQP as it was, with the standard library's writer.
func appendQPStd(dst []byte, v string) []byte {
	buf := bytes.NewBuffer(append(dst, "=\r\n"...))
	w := quotedprintable.NewWriter(buf)
	io.WriteString(w, v)
	w.Close()
	return append(buf.Bytes(), "=\r\n"...)
}

// appendQP writes what mime/quotedprintable's writer wrote, byte for
// byte: the cases that matter (long lines, white space at a line's end,
// CR, LF and CRLF, bytes to encode at the line's limit), then a hundred
// thousand strings of such bytes.
func TestAppendQPAsTheStandardLibrary(t *testing.T) {
	cases := []string{
		"", "a", "Grüße aus Nordhausen", "a=b", "end ", "end\t", "tab\tin", "line\nbreak", "cr\ronly", "crlf\r\nx",
		"space \nbefore", "\r", "\n", "\r\n\r\n", "\rä\n",
		strings.Repeat("x", 75), strings.Repeat("x", 76), strings.Repeat("x", 150), strings.Repeat("ä", 40),
		strings.Repeat("x", 73) + "ä", strings.Repeat("x", 74) + " ", strings.Repeat("x", 75) + " y",
		"https://rundbrief.lra-nordhausen.example.org/abmelden?t=abc123&s=4711",
	}
	for _, v := range cases {
		if got, want := appendQP([]byte("head"), v), appendQPStd([]byte("head"), v); !bytes.Equal(got, want) {
			t.Errorf("appendQP(%q) =\n%q\nwant\n%q", v, got, want)
		}
	}
	const alphabet = "ax =\t\r\n.\x00\x7f\xc3\xa4~!"
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if got, want := appendQP(nil, string(b)), appendQPStd(nil, string(b)); !bytes.Equal(got, want) {
			t.Fatalf("appendQP(%q) =\n%q\nwant\n%q", b, got, want)
		}
	}
}
