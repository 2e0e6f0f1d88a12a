package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/knf-nordhausen/rundbrief/events"
)

// when formats a time for staff: 25.11.2026 09:30.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(events.Berlin()).Format("02.01.2006 15:04")
}

// noteRepeatedTimes warns of each time of spec that exists twice, in the
// night summer time ends, and says which of the two was taken.
func noteRepeatedTimes(w io.Writer, spec events.Spec) {
	times := []struct {
		what string
		t    *time.Time
	}{{"Beginn", &spec.Start}, {"Ende", &spec.End}, {"Anmeldeschluss", spec.Deadline}}
	for _, x := range times {
		if x.t != nil && events.Repeated(*x.t) {
			noteRepeated(w, x.what, *x.t)
		}
	}
}

// noteRepeated says that t, given for what, exists twice, and which one
// was taken: the first, in summer time (see events.ParseTime).
func noteRepeated(w io.Writer, what string, t time.Time) {
	fmt.Fprintf(w, "Hinweis: %s %s – diese Uhrzeit gibt es in der Nacht der Zeitumstellung zweimal. "+
		"Genommen ist die erste, in Sommerzeit (MESZ); eine Stunde später zeigt die Uhr dieselbe Zeit noch einmal (MEZ).\n",
		what, when(t))
}

func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return when(*t)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = shorten(strings.ReplaceAll(c, "\t", " "), 40)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

// rowFull writes cells without shortening them.
func (t *table) rowFull(cells ...string) {
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() { t.tw.Flush() }

// shorten cuts s to n characters with an ellipsis.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// plural writes n with the singular or plural noun: "1 Zeile", "3 Zeilen".
// recipients counts the people a campaign goes to, in the pair form of
// COPY.md: "1 Empfängerin oder Empfänger", "230 Empfängerinnen und
// Empfänger".
func recipients(n int) string {
	return plural(n, "Empfängerin oder Empfänger", "Empfängerinnen und Empfänger")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// agreed reads an answer to a yes/no question from in: "j", "ja", "y" or
// "yes" (in any case) agree; anything else, or nothing, does not.
func agreed(in io.Reader) bool {
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "j", "ja", "y", "yes":
		return true
	}
	return false
}

// fileError says in German why the file at path cannot be read or
// written (err from the os package): it does not exist, may not be read,
// is a folder; the system's own words only for anything else.
func fileError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("die Datei %s gibt es nicht; bitte Namen und Ordner prüfen", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("die Datei %s darf dieses Konto nicht lesen oder schreiben; bitte die Rechte prüfen", path)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s ist ein Ordner, keine Datei", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("die Datei %s lässt sich nicht öffnen (%v)", path, err)
}

// openFile opens the file at path for reading, or says in German why not
// (fileError); a folder is refused here rather than on the first read.
func openFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fileError(path, syscall.EISDIR)
	}
	return f, nil
}
