package subscribers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// MaxImportBytes is the largest file ParseImport reads: 64 MiB, enough for
// several hundred thousand contacts.
const MaxImportBytes = 64 << 20

// Errors in an import file. A RowError wraps one of these, or one of the
// field errors (ErrEmailSyntax, ErrUnknownKind, ...).
var (
	ErrNoEmailColumn   = errors.New("subscribers: the file has no e-mail column")
	ErrDuplicateColumn = errors.New("subscribers: two columns mean the same field")
	ErrKindMissing     = errors.New("subscribers: the kind is missing")
	ErrExtraFields     = errors.New("subscribers: the row has more fields than the header has columns")
	ErrFileTooLarge    = errors.New("subscribers: the file is too large")
	ErrEmptyFile       = errors.New("subscribers: the file is empty")
	ErrCSVSyntax       = errors.New("subscribers: the row is not valid CSV")
)

// Field is a field of a subscriber that an import file may carry.
type Field string

// The fields of an import file.
const (
	FieldEmail        Field = "email"
	FieldName         Field = "name"
	FieldFirstName    Field = "first_name"
	FieldLastName     Field = "last_name"
	FieldOrganisation Field = "organisation"
	FieldKind         Field = "kind"
	FieldTopics       Field = "topics"
	FieldLanguage     Field = "language"
)

// fieldOf maps a header, reduced to lower-case letters and digits, to its
// field. Staff's files name columns in German or English.
func fieldOf(header string) (Field, bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(header) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	switch b.String() {
	case "email", "emailadresse", "mail", "mailadresse", "emailaddress", "emailadress":
		return FieldEmail, true
	case "name", "vollername", "fullname", "ansprechpartner", "ansprechpartnerin", "kontakt", "kontaktperson":
		return FieldName, true
	case "vorname", "firstname", "givenname":
		return FieldFirstName, true
	case "nachname", "familienname", "lastname", "surname":
		return FieldLastName, true
	case "organisation", "organization", "firma", "unternehmen", "betrieb", "einrichtung", "institution":
		return FieldOrganisation, true
	case "kind", "art", "typ", "type", "zielgruppe", "kategorie":
		return FieldKind, true
	case "topics", "themen", "thema", "interessen", "interests":
		return FieldTopics, true
	case "language", "sprache", "lang":
		return FieldLanguage, true
	}
	return "", false
}

// ImportOptions tell ParseImport what it cannot read from the file.
type ImportOptions struct {
	// Topics are the known topics; a topic in the file must name one of them
	// by slug or by its German or English title.
	Topics []Topic
	// DefaultKind is the kind of rows whose kind is empty, or of every row
	// if the file has no kind column. Empty means such rows are errors.
	DefaultKind Kind
}

// ImportRow is one valid, normalised row of an import file.
type ImportRow struct {
	Line int // the row's first line in the file, counting the header as line 1
	NewSubscriber
}

// RowError is one problem in an import file.
type RowError struct {
	Line   int    // line in the file
	Column string // the column's header as written in the file; "" for the row as a whole
	Value  string // the offending value
	Err    error  // the reason
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %q: %v", e.Line, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Duplicate is a row whose address appeared on an earlier line of the file.
// Its topics and any fields the first row left empty were merged into the
// first row.
type Duplicate struct {
	Line      int
	FirstLine int
	Email     string
}

// ImportFile is an import file read and checked.
type ImportFile struct {
	Rows       []ImportRow // valid rows, duplicates merged, in file order
	Problems   []*RowError // every invalid row and field
	Duplicates []Duplicate
	Encoding   string   // "UTF-8", "UTF-8 mit BOM", "UTF-16", "Windows-1252"
	Delimiter  rune     // ';', ',' or tab
	Ignored    []string // headers that name no field
}

// ParseImport reads a contact list as staff export it from Excel or other
// tools: UTF-8 with or without byte order mark (UTF-16 and Windows-1252 are
// recognised and converted), fields separated by ';', ',' or tab (detected
// from the header), quoted fields, CRLF or LF line ends, and a header row
// naming the columns in German or English.
//
// Every row is checked. ParseImport returns an error only when the file as a
// whole cannot be read (too large, no header, no e-mail column); problems in
// rows are listed in ImportFile.Problems, each with line, column and reason,
// and those rows are left out of ImportFile.Rows.
func ParseImport(r io.Reader, opts ImportOptions) (*ImportFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("subscribers: read import file: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, fmt.Errorf("%w: more than %d MiB", ErrFileTooLarge, MaxImportBytes>>20)
	}
	text, encoding, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	f := &ImportFile{Encoding: encoding, Delimiter: detectDelimiter(text)}

	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = f.Delimiter
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmptyFile
	}
	if err != nil {
		return nil, fmt.Errorf("subscribers: header line: %w", err)
	}
	cols, err := f.mapColumns(header)
	if err != nil {
		return nil, err
	}
	p := rowParser{opts: opts, cols: cols, header: header, known: topicsBySlug(opts.Topics), first: map[string]int{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// The reader resumes after the bad record; an unclosed quote
				// runs to the end of the file, so it ends the loop by itself.
				f.Problems = append(f.Problems, &RowError{Line: pe.StartLine, Err: fmt.Errorf("%w: %v", ErrCSVSyntax, pe.Err)})
				continue
			}
			return nil, fmt.Errorf("subscribers: read import file: %w", err)
		}
		line, _ := cr.FieldPos(0)
		p.row(f, line, rec)
	}
	return f, nil
}

// decodeText returns data as UTF-8 text and names the encoding it was in.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", "", errors.New("subscribers: the file starts as UTF-8 but contains invalid UTF-8; save it again as \"CSV UTF-8\"")
		}
		return string(data), "UTF-8 mit BOM", nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		out, _, err := transform.Bytes(dec, data)
		if err != nil {
			return "", "", fmt.Errorf("subscribers: the file is not valid UTF-16: %w", err)
		}
		return string(out), "UTF-16", nil
	case utf8.Valid(data):
		return string(data), "UTF-8", nil
	default:
		// Excel's plain "CSV (Trennzeichen-getrennt)" on Windows writes
		// Windows-1252, where every byte is a character.
		out, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return "", "", fmt.Errorf("subscribers: unknown text encoding: %w", err)
		}
		return string(out), "Windows-1252", nil
	}
}

// detectDelimiter picks the separator the first line uses most, outside
// quotes: ';' (German Excel), ',' or tab. A line with none of them is a
// single column; ';' is as good as any then.
func detectDelimiter(text string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range text {
		if r == '"' {
			quoted = !quoted
			continue
		}
		if !quoted && (r == '\n' || r == '\r') {
			break
		}
		if !quoted && (r == ';' || r == ',' || r == '\t') {
			counts[r]++
		}
	}
	best := ';'
	for _, r := range []rune{',', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

// mapColumns finds the field of each column.
func (f *ImportFile) mapColumns(header []string) (map[Field]int, error) {
	cols := map[Field]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		field, ok := fieldOf(h)
		if !ok {
			if h != "" {
				f.Ignored = append(f.Ignored, h)
			}
			continue
		}
		if j, dup := cols[field]; dup {
			return nil, fmt.Errorf("%w: %q and %q", ErrDuplicateColumn, strings.TrimSpace(header[j]), h)
		}
		cols[field] = i
	}
	if _, ok := cols[FieldEmail]; !ok {
		return nil, fmt.Errorf("%w (a column named \"E-Mail\" or \"email\"); the header has: %s",
			ErrNoEmailColumn, strings.Join(header, string(f.Delimiter)))
	}
	return cols, nil
}
