package subscribers

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// MaxImportBytes is the largest file an import reads: 64 MiB, enough for
// two million contacts. The file is read as a stream, so memory does not
// grow with it.
const MaxImportBytes = 64 << 20

// MaxLineBytes is the longest line an import file may have: 1 MiB, far
// more than any contact, and a bound on what one line costs in memory.
const MaxLineBytes = 1 << 20

// ErrLineTooLong is the error of a line longer than MaxLineBytes.
var ErrLineTooLong = errors.New("subscribers: a line of the file is too long")

// LineTooLongError names the line that is longer than MaxLineBytes.
type LineTooLongError struct{ Line int }

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("%v: line %d has more than %d bytes", ErrLineTooLong, e.Line, MaxLineBytes)
}

func (e *LineTooLongError) Unwrap() error { return ErrLineTooLong }

// Encodings of an import file, as staff read them.
const (
	EncodingUTF8        = "UTF-8"
	EncodingUTF8BOM     = "UTF-8 mit BOM"
	EncodingUTF16       = "UTF-16"
	EncodingWindows1252 = "Windows-1252"
	EncodingMixed       = "UTF-8 und Windows-1252 gemischt"
)

// textDecoder reads a contact list as UTF-8 text, line by line, whatever
// it was saved as: UTF-16 (recognised by its byte order mark) is decoded
// as a whole; otherwise each line is taken as UTF-8 if it is valid UTF-8,
// and as Windows-1252 (Excel's "CSV (Trennzeichen-getrennt)" on Windows,
// where every byte is a character) if it is not. So a list that someone
// extended in another program, with lines of both, keeps every name
// intact; the decoder counts the lines of each.
//
// It refuses a file larger than MaxImportBytes and a line longer than
// MaxLineBytes, so that reading costs the same small memory for any file.
type textDecoder struct {
	src     *countingReader
	r       *bufio.Reader
	perLine bool
	bom     bool

	pending []byte // decoded, not yet read
	line    int    // physical lines read
	err     error

	utf8Lines   int // lines with non-ASCII characters, valid UTF-8
	cp1252Lines int // lines read as Windows-1252
	firstCP1252 int // the first of them
}

// countingReader refuses to read past MaxImportBytes.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > MaxImportBytes {
		return n, fmt.Errorf("%w: more than %d MiB", ErrFileTooLarge, MaxImportBytes>>20)
	}
	return n, err
}

func newTextDecoder(r io.Reader) (*textDecoder, error) {
	src := &countingReader{r: r}
	br := bufio.NewReaderSize(src, 64<<10)
	d := &textDecoder{src: src, r: br, perLine: true}
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("subscribers: read import file: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		d.bom = true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		d.r = bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10)
		d.perLine = false
	}
	return d, nil
}

// Read reads decoded text.
func (d *textDecoder) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		d.fill()
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}

// fill decodes the next line into pending, or sets err.
func (d *textDecoder) fill() {
	var line []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(line)+len(chunk) > MaxLineBytes {
			d.err = &LineTooLongError{Line: d.line + 1}
			return
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			break // the last line, without a line break
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, ErrFileTooLarge) {
			err = fmt.Errorf("subscribers: read import file: %w", err)
		}
		if err != nil {
			d.err = err
			return
		}
		break
	}
	d.line++
	d.pending = d.decode(line)
}

// decode returns one line as UTF-8 and counts what it was.
func (d *textDecoder) decode(line []byte) []byte {
	if !d.perLine || isASCII(line) {
		return line
	}
	if utf8.Valid(line) {
		d.utf8Lines++
		return line
	}
	d.cp1252Lines++
	if d.firstCP1252 == 0 {
		d.firstCP1252 = d.line
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(line)
	if err != nil { // Windows-1252 decodes every byte; this does not happen
		return line
	}
	return out
}

// encoding names what the file was saved as, as far as it was read.
func (d *textDecoder) encoding() string {
	switch {
	case !d.perLine:
		return EncodingUTF16
	case d.cp1252Lines > 0 && d.utf8Lines > 0:
		return EncodingMixed
	case d.cp1252Lines > 0:
		return EncodingWindows1252
	case d.bom:
		return EncodingUTF8BOM
	}
	return EncodingUTF8
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
