package spreadsheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// ErrNoSheet is an Excel workbook without a sheet to read.
var ErrNoSheet = errors.New("spreadsheet: the workbook has no sheet")

// XLSX is the first sheet of an Excel workbook (.xlsx, Office Open XML)
// read as CSV: fields separated by ';', UTF-8, the values as Excel shows
// them (a date as formatted, a formula as its last result). An import
// reads it like any CSV file.
type XLSX struct {
	// Sheet is the name of the sheet read.
	Sheet string
	r     *io.PipeReader
	book  *excelize.File
	done  chan struct{} // closed when the sheet is read to its end or stopped
}

// OpenXLSX opens the workbook in r and starts reading its first sheet.
// Close the XLSX when done.
func OpenXLSX(r io.Reader) (*XLSX, error) {
	book, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("spreadsheet: open workbook: %w", err)
	}
	sheets := book.GetSheetList()
	if len(sheets) == 0 {
		book.Close()
		return nil, ErrNoSheet
	}
	rows, err := book.Rows(sheets[0])
	if err != nil {
		book.Close()
		return nil, fmt.Errorf("spreadsheet: read sheet %q: %w", sheets[0], err)
	}
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer rows.Close()
		w := csv.NewWriter(pw)
		w.Comma = ';'
		for rows.Next() {
			cols, err := rows.Columns()
			if err != nil {
				pw.CloseWithError(fmt.Errorf("spreadsheet: read sheet %q: %w", sheets[0], err))
				return
			}
			if err := w.Write(cols); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(rows.Error())
	}()
	return &XLSX{Sheet: sheets[0], r: pr, book: book, done: done}, nil
}

// Read reads the sheet as CSV.
func (x *XLSX) Read(p []byte) (int, error) { return x.r.Read(p) }

// Close stops reading and closes the workbook.
func (x *XLSX) Close() error {
	x.r.Close()
	<-x.done
	return x.book.Close()
}
