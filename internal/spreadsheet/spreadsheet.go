// Package spreadsheet writes the CSV files staff open in Excel or
// LibreOffice Calc: fields separated by ';' (German Excel's list
// separator), UTF-8 with a byte order mark so that umlauts survive, and
// CRLF line ends (RFC 4180).
//
// A spreadsheet program runs a cell that starts with '=', '+', '-' or '@'
// as a formula, and a formula can open links, fetch data or start programs
// ("CSV injection"). Names and organisations come from people who
// subscribe on the web, so every cell the Writer writes is defused as
// OWASP advises: a cell that starts with one of those characters, a tab
// or a CR (or the full-width forms of the four, which some spreadsheet
// programs also read as formulas), after any leading spaces, gets a
// leading apostrophe and is shown as the text it is.
package spreadsheet

import (
	"encoding/csv"
	"io"
	"strings"
	"unicode/utf8"
)

// Writer writes a CSV file for a spreadsheet program. It is not safe for
// concurrent use.
type Writer struct {
	w       *csv.Writer
	out     io.Writer
	started bool
}

// NewWriter returns a writer to w. The byte order mark goes out with the
// first record.
func NewWriter(w io.Writer) *Writer {
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	return &Writer{w: cw, out: w}
}

// Write writes one row, each cell defused (see Safe).
func (w *Writer) Write(cells ...string) error {
	if !w.started {
		w.started = true
		if _, err := io.WriteString(w.out, "\uFEFF"); err != nil {
			return err
		}
	}
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = Safe(c)
	}
	return w.w.Write(row)
}

// Flush writes what is buffered and returns the first error of any Write
// or of the flush.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}

// Safe returns cell as a spreadsheet program shows it as text: with a
// leading apostrophe if, after leading spaces, it starts with a character
// that makes it a formula ('=', '+', '-', '@', their full-width forms, tab
// or CR); unchanged otherwise.
func Safe(cell string) string {
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(cell, " "))
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return "'" + cell
	}
	return cell
}
