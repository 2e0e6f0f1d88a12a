package subscribers

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
)

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
	// ErrInvalidRows ends the rows of an ImportReader with AllOrNothing
	// set whose file had bad rows: an import of them is rolled back.
	ErrInvalidRows = errors.New("subscribers: the file has invalid rows")
)

// MaxListedProblems is how many problems an ImportReader keeps to show;
// it counts the rest. A file with more bad rows than this is most likely
// not the file staff meant.
const MaxListedProblems = 1000

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
	// FieldSalutation, FieldPhone and FieldNote are what offices keep
	// besides: the Anrede, a phone number, a note of their own.
	FieldSalutation Field = "salutation"
	FieldPhone      Field = "phone"
	FieldNote       Field = "note"
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
	case "organisation", "organization", "firma", "unternehmen", "betrieb", "einrichtung", "institution",
		"firmaeinrichtung", "unternehmeneinrichtung", "organisationeinrichtung", "schuleeinrichtung", "firmaorganisation":
		return FieldOrganisation, true
	case "kind", "art", "typ", "type", "zielgruppe", "kategorie":
		return FieldKind, true
	case "topics", "themen", "thema", "interessen", "interests":
		return FieldTopics, true
	case "language", "sprache", "lang":
		return FieldLanguage, true
	case "anrede", "salutation", "title":
		return FieldSalutation, true
	case "telefon", "tel", "telefonnummer", "telnr", "phone", "telephone", "mobil", "handy":
		return FieldPhone, true
	case "bemerkung", "bemerkungen", "notiz", "notizen", "anmerkung", "anmerkungen", "note", "notes", "kommentar":
		return FieldNote, true
	}
	return "", false
}

// ImportOptions tell an ImportReader what it cannot read from the file.
type ImportOptions struct {
	// Topics are the known topics; a topic in the file must name one of them
	// by slug or by its German or English title.
	Topics []Topic
	// DefaultKind is the kind of rows whose kind is empty, or of every row
	// if the file has no kind column. Empty means such rows are errors.
	DefaultKind Kind
	// AllOrNothing makes the reader end with ErrInvalidRows instead of
	// io.EOF when any row was bad, so that whoever stores the rows as they
	// come rolls back: a file with bad rows imports nothing.
	AllOrNothing bool
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

// ImportReader reads a contact list as staff export it from Excel or other
// tools, one row at a time: UTF-8 with or without byte order mark, UTF-16,
// Windows-1252, or lines of UTF-8 and Windows-1252 mixed (see
// textDecoder); fields separated by ';', ',' or tab (detected from the
// header); quoted fields; CRLF or LF line ends; and a header row naming
// the columns in German or English.
//
// Every row is checked. Next returns the valid rows; the bad ones are
// counted, and the first MaxListedProblems problems kept, each with line,
// column and reason. The reader holds one line at a time, so it needs the
// same little memory for any file up to MaxImportBytes. Rows are not
// merged: an address twice in the file comes twice (see Store.Import).
type ImportReader struct {
	dec *textDecoder
	cr  *csv.Reader
	p   rowParser

	delimiter rune
	ignored   []string
	strict    bool

	problems []*RowError
	badLines int
	lastBad  int
	valid    int
}

// NewImportReader reads the header of the file in r. Its error says why
// the file as a whole cannot be read: empty, too large, no header, no
// e-mail column, two columns for one field.
func NewImportReader(r io.Reader, opts ImportOptions) (*ImportReader, error) {
	dec, err := newTextDecoder(r)
	if err != nil {
		return nil, err
	}
	text := bufio.NewReaderSize(dec, 64<<10)
	head, err := text.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	ir := &ImportReader{dec: dec, delimiter: detectDelimiter(string(head)), strict: opts.AllOrNothing}
	ir.cr = csv.NewReader(text)
	ir.cr.Comma = ir.delimiter
	ir.cr.FieldsPerRecord = -1
	ir.cr.ReuseRecord = true
	header, err := ir.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, ErrEmptyFile
	}
	if err != nil {
		if errors.Is(err, ErrFileTooLarge) || errors.Is(err, ErrLineTooLong) {
			return nil, err
		}
		return nil, fmt.Errorf("subscribers: header line: %w", err)
	}
	header = slices.Clone(header)
	cols, err := ir.mapColumns(header)
	if err != nil {
		return nil, err
	}
	ir.p = rowParser{opts: opts, cols: cols, header: header, known: topicsBySlug(opts.Topics)}
	return ir, nil
}

// Next returns the next valid row. At the end of the file it returns
// io.EOF, or ErrInvalidRows when AllOrNothing is set and a row was bad;
// an error reading the file (too large, a line too long) ends it too.
func (ir *ImportReader) Next() (ImportRow, error) {
	for {
		rec, err := ir.cr.Read()
		if errors.Is(err, io.EOF) {
			if ir.strict && ir.badLines > 0 {
				return ImportRow{}, fmt.Errorf("%w: %d bad rows", ErrInvalidRows, ir.badLines)
			}
			return ImportRow{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(err, ErrFileTooLarge) && !errors.Is(err, ErrLineTooLong) {
				// The reader resumes after the bad record; an unclosed quote
				// runs to the end of the file, so it ends the loop by itself.
				ir.problem(&RowError{Line: pe.StartLine, Err: fmt.Errorf("%w: %v", ErrCSVSyntax, pe.Err)})
				continue
			}
			return ImportRow{}, err
		}
		line, _ := ir.cr.FieldPos(0)
		if row, ok := ir.p.row(ir, line, rec); ok {
			ir.valid++
			return row, nil
		}
	}
}

// problem records one problem of a row.
func (ir *ImportReader) problem(p *RowError) {
	if p.Line != ir.lastBad {
		ir.badLines++
		ir.lastBad = p.Line
	}
	if len(ir.problems) < MaxListedProblems {
		ir.problems = append(ir.problems, p)
	}
}

// Problems are the first MaxListedProblems problems of the rows read so
// far, in file order.
func (ir *ImportReader) Problems() []*RowError { return ir.problems }

// BadLines is how many rows read so far had a problem.
func (ir *ImportReader) BadLines() int { return ir.badLines }

// Valid is how many valid rows Next has returned.
func (ir *ImportReader) Valid() int { return ir.valid }

// Encoding names what the file was saved as (see the Encoding constants),
// as far as it has been read.
func (ir *ImportReader) Encoding() string { return ir.dec.encoding() }

// FirstWindows1252Line is the first line read as Windows-1252 in a file
// whose other lines with umlauts are UTF-8, or 0.
func (ir *ImportReader) FirstWindows1252Line() int {
	if ir.dec.encoding() != EncodingMixed {
		return 0
	}
	return ir.dec.firstCP1252
}

// Delimiter is the separator of the fields: ';', ',' or tab.
func (ir *ImportReader) Delimiter() rune { return ir.delimiter }

// Ignored are the headers that name no field.
func (ir *ImportReader) Ignored() []string { return ir.ignored }

// ImportFile is a whole import file read and checked, held in memory: for
// small files, tests and the fuzz target. Imports stream (ImportReader).
type ImportFile struct {
	Rows      []ImportRow // valid rows, in file order; an address may come twice
	Problems  []*RowError // every invalid row and field (the first MaxListedProblems)
	BadLines  int
	Encoding  string
	Delimiter rune
	Ignored   []string
}

// ParseImport reads the whole file in r with an ImportReader.
func ParseImport(r io.Reader, opts ImportOptions) (*ImportFile, error) {
	opts.AllOrNothing = false
	ir, err := NewImportReader(r, opts)
	if err != nil {
		return nil, err
	}
	f := &ImportFile{Delimiter: ir.Delimiter(), Ignored: ir.Ignored()}
	for {
		row, err := ir.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		f.Rows = append(f.Rows, row)
	}
	f.Problems, f.BadLines, f.Encoding = ir.Problems(), ir.BadLines(), ir.Encoding()
	return f, nil
}

// RowsOf is a RowSource of rows held in memory.
func RowsOf(rows []ImportRow) RowSource { return &rowSlice{rows: rows} }

type rowSlice struct{ rows []ImportRow }

func (s *rowSlice) Next() (ImportRow, error) {
	if len(s.rows) == 0 {
		return ImportRow{}, io.EOF
	}
	r := s.rows[0]
	s.rows = s.rows[1:]
	return r, nil
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
// ColumnError is a header that rundbrief cannot read: Err is
// ErrDuplicateColumn (Columns are the two that mean the same field) or
// ErrNoEmailColumn (Columns are the header's, none of them an e-mail
// column).
type ColumnError struct {
	Err     error
	Columns []string
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("%v: %q", e.Err, e.Columns)
}

// Unwrap returns Err.
func (e *ColumnError) Unwrap() error { return e.Err }

func (f *ImportReader) mapColumns(header []string) (map[Field]int, error) {
	cols := map[Field]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		field, ok := fieldOf(h)
		if !ok {
			if h != "" {
				f.ignored = append(f.ignored, h)
			}
			continue
		}
		if j, dup := cols[field]; dup {
			return nil, &ColumnError{Err: ErrDuplicateColumn, Columns: []string{strings.TrimSpace(header[j]), h}}
		}
		cols[field] = i
	}
	if _, ok := cols[FieldEmail]; !ok {
		return nil, &ColumnError{Err: ErrNoEmailColumn, Columns: header}
	}
	return cols, nil
}
