package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/spreadsheet"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

func newEventsAttendCmd(a *app) *cobra.Command {
	var o attendOptions
	c := &cobra.Command{
		Use:   "attend KÜRZEL [E-MAIL|NR …] [--csv DATEI] [--undo]",
		Short: "Wer gekommen ist: Anmeldungen als anwesend markieren",
		Long: `Markiert die Anmeldungen der genannten Personen als anwesend – nach der Teilnahmeliste.
Statt die Personen zu nennen, können Sie die Tabelle aus „events registrations --csv“
zurückgeben: Tragen Sie in der Spalte „Anwesend“ bei jeder Person, die gekommen ist, ein
x ein, speichern Sie die Datei als CSV und geben Sie sie mit --csv an. Personen ohne
E-Mail-Adresse werden dann an Name und Telefon erkannt.

Nur wer angemeldet war, kann anwesend sein. Wer nicht gefunden wird, wird genannt; die
anderen sind trotzdem markiert. Mit --undo wird die Markierung zurückgenommen. Die
Nachbereitung (campaigns create followup) geht an die Anwesenden; der Bericht (events
report) zählt sie.`,
		Example: `  rundbrief events attend talent-campus-2027 katrin.schmidt@example.org 34
  rundbrief events attend talent-campus-2027 --csv teilnahmeliste.csv`,
		Args: minArgs(1, "das Kürzel der Veranstaltung"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Event, o.People = args[0], args[1:]
			return a.attend(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	c.Flags().StringVar(&o.CSV, "csv", "", "die Teilnahmeliste aus „events registrations --csv“ mit einem x in der Spalte „Anwesend“")
	c.Flags().BoolVar(&o.Undo, "undo", false, "die Markierung zurücknehmen")
	return c
}

// attendOptions are what `events attend` takes.
type attendOptions struct {
	Event  string
	People []string // addresses or numbers
	CSV    string
	Undo   bool
}

// attend marks the registrations o names as attended.
func (a *app) attend(ctx context.Context, w io.Writer, o attendOptions) error {
	evs, e, err := a.event(ctx, o.Event)
	if err != nil {
		return err
	}
	if len(o.People) == 0 && o.CSV == "" {
		return usagef("nennen Sie die Personen (E-Mail-Adresse oder Nummer) oder die Teilnahmeliste mit --csv")
	}
	var ids []int64
	var unknown []string
	for _, p := range o.People {
		_, sub, err := a.subscriber(ctx, p)
		if err != nil {
			unknown = append(unknown, p)
			continue
		}
		ids = append(ids, sub.ID)
	}
	if o.CSV != "" {
		fromFile, notFound, err := a.attendeesFromCSV(ctx, evs, e, o.CSV)
		if err != nil {
			return err
		}
		ids = append(ids, fromFile...)
		unknown = append(unknown, notFound...)
	}
	a.started = true
	missing, err := evs.Attend(ctx, e.ID, ids, !o.Undo, time.Now())
	if err != nil {
		return err
	}
	marked := len(ids) - len(missing)
	if o.Undo {
		fmt.Fprintf(w, "%s nicht mehr als anwesend markiert.\n", plural(marked, "Anmeldung", "Anmeldungen"))
	} else {
		fmt.Fprintf(w, "%s als anwesend markiert.\n", plural(marked, "Anmeldung", "Anmeldungen"))
	}
	if len(missing) > 0 {
		subs, err := a.store(ctx)
		if err != nil {
			return err
		}
		contacts, _ := subs.Contacts(ctx, missing)
		for _, id := range missing {
			name := "Nr. " + strconv.FormatInt(id, 10)
			if c := contacts[id]; c != nil && c.Email != "" {
				name = c.Email
			}
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("nicht angemeldet oder nicht gefunden (nichts geändert für sie): %s", strings.Join(unknown, ", "))
	}
	return nil
}

// ticked reports whether a cell of the „Anwesend“ column says the person
// came: x, ja, 1, ✓ and the like; empty, nein, 0 and - do not.
func ticked(cell string) bool {
	switch strings.ToLower(strings.TrimSpace(cell)) {
	case "", "nein", "no", "0", "-", "–", "n":
		return false
	}
	return true
}

// attendeesFromCSV reads the ticked rows of a sign-in sheet exported with
// `events registrations --csv`: the people by address, or without one by
// name and phone among the event's registrations.
func (a *app) attendeesFromCSV(ctx context.Context, evs *events.Store, e *events.Event, path string) (ids []int64, unknown []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("die Teilnahmeliste lässt sich nicht öffnen: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 10<<20))
	if err != nil {
		return nil, nil, err
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = ';'
	if first, _, _ := strings.Cut(text, "\n"); !strings.Contains(first, ";") && strings.Contains(first, ",") {
		r.Comma = ','
	}
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s ist keine Teilnahmeliste als CSV: %v", path, err)
	}
	col := func(name string) int {
		return slices.IndexFunc(rows[0], func(h string) bool { return strings.EqualFold(strings.TrimSpace(h), name) })
	}
	attended, email, name, phone := col("Anwesend"), col("E-Mail"), col("Name"), col("Telefon")
	if attended < 0 || (email < 0 && name < 0) {
		return nil, nil, fmt.Errorf("%s hat keine Spalten „Anwesend“ und „E-Mail“: bitte die Tabelle aus „rundbrief events registrations %s --csv“ nehmen", path, e.Slug)
	}
	regs, err := evs.Registrations(ctx, e.ID)
	if err != nil {
		return nil, nil, err
	}
	subs, err := a.store(ctx)
	if err != nil {
		return nil, nil, err
	}
	regIDs := make([]int64, len(regs))
	for i, r := range regs {
		regIDs[i] = r.SubscriberID
	}
	contacts, err := subs.Contacts(ctx, regIDs)
	if err != nil {
		return nil, nil, err
	}
	cell := func(row []string, i int) string {
		if i < 0 || i >= len(row) {
			return ""
		}
		return strings.TrimPrefix(strings.TrimSpace(row[i]), "'") // a cell made safe from formulas
	}
	for _, row := range rows[1:] {
		if !ticked(cell(row, attended)) {
			continue
		}
		addr, who, tel := cell(row, email), cell(row, name), cell(row, phone)
		found := int64(0)
		for _, c := range contacts {
			if (addr != "" && strings.EqualFold(c.Email, addr)) || (addr == "" && c.Email == "" && c.Name == who && c.Phone == tel) {
				found = c.ID
				break
			}
		}
		if found == 0 {
			unknown = append(unknown, cmp.Or(addr, who))
			continue
		}
		ids = append(ids, found)
	}
	return ids, unknown, nil
}

func newEventsReportCmd(a *app) *cobra.Command {
	var o reportOptions
	c := &cobra.Command{
		Use:   "report [KÜRZEL] [--year JAHR] [--csv]",
		Short: "Zahlen für Berichte: Anmeldungen, Anwesende, nach Art und nach Antworten",
		Long: `Zählt die Anmeldungen einer Veranstaltung (oder mit --year aller Veranstaltungen eines
Jahres): angemeldete Anmeldungen und Personen, Warteliste, Anwesende, nach der Art der
Anmeldenden (Unternehmen, Schule, Familie, Sonstige) und nach den Antworten auf die Fragen
der Veranstaltung (Auswahl, Ja/Nein, Einwilligung, Zahlen; freie Texte nicht). Nur
Zahlen, keine Namen – für den Bericht an den Fördermittelgeber (ESF).

Die Zahlen bleiben, wenn die Anmeldungen nach RUNDBRIEF_REGISTRATION_TTL gelöscht werden.
Mit --csv als Tabelle für Excel: eine Zeile je Zahl (Veranstaltung, Datum, Gruppe,
Merkmal, Anzahl), zum Filtern und für Pivot-Tabellen.`,
		Example: `  rundbrief events report talent-campus-2027
  rundbrief events report --year 2027 --csv > bericht-2027.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1) == (o.Year != 0) {
				return usagef("entweder das Kürzel einer Veranstaltung oder --year JAHR")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Event = args[0]
			}
			return a.report(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	c.Flags().IntVar(&o.Year, "year", 0, "alle Veranstaltungen, die in diesem Jahr beginnen")
	c.Flags().BoolVar(&o.CSV, "csv", false, "als CSV für Excel ausgeben")
	return c
}

// reportOptions are what `events report` takes.
type reportOptions struct {
	Event string
	Year  int
	CSV   bool
}

// report writes the report of one event or of a year's events.
func (a *app) report(ctx context.Context, w io.Writer, o reportOptions) error {
	evs, err := a.eventStore(ctx)
	if err != nil {
		return err
	}
	subs, err := a.store(ctx)
	if err != nil {
		return err
	}
	var list []*events.Event
	if o.Event != "" {
		_, e, err := a.event(ctx, o.Event)
		if err != nil {
			return err
		}
		list = []*events.Event{e}
	} else if list, err = evs.EventsOfYear(ctx, o.Year); err != nil {
		return err
	}
	reports := make([]*events.Report, len(list))
	for i, e := range list {
		if reports[i], err = evs.Report(ctx, e, subs.Kinds); err != nil {
			return err
		}
	}
	if o.CSV {
		return writeReportCSV(w, list, reports)
	}
	writeReport(w, list, reports, o.Year)
	return nil
}

// reportLines are the figures of one report as (group, item, count),
// in the order the table and the CSV show them.
func reportLines(rep *events.Report) [][3]string {
	n := strconv.Itoa
	lines := [][3]string{
		{"Gesamt", "Anmeldungen", n(rep.Registrations)}, {"Gesamt", "Personen", n(rep.People)},
		{"Gesamt", "Anmeldungen auf der Warteliste", n(rep.Waiting)}, {"Gesamt", "Personen auf der Warteliste", n(rep.WaitingPeople)},
		{"Gesamt", "Anmeldungen anwesend", n(rep.Attended)}, {"Gesamt", "Personen anwesend", n(rep.AttendedPeople)},
	}
	for _, k := range rep.ByKind {
		kind := "nicht mehr bekannt"
		if k.Kind != "" {
			kind = templates.KindName(subscribers.Kind(k.Kind), i18n.German)
		}
		lines = append(lines, [3]string{"Art: " + kind, "Anmeldungen", n(k.Registrations)}, [3]string{"Art: " + kind, "Personen", n(k.People)},
			[3]string{"Art: " + kind, "Anmeldungen anwesend", n(k.Attended)})
	}
	for _, ac := range rep.Answers {
		label := shorten(ac.Label, 40)
		answer := ac.Answer
		if wd, ok := answerWords[answer]; ok {
			answer = wd
		}
		lines = append(lines, [3]string{"Frage: " + label, answer, n(ac.Count)})
	}
	return lines
}

func writeReport(w io.Writer, list []*events.Event, reports []*events.Report, year int) {
	if len(list) == 0 {
		fmt.Fprintf(w, "Keine veröffentlichte Veranstaltung beginnt %d.\n", year)
		return
	}
	for i, e := range list {
		rep := reports[i]
		fmt.Fprintf(w, "%s (%s)\n", e.Title, when(e.Start))
		if rep.Kept != nil {
			fmt.Fprintf(w, "  Die Anmeldungen sind gelöscht (%s); die Zahlen sind die damals festgehaltenen.\n", when(*rep.Kept))
		}
		t := newTable(w, "  GRUPPE", "MERKMAL", "ANZAHL")
		for _, l := range reportLines(rep) {
			t.row("  "+l[0], l[1], l[2])
		}
		t.flush()
		fmt.Fprintln(w)
	}
	if len(list) > 1 {
		var regs, people, attended, attendedPeople int
		for _, rep := range reports {
			regs, people, attended, attendedPeople = regs+rep.Registrations, people+rep.People, attended+rep.Attended, attendedPeople+rep.AttendedPeople
		}
		fmt.Fprintf(w, "%d: %s, %s mit %s, davon anwesend %s mit %s.\n", year, plural(len(list), "Veranstaltung", "Veranstaltungen"),
			plural(regs, "Anmeldung", "Anmeldungen"), plural(people, "Person", "Personen"),
			plural(attended, "Anmeldung", "Anmeldungen"), plural(attendedPeople, "Person", "Personen"))
	}
}

func writeReportCSV(w io.Writer, list []*events.Event, reports []*events.Report) error {
	sw := spreadsheet.NewWriter(w)
	sw.Write("Veranstaltung", "Datum", "Gruppe", "Merkmal", "Anzahl")
	for i, e := range list {
		for _, l := range reportLines(reports[i]) {
			sw.Write(e.Title, e.Start.In(events.Berlin()).Format("02.01.2006"), l[0], l[1], l[2])
		}
	}
	return sw.Flush()
}
