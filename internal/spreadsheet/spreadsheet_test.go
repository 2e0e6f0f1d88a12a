package spreadsheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/internal/spreadsheet"
)

func TestSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example","x")`, `'=HYPERLINK("http://evil.example","x")`},
		{"@SUM(1+1)", "'@SUM(1+1)"},
		{"-2+3", "'-2+3"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"  =1+1", "'  =1+1"},
		{"＝1+1", "'＝1+1"},
		{"Jörg Müller", "Jörg Müller"},
		{"Müller-Lüdenscheidt GmbH", "Müller-Lüdenscheidt GmbH"},
		{"anna@example.org", "anna@example.org"},
		{"", ""},
		{"3", "3"},
	} {
		if got := spreadsheet.Safe(tc.in); got != tc.want {
			t.Errorf("Safe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Every cell read back from the file is text: none starts with a formula
// character, and each is the written value behind one apostrophe at most.
func TestWriterCellsReadBack(t *testing.T) {
	t.Parallel()
	rows := [][]string{
		{"Nr.", "Name", "Organisation"},
		{"1", `=HYPERLINK("http://evil.example","x")`, "+cmd|' /C calc'!A0"},
		{"2", "@SUM(1+1)", "-2+3"},
		{"3", "Jörg Müller", "Südharz; Metallbau \"GmbH\""},
	}
	var buf bytes.Buffer
	w := spreadsheet.NewWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	data, ok := strings.CutPrefix(buf.String(), "\uFEFF")
	if !ok || !strings.HasSuffix(data, "\r\n") || strings.Count(data, "\uFEFF") != 0 {
		t.Fatalf("file does not start with one BOM or end in CRLF: %q", buf.String())
	}
	r := csv.NewReader(strings.NewReader(data))
	r.Comma = ';'
	got, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows read back, want %d", len(got), len(rows))
	}
	for i, row := range got {
		for j, cell := range row {
			if strings.ContainsAny(cell[:min(1, len(cell))], "=+-@\t\r") {
				t.Errorf("row %d, cell %d starts with a formula character: %q", i, j, cell)
			}
			if want := rows[i][j]; strings.TrimPrefix(cell, "'") != want {
				t.Errorf("row %d, cell %d = %q, want %q", i, j, cell, want)
			}
		}
	}
}
