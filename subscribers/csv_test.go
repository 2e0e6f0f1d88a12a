package subscribers

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

func seedTopics() []Topic {
	return []Topic{
		{"ausbildung", "Berufsausbildung", "Vocational training"},
		{"kinderbetreuung", "Kinderbetreuung", "Childcare"},
		{"oepnv", "Nahverkehr und Jobticket", "Public transport and job ticket"},
		{"fachkraefte", "Fachkräfte gewinnen und halten", "Recruiting and keeping skilled workers"},
		{"jugend", "Angebote für Kinder und Jugendliche", "Offers for children and young people"},
		{"veranstaltungen", "Alle Veranstaltungen", "All events"},
	}
}

func parse(t *testing.T, data string, opts ImportOptions) *ImportFile {
	t.Helper()
	if opts.Topics == nil {
		opts.Topics = seedTopics()
	}
	f, err := ParseImport(strings.NewReader(data), opts)
	if err != nil {
		t.Fatalf("ParseImport: %v", err)
	}
	return f
}

func row(line int, email, name, org string, kind Kind, lang i18n.Lang, topics ...string) ImportRow {
	return ImportRow{Line: line, NewSubscriber: NewSubscriber{
		Email: email, Name: name, Organisation: org, Kind: kind, Language: lang, Topics: topics}}
}

func TestParseImportFormats(t *testing.T) {
	excel := "\uFEFFE-Mail;Name;Organisation;Art;Themen;Sprache\r\n" +
		"kita@example.org;;;Familie;\"kinderbetreuung;jugend\";\r\n" +
		"personal@suedharz-metall.example;Jörg Müller;\"Südharz Metallbau GmbH; Werk 2\";Unternehmen;Berufsausbildung|fachkraefte;Deutsch\r\n" +
		"\"sekretariat@schule.example\";\"Schulleitung \"\"Am Petersberg\"\"\";Grundschule;Schule;jugend, ausbildung;\r\n" +
		";;;;;\r\n" +
		"Familie.Sommer@Example.ORG;;;familie;Kinderbetreuung;en\r\n"
	win1252, _ := charmap.Windows1252.NewEncoder().String("E-Mail;Name;Art\r\nj.mueller@example.org;Jürgen Müller;Unternehmen\r\n")
	utf16, _ := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().String("email\tname\tkind\na@example.org\tÄnne\tschool\n")

	tests := []struct {
		name     string
		data     string
		opts     ImportOptions
		encoding string
		delim    rune
		want     []ImportRow
	}{
		{"German Excel: BOM, semicolons, CRLF, quotes, umlauts", excel, ImportOptions{}, "UTF-8 mit BOM", ';', []ImportRow{
			row(2, "kita@example.org", "", "", KindFamily, i18n.German, "kinderbetreuung", "jugend"),
			row(3, "personal@suedharz-metall.example", "Jörg Müller", "Südharz Metallbau GmbH; Werk 2", KindCompany, i18n.German, "ausbildung", "fachkraefte"),
			row(4, "sekretariat@schule.example", `Schulleitung "Am Petersberg"`, "Grundschule", KindSchool, i18n.German, "jugend", "ausbildung"),
			row(6, "Familie.Sommer@example.org", "", "", KindFamily, i18n.English, "kinderbetreuung"),
		}},
		{"English headers, commas, LF", "email,name,organization,kind,topics,language\nhr@firma.example,Anna Beispiel,Firma,company,\"oepnv|Vocational training\",en\n",
			ImportOptions{}, "UTF-8", ',', []ImportRow{
				row(2, "hr@firma.example", "Anna Beispiel", "Firma", KindCompany, i18n.English, "oepnv", "ausbildung"),
			}},
		{"Windows-1252 from old Excel", win1252, ImportOptions{}, "Windows-1252", ';', []ImportRow{
			row(2, "j.mueller@example.org", "Jürgen Müller", "", KindCompany, i18n.German),
		}},
		{"UTF-16 tab-separated (Excel Unicode text)", utf16, ImportOptions{}, "UTF-16", '\t', []ImportRow{
			row(2, "a@example.org", "Änne", "", KindSchool, i18n.German),
		}},
		{"first and last name, kind from the option", "Vorname;Nachname;E-Mail-Adresse\nAnna;Beispiel;anna@example.org\n",
			ImportOptions{DefaultKind: KindFamily}, "UTF-8", ';', []ImportRow{
				row(2, "anna@example.org", "Anna Beispiel", "", KindFamily, i18n.German),
			}},
		{"only addresses", "E-Mail\na@example.org\nb@example.org\n", ImportOptions{DefaultKind: KindOther}, "UTF-8", ';', []ImportRow{
			row(2, "a@example.org", "", "", KindOther, i18n.German),
			row(3, "b@example.org", "", "", KindOther, i18n.German),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parse(t, tt.data, tt.opts)
			if len(f.Problems) > 0 {
				t.Fatalf("problems: %v", f.Problems)
			}
			if f.Encoding != tt.encoding || f.Delimiter != tt.delim {
				t.Errorf("encoding, delimiter = %q, %q; want %q, %q", f.Encoding, f.Delimiter, tt.encoding, tt.delim)
			}
			if !reflect.DeepEqual(f.Rows, tt.want) {
				t.Errorf("rows:\n got %+v\nwant %+v", f.Rows, tt.want)
			}
		})
	}
}

// Every bad row is reported with its line, its column and the reason; good
// rows in the same file are still read.
func TestParseImportProblems(t *testing.T) {
	data := "E-Mail;Name;Art;Themen;Sprache\n" +
		"gut@example.org;Gut;Schule;;\n" + // 2
		"max@;Max;Schule;;\n" + // 3
		"Max <max@example.org>;Max;Schule;;\n" + // 4
		"verein@example.org;Verein;Verein;;\n" + // 5
		"sport@example.org;;Familie;Sport|jugend;\n" + // 6
		"fr@example.org;;Familie;;français\n" + // 7
		"ohne-art@example.org;;;;\n" + // 8
		"zwei@example.org;;Schule;;de;zu viel\n" + // 9
		"\"name\r\nmit@example.org\";;Schule;;\n" + // 10-11
		"\"kaputt\"@example.org;;Schule;;\n" + // 12
		";Nur Name;Schule;;\n" // 13
	f := parse(t, data, ImportOptions{})
	type problem struct {
		line   int
		column string
		err    error
	}
	want := []problem{
		{3, "E-Mail", ErrEmailSyntax},
		{4, "E-Mail", ErrEmailDisplayName},
		{5, "Art", ErrUnknownKind},
		{6, "Themen", ErrUnknownTopic},
		{7, "Sprache", i18n.ErrUnknown},
		{8, "Art", ErrKindMissing},
		{9, "", ErrExtraFields},
		{10, "E-Mail", ErrEmailControl},
		{12, "", ErrCSVSyntax},
		{13, "E-Mail", ErrEmailEmpty},
	}
	var got []problem
	for _, p := range f.Problems {
		got = append(got, problem{p.Line, p.Column, p.Err})
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), f.Problems)
	}
	for i := range want {
		if got[i].line != want[i].line || got[i].column != want[i].column || !errors.Is(got[i].err, want[i].err) {
			t.Errorf("problem %d = line %d, column %q, %v; want line %d, column %q, %v",
				i, got[i].line, got[i].column, got[i].err, want[i].line, want[i].column, want[i].err)
		}
	}
	if len(f.Rows) != 1 || f.Rows[0].Email != "gut@example.org" {
		t.Errorf("valid rows = %+v, want only gut@example.org", f.Rows)
	}
}

func TestParseImportFileErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
	}{
		{"empty", "", ErrEmptyFile},
		{"no e-mail column", "Name;Firma\nAnna;X\n", ErrNoEmailColumn},
		{"two e-mail columns", "E-Mail;Mail\na@b.de;c@d.de\n", ErrDuplicateColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseImport(strings.NewReader(tt.data), ImportOptions{Topics: seedTopics()})
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseImportUnclosedQuote(t *testing.T) {
	f := parse(t, "E-Mail;Name;Art\na@example.org;\"Anna;Schule\nb@example.org;B;Schule\n", ImportOptions{})
	if len(f.Problems) != 1 || !errors.Is(f.Problems[0].Err, ErrCSVSyntax) || f.Problems[0].Line != 2 {
		t.Fatalf("problems = %v, want one CSV syntax error on line 2", f.Problems)
	}
}

// No file makes ParseImport panic; every row it accepts is valid and every
// problem names a line.
func FuzzParseImport(f *testing.F) {
	f.Add("E-Mail;Name;Art;Themen\na@example.org;A;Schule;jugend\n")
	f.Add("\uFEFFemail,kind\n\"a@b.de\",company\r\n")
	f.Add("E-Mail;Art\n\"unclosed;Schule\n")
	f.Add("email\tkind\ttopics\nx@y.zz\tfamily\tausbildung|oepnv\n")
	topics := seedTopics()
	f.Fuzz(func(t *testing.T, data string) {
		file, err := ParseImport(strings.NewReader(data), ImportOptions{Topics: topics})
		if err != nil {
			return
		}
		for _, r := range file.Rows {
			if e, err := NormalizeEmail(r.Email); err != nil || e != r.Email {
				t.Fatalf("accepted row with address %q: %v", r.Email, err)
			}
			if _, err := ParseKind(string(r.Kind)); err != nil {
				t.Fatalf("accepted row with kind %q", r.Kind)
			}
			if _, err := CleanText(r.Name, MaxNameLength); err != nil {
				t.Fatalf("accepted row with name %q", r.Name)
			}
			if r.Line < 2 {
				t.Fatalf("row on line %d", r.Line)
			}
		}
		for _, p := range file.Problems {
			if p.Line < 1 {
				t.Fatalf("problem without line: %v", p)
			}
		}
	})
}

// A list with lines in UTF-8 and lines in Windows-1252 (extended in another
// program) keeps every name: each line is read in what it was written in,
// and the file is named as mixed, with its first Windows-1252 line.
func TestParseImportMixedEncodings(t *testing.T) {
	t.Parallel()
	cp1252, _ := charmap.Windows1252.NewEncoder().String("b@example.org;Jürgen Müller;Unternehmen\r\n")
	data := "E-Mail;Name;Art\r\na@example.org;Jörg Schäfer;Unternehmen\r\n" + cp1252 + "c@example.org;Ärztehaus Süd;Sonstige\r\n"
	ir, err := NewImportReader(strings.NewReader(data), ImportOptions{Topics: seedTopics()})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		r, err := ir.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, r.Name)
	}
	if want := []string{"Jörg Schäfer", "Jürgen Müller", "Ärztehaus Süd"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if ir.Encoding() != EncodingMixed || ir.FirstWindows1252Line() != 3 {
		t.Errorf("encoding %q, first Windows-1252 line %d; want mixed and 3", ir.Encoding(), ir.FirstWindows1252Line())
	}
}

// A file beyond the size cap, or with a line beyond the line cap, is
// refused while it is read, whatever its rows.
func TestImportReaderLimits(t *testing.T) {
	t.Parallel()
	// Long lines, so that reaching the cap takes few rows.
	endless := io.MultiReader(strings.NewReader("E-Mail;Art;Bemerkung\n"),
		&repeating{line: []byte("a@example.org;Schule;" + strings.Repeat("x", 500_000) + "\n")})
	ir, err := NewImportReader(endless, ImportOptions{Topics: seedTopics()})
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		_, err = ir.Next()
	}
	if !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("an endless file: %v, want ErrFileTooLarge", err)
	}
	long := "E-Mail;Name;Art\na@example.org;" + strings.Repeat("x", MaxLineBytes) + ";Schule\n"
	if _, err := ParseImport(strings.NewReader(long), ImportOptions{Topics: seedTopics()}); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("a line of more than 1 MiB: %v, want ErrLineTooLong", err)
	}
}

// repeating reads line again and again.
type repeating struct {
	line []byte
	off  int
}

func (r *repeating) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}
