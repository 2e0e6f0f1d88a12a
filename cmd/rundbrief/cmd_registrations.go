package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/spreadsheet"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/worker"
)

// registrationError explains an error of registering in German.
func registrationError(err error, e *events.Event) error {
	var noRoom *events.NoRoomError
	switch {
	case errors.As(err, &noRoom):
		return fmt.Errorf("so viele Plätze sind nicht mehr frei (frei: %d); die Anmeldung bleibt, wie sie war", noRoom.Free)
	case errors.Is(err, events.ErrPartySize):
		return fmt.Errorf("--people: zwischen 1 und %d Personen je Anmeldung", e.MaxParty())
	case errors.Is(err, events.ErrClosed):
		return errors.New("die Anmeldung ist geschlossen: die Veranstaltung hat keine Anmeldung, ist nicht veröffentlicht, abgesagt oder hat begonnen")
	case errors.Is(err, events.ErrNotRegistered):
		return errors.New("diese Person ist für die Veranstaltung nicht angemeldet")
	}
	return err
}

func newEventsRegistrationsCmd(a *app) *cobra.Command {
	var asCSV, asHTML bool
	c := &cobra.Command{
		Use:   "registrations KÜRZEL",
		Short: "Wer kommt, wer wartet – für die Teilnahmeliste",
		Long: `Zeigt die Anmeldungen einer Veranstaltung: erst die Angemeldeten, dann die Warteliste
in ihrer Reihenfolge. Mit --csv als Tabelle für Excel (Semikolon, UTF-8 mit BOM); mit
--html als Teilnahmeliste zum Ausdrucken (im Browser öffnen, drucken): eine Zeile je
Anmeldung mit Platz zum Unterschreiben, darunter die Warteliste.`,
		Example: `  rundbrief events registrations job-speeddating-2027
  rundbrief events registrations job-speeddating-2027 --csv > teilnahmeliste.csv
  rundbrief events registrations job-speeddating-2027 --html > teilnahmeliste.html`,
		Args: exactArgs(1, "das Kürzel der Veranstaltung"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listRegistrations(cmd.Context(), cmd.OutOrStdout(), registrationsOptions{Event: args[0], CSV: asCSV, HTML: asHTML})
		},
	}
	c.Flags().BoolVar(&asCSV, "csv", false, "als CSV für Excel ausgeben")
	c.Flags().BoolVar(&asHTML, "html", false, "als Teilnahmeliste zum Ausdrucken ausgeben (HTML, im Browser öffnen und drucken)")
	return c
}

func newEventsRegisterCmd(a *app) *cobra.Command {
	var o registerOptions
	c := &cobra.Command{
		Use:   "register KÜRZEL [E-MAIL] [--name …] [--phone …]",
		Short: "Eine Person anmelden, etwa nach einem Anruf",
		Long: `Meldet eine Person für die Veranstaltung an, oder ändert die Zahl der Personen ihrer
Anmeldung. Ist die Veranstaltung voll, kommt sie auf die Warteliste. Anders als auf der
Webseite geht das auch nach dem Anmeldeschluss, aber nicht mehr, wenn die Veranstaltung
begonnen hat.

Wer noch nicht im Verteiler steht, wird als Kontakt „nur Veranstaltung“ aufgenommen
(--name ist dann nötig, --organisation, --phone und --kind sind möglich): Eine Anmeldung
ist keine Einwilligung in den Rundbrief. Solche Kontakte bekommen nur die Mails zu ihrer
Anmeldung – Bestätigung, Erinnerungen, Änderungen, Absage –, keinen Rundbrief und keine
Einladungen, und sie werden RUNDBRIEF_REGISTRATION_TTL nach der Veranstaltung gelöscht.
Möchte die Person auch den Rundbrief, nehmen Sie sie zusätzlich auf:
rundbrief subscribers add E-MAIL --kind … (sie bekommt dann eine Bestätigungsmail).

Wer keine E-Mail-Adresse hat, wird ohne sie angemeldet, mit --name und --phone: Die
Person steht auf der Teilnahmeliste, bekommt aber keine Mails. Sie hat eine Nummer
(„Nr. 42“), mit der andere Befehle sie finden, etwa events unregister KÜRZEL 42.`,
		Example: `  rundbrief events register job-speeddating-2027 personal@metallbau.example --people 2
  rundbrief events register talent-campus-2027 eltern.meier@example.org --name "Familie Meier" --phone "03631 123456" --people 2
  rundbrief events register talent-campus-2027 --name "Erika Schulze" --phone "03631 987654"`,
		Args: rangeArgs(1, 2, "das Kürzel der Veranstaltung und eine E-Mail-Adresse (ohne sie: --name und --phone)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Event = args[0]
			if len(args) == 2 {
				o.Email = args[1]
			}
			return a.register(cmd.Context(), cmd.OutOrStdout(), o)
		},
	}
	f := c.Flags()
	f.IntVar(&o.People, "people", 1, "Anzahl Teilnehmende")
	f.StringVar(&o.Name, "name", "", "neuer Kontakt: Name")
	f.StringVar(&o.Organisation, "organisation", "", "neuer Kontakt: Organisation")
	f.StringVar(&o.Phone, "phone", "", "Telefonnummer, für die Teilnahmeliste und Rückfragen")
	f.StringVar(&o.Kind, "kind", "", "neuer Kontakt: Art (Unternehmen, Schule, Familie, Sonstige; ohne Angabe Sonstige)")
	return c
}

func newEventsUnregisterCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "unregister KÜRZEL E-MAIL|NR",
		Short: "Eine Anmeldung zurücknehmen; die Warteliste rückt nach",
		Long: `Nimmt die Anmeldung einer Person zurück, etwa nach einer Absage am Telefon. Die frei
gewordenen Plätze gehen an die Warteliste, in ihrer Reihenfolge: wer zuerst kam und
mit seiner Personenzahl hineinpasst, rückt nach.`,
		Example: `  rundbrief events unregister job-speeddating-2027 personal@metallbau.example`,
		Args:    exactArgs(2, "das Kürzel der Veranstaltung und eine E-Mail-Adresse"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.unregister(cmd.Context(), cmd.OutOrStdout(), registerOptions{Event: args[0], Email: args[1]})
		},
	}
}

// registerOptions are what `events register` and `events unregister` take.
type registerOptions struct {
	Event  string // its slug
	Email  string // the subscriber's address
	People int    // how many come, with register
	// Name, Organisation, Phone and Kind describe a person not on the
	// list, who becomes a contact (subscribers.StatusContact); Phone is
	// kept for a known person who has none.
	Name, Organisation, Phone, Kind string
}

// register registers the person o names for the event with o.People
// places, or puts them on the waitlist; a person not on the list becomes
// a contact, who gets the mails about the registration and no other.
func (a *app) register(ctx context.Context, w io.Writer, o registerOptions) error {
	subs, err := a.store(ctx)
	if err != nil {
		return err
	}
	_, e, err := a.event(ctx, o.Event)
	if err != nil {
		return err
	}
	var sub *subscribers.Subscriber
	switch {
	case isNumber(o.Email): // a person by their number, as lists show it
		if _, sub, err = a.subscriber(ctx, o.Email); err != nil {
			return err
		}
	case o.Email == "" && (strings.TrimSpace(o.Name) == "" || strings.TrimSpace(o.Phone) == ""):
		return usagef("ohne E-Mail-Adresse braucht die Anmeldung --name und --phone, damit die Netzwerkstelle die Person erreicht")
	default:
		if _, err := subs.GetByEmail(ctx, o.Email); o.Email != "" && errors.Is(err, subscribers.ErrNotFound) && o.Name == "" {
			return fmt.Errorf("%s steht nicht im Verteiler. Als Kontakt nur für diese Veranstaltung anmelden: "+
				"rundbrief events register %s %s --name \"…\" [--phone …]", o.Email, o.Event, o.Email)
		}
		a.started = true
		var added bool
		sub, added, err = subs.FindOrAddContact(ctx, subscribers.NewContact{Email: o.Email, Name: o.Name,
			Organisation: o.Organisation, Phone: o.Phone, Kind: subscribers.Kind(o.Kind),
			Note: "Anmeldung durch die Netzwerkstelle: " + e.Title})
		if err != nil {
			return fmt.Errorf("%s: %w", cmp.Or(o.Email, o.Name), explain(err))
		}
		if added {
			fmt.Fprintf(w, "%s ist als Kontakt aufgenommen – nur für Veranstaltungen, ohne Rundbrief.\n", person(sub))
		}
		if sub.Email == "" {
			fmt.Fprintf(w, "Ohne E-Mail-Adresse bekommt die Person keine Mails; bitte Änderungen und Absagen telefonisch mitteilen.\n")
		}
	}
	return a.changeRegistration(ctx, w, o.Event, strconv.FormatInt(sub.ID, 10),
		func(err error) error { return err },
		func(ctx context.Context, evs *events.Store, e *events.Event, sub *subscribers.Subscriber) (*events.Outcome, error) {
			return evs.Register(ctx, e.ID, sub.ID, o.People, events.ByStaff, time.Now())
		},
		func(sub *subscribers.Subscriber, res *events.Outcome) {
			r := res.Registration
			switch {
			case r.Status == events.Waiting:
				fmt.Fprintf(w, "%s steht mit %s auf der Warteliste, Platz %d.\n", person(sub), plural(r.People, "Person", "Personen"), r.Position)
			case res.Changed:
				fmt.Fprintf(w, "%s ist mit %s angemeldet.\n", person(sub), plural(r.People, "Person", "Personen"))
			default:
				fmt.Fprintf(w, "%s war schon mit %s angemeldet; nichts geändert.\n", person(sub), plural(r.People, "Person", "Personen"))
			}
		})
}

// unregister withdraws the registration o names; the waitlist moves up.
func (a *app) unregister(ctx context.Context, w io.Writer, o registerOptions) error {
	return a.changeRegistration(ctx, w, o.Event, o.Email, func(err error) error { return err },
		func(ctx context.Context, evs *events.Store, e *events.Event, sub *subscribers.Subscriber) (*events.Outcome, error) {
			return evs.Cancel(ctx, e.ID, sub.ID, time.Now())
		},
		func(sub *subscribers.Subscriber, res *events.Outcome) {
			if res.Changed {
				fmt.Fprintf(w, "Die Anmeldung von %s ist zurückgenommen.\n", person(sub))
			} else {
				fmt.Fprintf(w, "%s hatte schon abgesagt; nichts geändert.\n", person(sub))
			}
		})
}

// changeRegistration loads the event slug names and the subscriber with
// email (unknown says what to do when there is none), applies change, lets
// say report it, names who moved up from the waitlist and queues the
// mails the change owes.
func (a *app) changeRegistration(ctx context.Context, w io.Writer, slug, email string, unknown func(error) error,
	change func(context.Context, *events.Store, *events.Event, *subscribers.Subscriber) (*events.Outcome, error),
	say func(*subscribers.Subscriber, *events.Outcome)) error {
	evs, e, err := a.event(ctx, slug)
	if err != nil {
		return err
	}
	_, sub, err := a.subscriber(ctx, email)
	if err != nil {
		return unknown(err)
	}
	a.started = true
	q, err := a.queueClient()
	if err != nil {
		return err
	}
	res, err := change(ctx, evs, e, sub)
	if err != nil {
		return registrationError(err, e)
	}
	say(sub, res)
	printMovedUp(ctx, w, a, res)
	queueRegistrationMails(ctx, w, q, res)
	return nil
}

// printMovedUp names the people who moved up from the waitlist.
func printMovedUp(ctx context.Context, w io.Writer, a *app, res *events.Outcome) {
	if len(res.MovedUp) == 0 {
		return
	}
	ids := make([]int64, len(res.MovedUp))
	for i, r := range res.MovedUp {
		ids[i] = r.SubscriberID
	}
	subs, err := a.store(ctx)
	if err != nil {
		return
	}
	contacts, _ := subs.Contacts(ctx, ids)
	fmt.Fprintf(w, "Von der Warteliste nachgerückt:\n")
	for _, r := range res.MovedUp {
		if c := contacts[r.SubscriberID]; c != nil {
			fmt.Fprintf(w, "  %s (%s)\n", c.Email, plural(r.People, "Person", "Personen"))
		}
	}
}

// queueRegistrationMails hands the mails a change owes to the worker; if
// Redis fails, the worker finds them in the mail log within minutes.
func queueRegistrationMails(ctx context.Context, w io.Writer, q *worker.Client, res *events.Outcome) {
	if len(res.Mails) == 0 {
		return
	}
	if _, err := q.EnqueueRegistrationMails(ctx, res.Mails); err != nil {
		fmt.Fprintf(w, "Hinweis: die Mails dazu gehen verzögert hinaus (%v).\n", err)
		return
	}
	fmt.Fprintf(w, "%s an den Worker übergeben.\n", plural(len(res.Mails), "Mail", "Mails"))
}

// registrationsOptions are what `events registrations` takes.
type registrationsOptions struct {
	Event string // its slug
	CSV   bool   // a table for Excel instead
	HTML  bool   // the printable sign-in sheet instead
}

// listRegistrations writes who comes and who waits for the event o names,
// as a table or, with o.CSV, as CSV for Excel.
func (a *app) listRegistrations(ctx context.Context, w io.Writer, o registrationsOptions) error {
	evs, e, err := a.event(ctx, o.Event)
	if err != nil {
		return err
	}
	subs, err := a.store(ctx)
	if err != nil {
		return err
	}
	regs, err := evs.Registrations(ctx, e.ID)
	if err != nil {
		return err
	}
	ids := make([]int64, len(regs))
	for i, r := range regs {
		ids[i] = r.SubscriberID
	}
	contacts, err := subs.Contacts(ctx, ids)
	if err != nil {
		return err
	}
	status := func(r *events.Registration) string {
		if r.Status == events.Waiting {
			return "Warteliste, Platz " + strconv.Itoa(r.Position)
		}
		return word(registrationWords, r.Status)
	}
	if o.CSV && o.HTML {
		return errors.New("--csv oder --html, nicht beides")
	}
	if o.HTML {
		return writeSignInSheet(w, e, regs, contacts)
	}
	if o.CSV {
		sw := spreadsheet.NewWriter(w)
		// The answers follow the fixed columns; every cell is made safe
		// from formulas by the writer (the public typed them).
		// „Anwesend“ is for staff to tick and give back to events attend.
		sw.Write(append([]string{"Nr.", "Name", "Organisation", "E-Mail", "Telefon", "Personen", "Status", "Angemeldet am", "Unterschrift", "Anwesend"},
			answerColumns(e)...)...)
		for i, r := range regs {
			c := contacts[r.SubscriberID]
			if c == nil {
				c = &subscribers.Contact{}
			}
			came := ""
			if r.AttendedAt != nil {
				came = "x"
			}
			sw.Write(append([]string{strconv.Itoa(i + 1), c.Name, c.Org, c.Email, c.Phone, strconv.Itoa(r.People), status(r), when(r.CreatedAt), "", came},
				answerCells(e, r.Answers)...)...)
		}
		return sw.Flush()
	}
	taken, waiting, err := evs.Taken(ctx, e.ID)
	if err != nil {
		return err
	}
	places := "unbegrenzt"
	if e.Capacity > 0 {
		places = fmt.Sprintf("%d von %d belegt", taken, e.Capacity)
	}
	fmt.Fprintf(w, "%s (%s): %s, %s auf der Warteliste\n\n", e.Title, when(e.Start), places, plural(waiting, "Person", "Personen"))
	if len(regs) == 0 {
		fmt.Fprintf(w, "Noch keine Anmeldungen.\n")
		return nil
	}
	t := newTable(w, "NR", "NAME", "ORGANISATION", "E-MAIL", "PERSONEN", "STATUS", "ANGEMELDET")
	for i, r := range regs {
		c := contacts[r.SubscriberID]
		if c == nil {
			c = &subscribers.Contact{}
		}
		email := c.Email
		if email == "" && c.ID != 0 {
			email = fmt.Sprintf("– (Tel. %s, Nr. %d)", c.Phone, c.ID)
		}
		t.row(strconv.Itoa(i+1), c.Name, c.Org, email, strconv.Itoa(r.People), status(r), when(r.CreatedAt))
	}
	t.flush()
	// The answers, per registration by its number in the table.
	var answered bool
	for i, r := range regs {
		lines := append(personAnswers(e, r.Answers), sharedAnswers(e, r.Answers)...)
		if len(lines) == 0 {
			continue
		}
		if !answered {
			fmt.Fprintf(w, "\nAngaben:\n")
			answered = true
		}
		fmt.Fprintf(w, "  %d. %s\n", i+1, strings.Join(lines, "\n     "))
	}
	return nil
}

// person names a subscriber in the CLI's sentences: their address, or for
// a contact without one their name and number.
func person(sub *subscribers.Subscriber) string {
	if sub.Email != "" {
		return sub.Email
	}
	return fmt.Sprintf("%s (Nr. %d)", sub.Name, sub.ID)
}

// isNumber reports whether s names a person by number ("42", "Nr. 42",
// "#42") rather than by address.
func isNumber(s string) bool {
	_, ok := personNumber(s)
	return ok
}

// personNumber reads a person's number: "42", "Nr. 42", "#42".
func personNumber(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "Nr."), "#")
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil && n > 0
}
