package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
	"github.com/knf-nordhausen/rundbrief/worker"
)

func newEventsCmd(a *app) *cobra.Command {
	return group("events", "Veranstaltungen anlegen, ändern, veröffentlichen",
		`Veranstaltungen der Netzwerkstelle: wann und wo, für wen (Arten × Themen), mit oder
ohne Anmeldung, mit Erinnerungen. Zeiten gelten in deutscher Zeit (Europe/Berlin).
Eine Veranstaltung beginnt als Entwurf; erst veröffentlicht gehen Einladungen hinaus.`,
		newEventsCreateCmd(a), newEventsListCmd(a), newEventsShowCmd(a), newEventsUpdateCmd(a), newEventsEditCmd(a),
		newEventsExportCmd(a), newEventsDeleteCmd(a), newEventsPublishCmd(a),
		newEventsCancelCmd(a), newEventsRemindCmd(a), newEventsRegistrationsCmd(a), newEventsRegisterCmd(a), newEventsUnregisterCmd(a),
		newEventsAttendCmd(a), newEventsReportCmd(a))
}

// eventStore opens the events store.
func (a *app) eventStore(ctx context.Context) (*events.Store, error) {
	db, err := a.database(ctx)
	if err != nil {
		return nil, err
	}
	return events.NewStore(db), nil
}

// event opens the events store and loads the event with slug, explaining in
// German if there is none.
func (a *app) event(ctx context.Context, slug string) (*events.Store, *events.Event, error) {
	s, err := a.eventStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.Get(ctx, slug)
	if err != nil {
		return nil, nil, eventError(err)
	}
	return s, e, nil
}

// eventFlags are the flags that describe an event, for create and update.
type eventFlags struct {
	file                                                 string
	slug, title, start, end, place, address, online, org string
	description, deadline                                string
	partners, kinds, topics, reminders                   []string
	capacity, partyMax                                   int
	registration                                         bool
}

func (f *eventFlags) register(fs *pflag.FlagSet, withFile bool) {
	if withFile {
		fs.StringVarP(&f.file, "file", "f", "", "die Veranstaltung aus einer YAML-Datei (Beispiele in examples/events/)")
		fs.StringVar(&f.slug, "slug", "", "Kürzel, z. B. talent-campus-2027")
	}
	fs.StringVar(&f.title, "title", "", "Titel")
	fs.StringVar(&f.start, "start", "", `Beginn, z. B. "2027-07-05 09:00" oder "05.07.2027 9 Uhr"`)
	fs.StringVar(&f.end, "end", "", `Ende, z. B. "2027-07-09 15:00"`)
	fs.StringVar(&f.place, "place", "", "Ort (Name)")
	fs.StringVar(&f.address, "address", "", "Anschrift des Orts")
	fs.StringVar(&f.online, "online", "", "Online-Link")
	fs.StringVar(&f.org, "organiser", "", "Veranstalter")
	fs.StringSliceVar(&f.partners, "partner", nil, "Partner (mehrfach möglich)")
	fs.StringSliceVar(&f.kinds, "kinds", nil, "Zielgruppe: Arten, z. B. Schule,Familie (leer: alle)")
	fs.StringSliceVar(&f.topics, "topics", nil, "Zielgruppe: Themen-Kürzel, z. B. jugend,ausbildung (leer: alle)")
	fs.IntVar(&f.capacity, "capacity", 0, "Plätze (0: unbegrenzt; nur mit --registration)")
	fs.IntVar(&f.partyMax, "party-max", 0, "höchstens so viele Personen je Anmeldung (Standard 4)")
	fs.BoolVar(&f.registration, "registration", false, "Anmeldung nötig")
	fs.StringVar(&f.deadline, "deadline", "", `Anmeldeschluss, z. B. "2027-06-25 23:59"`)
	fs.StringSliceVar(&f.reminders, "reminders", nil, "Erinnerungen vor Beginn, z. B. 7d,1d (Standard) oder \"7 Tage,1 Tag\"")
	fs.StringVar(&f.description, "description-file", "", "Beschreibung aus einer Markdown-Datei")
}

// apply puts the flags that were given onto spec. Bad times and offsets are
// collected as field errors.
func (f *eventFlags) apply(fs *pflag.FlagSet, spec *events.Spec) error {
	var errs events.InvalidFields
	set := func(name string) bool { return fs.Changed(name) }
	parseTime := func(field, v string) time.Time {
		t, err := events.ParseTime(v)
		if fe, ok := errors.AsType[events.FieldError](err); ok {
			fe.Field = field
			errs = append(errs, fe)
		}
		return t
	}
	for _, v := range []struct {
		flag     string
		from, to *string
	}{
		{"slug", &f.slug, &spec.Slug}, {"title", &f.title, &spec.Title}, {"place", &f.place, &spec.PlaceName},
		{"address", &f.address, &spec.PlaceAddress}, {"online", &f.online, &spec.OnlineURL}, {"organiser", &f.org, &spec.Organiser},
	} {
		if set(v.flag) {
			*v.to = *v.from
		}
	}
	if set("start") {
		spec.Start = parseTime("start", f.start)
	}
	if set("end") {
		spec.End = parseTime("end", f.end)
	}
	if set("deadline") {
		if strings.TrimSpace(f.deadline) == "" {
			spec.Deadline = nil
		} else if d := parseTime("deadline", f.deadline); !d.IsZero() {
			spec.Deadline = &d
		}
	}
	if set("partner") {
		spec.Partners = f.partners
	}
	if set("kinds") {
		spec.Kinds = nil
		for _, k := range f.kinds {
			spec.Kinds = append(spec.Kinds, subscribers.Kind(k))
		}
	}
	if set("topics") {
		spec.Topics = f.topics
	}
	if set("party-max") {
		spec.PartyMax = f.partyMax
	}
	if set("capacity") {
		spec.Capacity = f.capacity
	}
	if set("registration") {
		spec.Registration = f.registration
	}
	if set("reminders") {
		spec.Reminders = []time.Duration{}
		for _, r := range f.reminders {
			d, err := events.ParseOffset(r)
			if fe, ok := errors.AsType[events.FieldError](err); ok {
				fe.Field = "reminders"
				errs = append(errs, fe)
				continue
			}
			spec.Reminders = append(spec.Reminders, d)
		}
	}
	if set("description-file") {
		b, err := os.ReadFile(f.description)
		if err != nil {
			return fmt.Errorf("--description-file: %w", fileError(f.description, err))
		}
		spec.Description = string(b)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// applyChecked applies the flags to spec as apply does. found are problems
// known already, from the event file; those of fields a flag overrides are
// dropped. Every remaining problem is returned together with what
// Spec.Check finds in the other fields, so all are reported at once.
func (f *eventFlags) applyChecked(fs *pflag.FlagSet, spec *events.Spec, found events.InvalidFields) error {
	kept := found[:0:0]
	for _, fe := range found {
		flag := fe.Field
		if flag == "partners" {
			flag = "partner"
		}
		if !fs.Changed(flag) {
			kept = append(kept, fe)
		}
	}
	var more events.InvalidFields
	if err := f.apply(fs, spec); err != nil && !errors.As(err, &more) {
		return err
	}
	if kept = append(kept, more...); len(kept) == 0 {
		return nil
	}
	_, err := spec.CheckWith(kept)
	return err
}

func newEventsCreateCmd(a *app) *cobra.Command {
	var f eventFlags
	c := &cobra.Command{
		Use:   "create (-f DATEI.yaml | --slug … --title … --start … --end … --place …)",
		Short: "Eine Veranstaltung anlegen (als Entwurf)",
		Long: `Legt eine Veranstaltung als Entwurf an: aus einer YAML-Datei (-f) oder aus Optionen.
Optionen neben -f überschreiben die Werte der Datei. Jeder Fehler nennt das Feld.`,
		Example: `  rundbrief events create -f examples/events/talent-campus-2027.yaml
  rundbrief events create --slug elternabend-2027 --title "Elternabend Berufsorientierung" \
      --start "2027-02-10 18:00" --end "2027-02-10 19:30" --place "Regelschule Am Geiersberg" \
      --kinds Familie --topics ausbildung,jugend`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.createEvent(cmd.Context(), cmd.OutOrStdout(), eventOptions{File: f.file, Edit: func(spec *events.Spec, found events.InvalidFields) error {
				return f.applyChecked(cmd.Flags(), spec, found)
			}})
		},
	}
	f.register(c.Flags(), true)
	return c
}

func newEventsUpdateCmd(a *app) *cobra.Command {
	var (
		f      eventFlags
		notify bool
	)
	c := &cobra.Command{
		Use:   "update KÜRZEL [Optionen]",
		Short: "Eine Veranstaltung ändern",
		Long: `Ändert die angegebenen Felder einer Veranstaltung; alle anderen bleiben. Ändern sich
Zeit oder Ort, zählt die Versionsnummer des Kalendereintrags (SEQUENCE) hoch, damit
Kalender, die die Einladung schon enthalten, den Termin verschieben.

Mit --notify geht dann eine Änderungsmail hinaus – was sich geändert hat steht oben,
die Kalenderdatei verschiebt den Termin: an die Angemeldeten, oder an die Zielgruppe,
wenn die Veranstaltung keine Anmeldung hat. Der Worker verschickt sie.`,
		Example: `  rundbrief events update job-speeddating-2027 --start "2027-04-22 15:00" --end "2027-04-22 18:00" --notify`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.updateEvent(cmd.Context(), cmd.OutOrStdout(), eventOptions{Slug: args[0], Notify: notify,
				Edit: func(spec *events.Spec, found events.InvalidFields) error {
					return f.applyChecked(cmd.Flags(), spec, found)
				}})
		},
	}
	f.register(c.Flags(), false)
	c.Flags().BoolVar(&notify, "notify", false, "eine Änderungsmail verschicken, wenn sich Zeit oder Ort geändert haben")
	return c
}

// changeNote says in German what changed: "Neue Zeit: …; neuer Ort: …".
func changeNote(old, e *events.Event, change events.Change) string {
	var parts []string
	if change.Time {
		parts = append(parts, "Neue Zeit: "+templates.When(i18n.German, e.Start.In(events.Berlin()), e.End.In(events.Berlin()))+
			" (bisher "+templates.When(i18n.German, old.Start.In(events.Berlin()), old.End.In(events.Berlin()))+")")
	}
	if change.Place {
		parts = append(parts, "Neuer Ort: "+e.Where()+" (bisher "+old.Where()+")")
		if e.OnlineURL != old.OnlineURL && e.OnlineURL != "" {
			parts = append(parts, "Online: "+e.OnlineURL)
		}
	}
	return strings.Join(parts, ". ") + "."
}

func newEventsCancelCmd(a *app) *cobra.Command {
	var (
		reason string
		yes    bool
	)
	c := &cobra.Command{
		Use:   "cancel KÜRZEL [--reason TEXT]",
		Short: "Eine Veranstaltung absagen und alle Betroffenen benachrichtigen",
		Long: `Sagt die Veranstaltung ab: Sie gilt als abgesagt, ihre Erinnerungen entfallen, und eine
Absage geht an die Angemeldeten – oder an die Zielgruppe, wenn die Veranstaltung keine
Anmeldung hat – mit einer Kalenderdatei, die den Termin aus dem Kalender entfernt
(METHOD:CANCEL). --reason nennt den Grund in der Mail. Das lässt sich nicht rückgängig
machen; gefragt wird, außer mit --yes.`,
		Example: `  rundbrief events cancel job-speeddating-2027 --reason "Die Hochschule ist wegen eines Wasserschadens geschlossen."`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.cancelEvent(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), cancelEventOptions{Slug: args[0], Reason: reason, Yes: yes})
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "der Grund, wie er in der Mail stehen soll")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "nicht nachfragen")
	return c
}

// eventOptions are what `events create` and `events update` take.
type eventOptions struct {
	File   string // create: a YAML file with the event
	Slug   string // update: the event
	Notify bool   // update: send an update mail when time or place changed
	// Edit applies the fields given besides the file (the flags) to spec,
	// with the problems reading the file found already, and checks it.
	Edit func(spec *events.Spec, found events.InvalidFields) error
}

// createEvent creates the event of o.File and o.Edit as a draft.
func (a *app) createEvent(ctx context.Context, w io.Writer, o eventOptions) error {
	var (
		spec  events.Spec
		found events.InvalidFields
	)
	if o.File != "" {
		r, err := openFile(o.File)
		if err != nil {
			return err
		}
		spec, err = events.ParseYAML(r)
		r.Close()
		if err != nil && !errors.As(err, &found) {
			return fmt.Errorf("%s: %w", o.File, eventError(err))
		}
	}
	if err := o.Edit(&spec, found); err != nil {
		return eventError(err)
	}
	s, err := a.eventStore(ctx)
	if err != nil {
		return err
	}
	e, err := s.Create(ctx, spec)
	if err != nil {
		return eventError(err)
	}
	fmt.Fprintf(w, "Veranstaltung angelegt (Entwurf): %s – %s\nVeröffentlichen mit: rundbrief events publish %s\n", e.Slug, e.Title, e.Slug)
	noteRepeatedTimes(w, e.Spec)
	return nil
}

// updateEvent changes the fields o.Edit gives of the event o.Slug and,
// with o.Notify, sends an update mail when its time or place changed.
func (a *app) updateEvent(ctx context.Context, w io.Writer, o eventOptions) error {
	s, old, err := a.event(ctx, o.Slug)
	if err != nil {
		return err
	}
	spec := old.Spec
	if err := o.Edit(&spec, nil); err != nil {
		return eventError(err)
	}
	e, change, err := s.Update(ctx, o.Slug, spec)
	if err != nil {
		return eventError(err)
	}
	a.started = true
	fmt.Fprintf(w, "Veranstaltung geändert: %s\n", e.Slug)
	noteRepeatedTimes(w, e.Spec)
	if change.Any() {
		fmt.Fprintf(w, "Zeit oder Ort haben sich geändert; der Kalendereintrag hat jetzt Version %d.\n", e.Sequence)
	}
	switch {
	case !o.Notify:
		return nil
	case !change.Any():
		fmt.Fprintf(w, "Zeit und Ort sind gleich geblieben; es geht keine Änderungsmail hinaus.\n")
		return nil
	case e.Status != events.StatusPublished:
		fmt.Fprintf(w, "Die Veranstaltung ist nicht veröffentlicht; es geht keine Änderungsmail hinaus.\n")
		return nil
	}
	return a.notify(ctx, w, campaigns.Spec{Kind: campaigns.KindUpdate, Event: e.Slug, Note: changeNote(old, e, change)})
}

// cancelEventOptions are what `events cancel` takes.
type cancelEventOptions struct {
	Slug   string
	Reason string // the reason, as the mail says it
	Yes    bool   // do not ask
}

// cancelEvent calls the event off and sends the cancellation, after
// asking on in unless o.Yes.
func (a *app) cancelEvent(ctx context.Context, w io.Writer, in io.Reader, o cancelEventOptions) error {
	s, e, err := a.event(ctx, o.Slug)
	if err != nil {
		return err
	}
	if strings.ContainsAny(o.Reason, "\r\n") || len([]rune(o.Reason)) > 1000 {
		return errors.New("--reason: eine Zeile, höchstens 1000 Zeichen")
	}
	if !o.Yes {
		fmt.Fprintf(w, "%s (%s) absagen und alle Betroffenen benachrichtigen? [j/N] ", e.Title, when(e.Start))
		if !agreed(in) {
			fmt.Fprintf(w, "\nNicht abgesagt.\n")
			return nil
		}
	}
	a.started = true
	wasPublished := e.Status == events.StatusPublished
	e, changed, err := s.CancelEvent(ctx, e.Slug, o.Reason)
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(w, "%s war schon abgesagt; nichts geändert.\n", e.Slug)
		return nil
	}
	fmt.Fprintf(w, "%s ist abgesagt; Erinnerungen entfallen. Kalenderversion %d.\n", e.Slug, e.Sequence)
	if !wasPublished {
		fmt.Fprintf(w, "Die Veranstaltung war nicht veröffentlicht; es geht keine Absage hinaus.\n")
		return nil
	}
	return a.notify(ctx, w, campaigns.Spec{Kind: campaigns.KindCancellation, Event: e.Slug, Note: o.Reason})
}

// notify sends a campaign about an event at once and says so.
func (a *app) notify(ctx context.Context, w io.Writer, spec campaigns.Spec) error {
	cs, err := a.campaignStore(ctx)
	if err != nil {
		return err
	}
	q, err := a.queueClient()
	if err != nil {
		return err
	}
	plan, err := cs.Notify(ctx, spec, time.Now())
	if err != nil {
		return campaignError(err)
	}
	if _, err := q.EnqueueBatches(ctx, worker.PlannedBatches(plan)); err != nil {
		return fmt.Errorf("%w\nDie Mails stehen im Versandprotokoll; der Worker holt die fehlenden Aufträge binnen weniger Minuten nach", err)
	}
	fmt.Fprintf(w, "%s (Kampagne %d) an %s übergeben. Fortschritt: rundbrief campaigns status %d --watch\n",
		word(campaignKindWords, plan.Campaign.Kind), plan.Campaign.ID, recipients(plan.Recipients), plan.Campaign.ID)
	return nil
}

func newEventsPublishCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "publish KÜRZEL",
		Short:   "Eine Veranstaltung veröffentlichen",
		Example: `  rundbrief events publish talent-campus-2027`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.eventStore(cmd.Context())
			if err != nil {
				return err
			}
			e, err := s.Publish(cmd.Context(), args[0])
			if err != nil {
				return eventError(err)
			}
			out(cmd, "Veröffentlicht: %s – %s\n", e.Slug, e.Title)
			return nil
		},
	}
}

// eventJSON is an event as --json prints it, with the reminders written
// as offsets ("7d").
type eventJSON struct {
	*events.Event
	Reminders []string `json:"reminders"`
}

func toJSON(e *events.Event) eventJSON {
	r := make([]string, len(e.Reminders))
	for i, d := range e.Reminders {
		r[i] = events.FormatOffset(d)
	}
	return eventJSON{e, r}
}

func newEventsListCmd(a *app) *cobra.Command {
	var (
		asJSON bool
		status string
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "Alle Veranstaltungen zeigen, nach Beginn",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listEvents(cmd.Context(), cmd.OutOrStdout(), eventsOptions{Status: status, JSON: asJSON})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	c.Flags().StringVar(&status, "status", "", "nur mit diesem Status (Entwurf, veröffentlicht, abgesagt)")
	return c
}

func newEventsShowCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "show KÜRZEL",
		Short:   "Alles zu einer Veranstaltung zeigen",
		Example: `  rundbrief events show talent-campus-2027`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, e, err := a.event(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), toJSON(e))
			}
			printEvent(cmd.OutOrStdout(), e)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

func printEvent(w io.Writer, e *events.Event) {
	kinds := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		kinds[i] = templates.KindName(k, i18n.German)
	}
	audience := strings.Join(kinds, ", ")
	if audience == "" {
		audience = "alle Arten"
	}
	topics := strings.Join(e.Topics, ", ")
	if topics == "" {
		topics = "alle Themen"
	}
	registration := "nicht nötig"
	if e.Registration {
		registration = "nötig"
		if e.Capacity > 0 {
			registration += ", " + strconv.Itoa(e.Capacity) + " Plätze"
		}
		if e.Deadline != nil {
			registration += ", bis " + when(*e.Deadline)
		}
	}
	reminders := make([]string, len(e.Reminders))
	for i, r := range e.Reminders {
		reminders[i] = events.FormatOffset(r)
	}
	rows := [][2]string{
		{"Titel", e.Title}, {"Status", word(eventStatusWords, e.Status)},
		{"Wann", when(e.Start) + " bis " + when(e.End)},
		{"Ort", e.Place()}, {"Online", e.OnlineURL},
		{"Veranstalter", e.Organiser}, {"Partner", strings.Join(e.Partners, "; ")},
		{"Für wen", audience + " × " + topics}, {"Anmeldung", registration},
		{"Erinnerungen", strings.Join(reminders, ", ") + " vor Beginn"},
		{"Anmeldeschluss naht", lastCallLine(e)},
		{"Kalender-Version", strconv.Itoa(e.Sequence)},
	}
	if len(e.Sessions) > 1 {
		days := make([]string, len(e.Sessions))
		for i, x := range e.Sessions {
			days[i] = x.Start.In(events.Berlin()).Format("02.01.2006 15:04") + " bis " + x.End.In(events.Berlin()).Format("15:04")
		}
		rows = append(rows, [2]string{"Termine", strings.Join(days, "; ")})
	}
	if e.ForWhom != "" {
		rows = append(rows, [2]string{"Für wen (Mails)", e.ForWhom})
	}
	if c := e.Contact; !c.IsZero() {
		rows = append(rows, [2]string{"Ansprechperson", strings.Join(slices.DeleteFunc([]string{c.Name, c.Phone, c.Email}, func(s string) bool { return s == "" }), ", ")})
	}
	if e.TitleEN != "" {
		rows = append(rows, [2]string{"Titel (englisch)", e.TitleEN})
	}
	switch e.Names {
	case events.NamesRequired:
		rows = append(rows, [2]string{"Namen der Teilnehmenden", "Pflicht"})
	case events.NamesOptional:
		rows = append(rows, [2]string{"Namen der Teilnehmenden", "freiwillig"})
	}
	for _, q := range e.Questions {
		var how []string
		if q.Required {
			how = append(how, "Pflicht")
		}
		if q.PerPerson {
			how = append(how, "je Person")
		}
		if len(q.Options) > 0 {
			how = append(how, strings.Join(q.Options, " / "))
		}
		line := shortLabel(q)
		if len(how) > 0 {
			line += " (" + strings.Join(how, ", ") + ")"
		}
		rows = append(rows, [2]string{"Frage " + q.ID, line})
	}
	if fu := e.FollowUp; fu != nil {
		rows = append(rows, [2]string{"Nachbereitung", fmt.Sprintf("%s nach dem Ende, %s: „%s“ an die Anwesenden", events.FormatOffset(fu.After), when(e.FollowUpDue()), fu.Subject)})
	}
	if f := e.Figures; f != nil {
		rows = append(rows, [2]string{"Anmeldungen", fmt.Sprintf("%s mit %s, %s auf der Warteliste (gelöscht am %s; nur die Zahlen bleiben)",
			plural(f.Registrations, "Anmeldung", "Anmeldungen"), plural(f.People, "Person", "Personen"),
			plural(f.Waiting, "Anmeldung", "Anmeldungen"), when(*e.RegistrationsPurgedAt))})
	}
	t := newTable(w, "Kürzel", e.Slug)
	for _, r := range rows {
		t.rowFull(r[0], r[1])
	}
	t.flush()
	if e.Description != "" {
		fmt.Fprintf(w, "\n%s\n", e.Description)
	}
}

// eventsOptions are what `events list` takes.
type eventsOptions struct {
	Status string // only those with this status; "" for all
	JSON   bool
}

// listEvents writes the events by their start.
func (a *app) listEvents(ctx context.Context, w io.Writer, o eventsOptions) error {
	var st events.Status
	if o.Status != "" {
		var ok bool
		if st, ok = parseWord(eventStatusWords, o.Status); !ok {
			return usagef("--status „%s“: möglich sind Entwurf, veröffentlicht und abgesagt", o.Status)
		}
	}
	s, err := a.eventStore(ctx)
	if err != nil {
		return err
	}
	list, err := s.List(ctx, st)
	if err != nil {
		return err
	}
	if o.JSON {
		asJSON := make([]eventJSON, len(list))
		for i, e := range list {
			asJSON[i] = toJSON(e)
		}
		return writeJSON(w, asJSON)
	}
	t := newTable(w, "KÜRZEL", "BEGINN", "TITEL", "ORT", "STATUS")
	for _, e := range list {
		t.row(e.Slug, when(e.Start), e.Title, e.Where(), word(eventStatusWords, e.Status))
	}
	t.flush()
	fmt.Fprintf(w, "%s\n", plural(len(list), "Veranstaltung", "Veranstaltungen"))
	return nil
}

// lastCallLine says when "Anmeldeschluss naht" goes out by itself, or "".
func lastCallLine(e *events.Event) string {
	if e.LastCall == 0 || e.Deadline == nil {
		return ""
	}
	return events.FormatOffset(e.LastCall) + " vor dem Anmeldeschluss, am " + when(e.Deadline.Add(-e.LastCall)) +
		", an die Eingeladenen, die nicht angemeldet sind"
}
