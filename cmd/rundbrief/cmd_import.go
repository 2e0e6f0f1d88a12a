package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/internal/spreadsheet"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func newImportCmd(a *app) *cobra.Command {
	var (
		skipInvalid, confirmed, dryRun bool
		note, kind                     string
		yes                            bool
	)
	c := &cobra.Command{
		Use:   "import DATEI.csv|DATEI.xlsx",
		Short: "Kontakte aus einer Excel-Datei oder CSV-Datei aufnehmen",
		Long: `Nimmt Kontakte aus einer Excel-Arbeitsmappe (.xlsx, das erste Blatt) oder einer
CSV-Datei auf, wie Excel sie speichert: mit „;“ oder „,“ getrennt (wird erkannt), UTF-8
mit oder ohne BOM (auch Windows-1252 und UTF-16 werden erkannt), Felder in
Anführungszeichen, Umlaute.

Die erste Zeile nennt die Spalten, deutsch oder englisch:
  E-Mail (Pflicht), Name (oder Vorname und Nachname), Organisation (auch
  „Firma/Einrichtung“), Anrede (Frau, Herr), Art (Unternehmen, Schule, Familie,
  Sonstige), Themen, Sprache (de, en), Telefon, Bemerkung.
Themen stehen als Kürzel oder deutscher Titel in einem Feld, getrennt durch | oder Komma.
Hat die Datei weitere Spalten, nennt rundbrief sie und fragt, ob ohne sie importiert
werden soll (--yes: nicht fragen).

Zuerst wird jede Zeile geprüft. Ist eine fehlerhaft, nennt rundbrief alle
fehlerhaften Zeilen mit Zeile, Spalte und Grund und nimmt nichts auf – außer mit
--skip-invalid. Adressen, die doppelt vorkommen oder schon im Verteiler sind,
werden zusammengeführt statt verdoppelt; gesperrte Adressen und solche, die den
Rundbrief abbestellt haben, bleiben draußen. Ein zweiter Import derselben Datei
ändert nichts.

Neue Personen sind unbestätigt und erhalten eine Bestätigungsmail. Nur wenn alle
nachweislich schon eingewilligt haben, nimmt --confirmed sie direkt auf;
--consent-note hält den Nachweis fest.`,
		Example: `  rundbrief subscribers import kontakte.csv --dry-run
  rundbrief subscribers import kontakte.csv
  rundbrief subscribers import schulen.csv --kind Schule --skip-invalid
  rundbrief subscribers import teilnehmer.csv --confirmed \
      --consent-note "Teilnahmeliste Regionalkonferenz 2026, Einwilligung per Unterschrift"`,
		Args: exactArgs(1, "eine CSV-Datei"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.importSubscribers(cmd.Context(), cmd.OutOrStdout(), importOptions{
				Path: args[0], SkipInvalid: skipInvalid, Confirmed: confirmed, Note: note, Kind: kind, DryRun: dryRun,
				Yes: yes, In: cmd.InOrStdin()})
		},
	}
	fl := c.Flags()
	fl.BoolVar(&skipInvalid, "skip-invalid", false, "fehlerhafte Zeilen überspringen und den Rest aufnehmen")
	fl.BoolVar(&dryRun, "dry-run", false, "nur prüfen und berichten, nichts speichern")
	fl.StringVar(&kind, "kind", "", "Art für Zeilen ohne Art (Unternehmen, Schule, Familie, Sonstige)")
	fl.BoolVar(&confirmed, "confirmed", false, "ohne Bestätigungsmail aufnehmen (Einwilligung liegt nachweislich vor)")
	fl.StringVar(&note, "consent-note", "", "Nachweis der Einwilligung (mit --confirmed)")
	fl.BoolVarP(&yes, "yes", "y", false, "nicht fragen, wenn Spalten nicht übernommen werden")
	return c
}

// importOptions are what `subscribers import` takes.
type importOptions struct {
	Path        string // the CSV file
	SkipInvalid bool   // import the good rows of a file with bad ones
	Confirmed   bool   // without opt-in mails: consent is on record (Note)
	Note        string // the record of consent, with Confirmed
	Kind        string // the kind of rows without one, in German or English
	DryRun      bool   // check and report, store nothing
	Yes         bool   // do not ask about columns left out
	In          io.Reader
}

// importSubscribers imports the contacts of the file opts names and
// writes its report to w: the file's form, every bad row with its line,
// column and reason, and what the import did or would do.
func (a *app) importSubscribers(ctx context.Context, w io.Writer, o importOptions) error {
	if o.Confirmed && strings.TrimSpace(o.Note) == "" {
		return usagef("--confirmed braucht --consent-note: wann und wie haben die Personen eingewilligt?")
	}
	var defaultKind subscribers.Kind
	if o.Kind != "" {
		k, err := subscribers.ParseKind(o.Kind)
		if err != nil {
			return usagef("--kind: %s", explainSubscriberError(err))
		}
		defaultKind = k
	}
	path := o.Path
	file, err := openFile(path)
	if err != nil {
		return err
	}
	defer file.Close()
	var f io.Reader = file
	form := ""
	if isXLSX(path) {
		x, err := spreadsheet.OpenXLSX(file)
		if err != nil {
			return fmt.Errorf("%s lässt sich nicht als Excel-Arbeitsmappe lesen; bitte in Excel als .xlsx oder als CSV speichern", path)
		}
		defer x.Close()
		f, form = x, "Excel-Arbeitsmappe, Blatt „"+x.Sheet+"“"
	}

	s, err := a.store(ctx)
	if err != nil {
		return err
	}
	topics, err := s.Topics(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	rows, err := subscribers.NewImportReader(f, subscribers.ImportOptions{Topics: topics, DefaultKind: defaultKind, AllOrNothing: !o.SkipInvalid})
	if err != nil {
		return fmt.Errorf("%s: %s", path, describeFileError(err))
	}
	if ignored := rows.Ignored(); len(ignored) > 0 {
		quoted := make([]string, len(ignored))
		for i, c := range ignored {
			quoted[i] = "„" + c + "“"
		}
		fmt.Fprintf(w, "Diese Spalten übernimmt rundbrief nicht: %s.\n", strings.Join(quoted, ", "))
		if !o.DryRun && !o.Yes {
			fmt.Fprintf(w, "Ohne sie importieren? [j/N] ")
			if o.In == nil || !agreed(o.In) {
				fmt.Fprintf(w, "\nNichts aufgenommen.\n")
				return nil
			}
			fmt.Fprintln(w)
		}
	}
	// Without an attested consent, the import is the office asking the
	// contacts in the file for it: their opt-in mail says so.
	consent := subscribers.Consent{Source: subscribers.SourceImport, Confirmed: o.Confirmed, Note: o.Note}
	if !o.Confirmed {
		consent.Source = subscribers.SourceRequest
		if consent.Note == "" {
			consent.Note = "Import " + filepath.Base(path)
		}
	}
	rep, err := s.Import(ctx, rows, consent, o.DryRun)
	valid := rows.Valid()
	if rep != nil {
		valid = rep.Rows
	}
	if form == "" {
		form = fmt.Sprintf("%s, Trennzeichen %s", rows.Encoding(), delimiterName(rows.Delimiter()))
	}
	fmt.Fprintf(w, "Datei %s: %s, %s\n", path, form, plural(valid, "gültige Zeile", "gültige Zeilen"))
	if line := rows.FirstWindows1252Line(); line > 0 {
		fmt.Fprintf(w, "Hinweis: Einige Zeilen sind als UTF-8 gespeichert, andere (zuerst Zeile %d) als Windows-1252; "+
			"jede Zeile ist so gelesen, wie sie gespeichert ist. Prüfen Sie die Umlaute, etwa mit rundbrief subscribers list.\n", line)
	}

	if rows.BadLines() > 0 {
		printProblems(w, path, rows, topics, o.SkipInvalid)
	}
	switch {
	case errors.Is(err, subscribers.ErrInvalidRows):
		return exitCodeError{exitError}
	case err != nil:
		return fmt.Errorf("%s: %s", path, describeFileError(err))
	}
	printReport(w, rep, rows.BadLines(), o.Confirmed)
	if o.DryRun {
		fmt.Fprintf(w, "Probelauf: nichts wurde gespeichert.\n")
		return nil
	}
	a.enqueueImportedOptIns(ctx, s, rep.OptIns)
	fmt.Fprintf(w, "Fertig in %s.", time.Since(start).Round(time.Millisecond))
	if rep.OptIns.Count > 0 {
		fmt.Fprintf(w, " %s gehen hinaus, sobald der Worker läuft (rundbrief worker).", plural(rep.OptIns.Count, "Bestätigungsmail", "Bestätigungsmails"))
	}
	fmt.Fprintln(w)
	return nil
}

func describeFileError(err error) string {
	var long *subscribers.LineTooLongError
	switch {
	case errors.As(err, &long):
		return fmt.Sprintf("Zeile %d ist länger als %d MiB; das ist keine Kontaktliste. Nichts wurde aufgenommen", long.Line, subscribers.MaxLineBytes>>20)
	case errors.Is(err, subscribers.ErrFileTooLarge):
		return fmt.Sprintf("die Datei ist größer als %d MiB (etwa zwei Millionen Kontakte); bitte in mehrere Dateien teilen. Nichts wurde aufgenommen",
			subscribers.MaxImportBytes>>20)
	}
	if msg := explainSubscriberError(err); msg != "" {
		if ce, ok := errors.AsType[*subscribers.ColumnError](err); ok {
			quoted := make([]string, len(ce.Columns))
			for i, c := range ce.Columns {
				quoted[i] = "„" + c + "“"
			}
			if errors.Is(err, subscribers.ErrDuplicateColumn) {
				return msg + ": " + strings.Join(quoted, " und ")
			}
			return msg + " (etwa „E-Mail“ oder „email“); die Kopfzeile hat: " + strings.Join(quoted, ", ")
		}
		return msg
	}
	return err.Error()
}

func delimiterName(r rune) string {
	if r == '\t' {
		return "Tabulator"
	}
	return "„" + string(r) + "“"
}

func printProblems(w io.Writer, path string, rows *subscribers.ImportReader, topics []subscribers.Topic, skipping bool) {
	problems := rows.Problems()
	unknownTopic := false
	for _, p := range problems {
		unknownTopic = unknownTopic || errors.Is(p.Err, subscribers.ErrUnknownTopic)
	}
	fmt.Fprintf(w, "\n%s: %s:\n", path, plural(rows.BadLines(), "fehlerhafte Zeile", "fehlerhafte Zeilen"))
	for _, p := range problems {
		where := fmt.Sprintf("Zeile %d", p.Line)
		if p.Column != "" {
			where += fmt.Sprintf(", Spalte „%s“", p.Column)
		}
		if p.Value != "" {
			where += fmt.Sprintf(" („%s“)", shorten(p.Value, 60))
		}
		reason := explainSubscriberError(p.Err)
		if reason == "" {
			reason = p.Err.Error()
		}
		fmt.Fprintf(w, "  %s: %s\n", where, reason)
	}
	if len(problems) == subscribers.MaxListedProblems {
		fmt.Fprintf(w, "  … die ersten %d Fehler sind gezeigt; ist es die richtige Datei?\n", subscribers.MaxListedProblems)
	}
	if unknownTopic {
		var known []string
		for _, t := range topics {
			known = append(known, t.Slug+" ("+t.TitleDE+")")
		}
		fmt.Fprintf(w, "Bekannte Themen: %s\n", strings.Join(known, ", "))
	}
	if skipping {
		fmt.Fprintf(w, "Diese Zeilen werden übersprungen (--skip-invalid).\n\n")
	} else {
		fmt.Fprintf(w, "Nichts wurde aufgenommen. Korrigieren Sie die Zeilen und importieren Sie erneut,\n"+
			"oder überspringen Sie sie mit --skip-invalid.\n")
	}
}

func printReport(w io.Writer, rep *subscribers.ImportReport, bad int, confirmed bool) {
	state := "unbestätigt, erhalten eine Bestätigungsmail"
	if confirmed {
		state = "bestätigt, Einwilligungsnachweis gespeichert"
	}
	line := func(label string, n int, note string) { fmt.Fprintf(w, "  %-33s %6d %s\n", label, n, note) }
	details := func(ns subscribers.Notes, format func(subscribers.ImportNote) string) {
		for _, n := range ns.Listed {
			fmt.Fprintf(w, "      %s\n", format(n))
		}
		if more := ns.Total - len(ns.Listed); more > 0 {
			fmt.Fprintf(w, "      … und %s\n", plural(more, "weitere", "weitere"))
		}
	}
	line("neu aufgenommen:", rep.Added, "("+state+")")
	line("schon im Verteiler, ergänzt:", rep.Updated.Total, "")
	details(rep.Updated, func(n subscribers.ImportNote) string {
		var added []string
		if n.NameAdded {
			added = append(added, "Name ergänzt")
		}
		if n.OrganisationAdded {
			added = append(added, "Organisation ergänzt")
		}
		if len(n.TopicsAdded) > 0 {
			added = append(added, "Themen +"+strings.Join(n.TopicsAdded, ", +"))
		}
		return fmt.Sprintf("Zeile %d, %s: %s", n.Line, n.Email, strings.Join(added, "; "))
	})
	line("schon im Verteiler, unverändert:", rep.Unchanged, "")
	line("doppelt in der Datei:", rep.Duplicates.Total, "(zusammengeführt)")
	details(rep.Duplicates, func(n subscribers.ImportNote) string {
		return fmt.Sprintf("Zeile %d wie Zeile %d: %s", n.Line, n.FirstLine, n.Email)
	})
	line("gesperrt, nicht aufgenommen:", rep.Suppressed.Total, "")
	details(rep.Suppressed, func(n subscribers.ImportNote) string { return fmt.Sprintf("Zeile %d: %s", n.Line, n.Email) })
	line("abbestellt oder unzustellbar:", rep.Withdrawn.Total, "(nicht verändert)")
	details(rep.Withdrawn, func(n subscribers.ImportNote) string {
		return fmt.Sprintf("Zeile %d: %s (%s)", n.Line, n.Email, word(subscriberStatusWords, n.Status))
	})
	line("fehlerhaft, übersprungen:", bad, "")
}

// isXLSX reports whether path names an Excel workbook (.xlsx).
func isXLSX(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".xlsx")
}
