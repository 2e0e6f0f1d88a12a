package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func newEventsRemindCmd(a *app) *cobra.Command {
	var o remindOptions
	c := &cobra.Command{
		Use:   "remind KÜRZEL [--note TEXT] [--not-registered]",
		Short: "Jetzt an eine Veranstaltung erinnern, außer der Reihe",
		Long: `Schickt sofort eine Erinnerung an die Angemeldeten – oder an die Zielgruppe, wenn die
Veranstaltung keine Anmeldung hat –, zusätzlich zu den Erinnerungen, die rundbrief zu den
Abständen der Veranstaltung (reminders) selbst verschickt. --note fügt einen Satz hinzu,
etwa was mitzubringen ist. Gefragt wird, außer mit --yes.

Mit --not-registered geht stattdessen „Anmeldeschluss naht“ an alle, die eine Einladung
zu der Veranstaltung bekommen haben, sich aber nicht angemeldet haben (und den Rundbrief
nicht abbestellt haben): bis wann die Anmeldung offen ist, mit dem Knopf zum Anmelden.
Wer sich bis zum Versand anmeldet, bekommt sie nicht mehr.`,
		Example: `  rundbrief events remind job-speeddating-2027 --note "Bitte bringen Sie Ihren Lebenslauf mit."
  rundbrief events remind talent-campus-2027 --not-registered`,
		Args: exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Slug = args[0]
			return a.remindEvent(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), o)
		},
	}
	c.Flags().StringVar(&o.Note, "note", "", "ein Satz zusätzlich in der Erinnerung")
	c.Flags().BoolVar(&o.NotRegistered, "not-registered", false, "„Anmeldeschluss naht“ an die Eingeladenen, die sich noch nicht angemeldet haben")
	c.Flags().BoolVarP(&o.Yes, "yes", "y", false, "nicht nachfragen")
	return c
}

// remindOptions are what `events remind` takes.
type remindOptions struct {
	Slug string
	Note string // a sentence added to the reminder
	Yes  bool   // do not ask
	// NotRegistered sends the last call to those invited who have not
	// registered, instead of the reminder.
	NotRegistered bool
}

// remindEvent sends a reminder of the event o.Slug now, after asking on
// in unless o.Yes.
func (a *app) remindEvent(ctx context.Context, w io.Writer, in io.Reader, o remindOptions) error {
	_, e, err := a.event(ctx, o.Slug)
	if err != nil {
		return err
	}
	if strings.ContainsAny(o.Note, "\r\n") || len([]rune(o.Note)) > campaigns.MaxNote {
		return fmt.Errorf("--note: eine Zeile, höchstens %d Zeichen", campaigns.MaxNote)
	}
	if e.Status != events.StatusPublished {
		return fmt.Errorf("%s ist %s; erinnert wird nur an veröffentlichte Veranstaltungen", e.Slug, word(eventStatusWords, e.Status))
	}
	kind := campaigns.KindReminder
	if o.NotRegistered {
		kind = campaigns.KindLastCall
		if !e.Registration {
			return fmt.Errorf("%s hat keine Anmeldung; an einen Anmeldeschluss gibt es nichts zu erinnern", e.Slug)
		}
	}
	if !o.Yes {
		cs, err := a.campaignStore(ctx)
		if err != nil {
			return err
		}
		// The campaign Create would make, not stored, to count whom it
		// reaches.
		draft := &campaigns.Campaign{Kind: kind, EventID: &e.ID, ToRegistered: e.Registration && kind == campaigns.KindReminder,
			Audience: subscribers.Audience{Kinds: e.Kinds, Topics: e.Topics, Event: true}}
		n, err := countRecipients(ctx, cs, draft)
		if err != nil {
			return err
		}
		if kind == campaigns.KindLastCall {
			fmt.Fprintf(w, "„Anmeldeschluss naht“ zu %s an %s, die eingeladen, aber nicht angemeldet sind? [j/N] ", e.Title, recipients(n))
		} else {
			fmt.Fprintf(w, "Jetzt an %s (%s) erinnern: %s? [j/N] ", e.Title, when(e.Start), recipients(n))
		}
		if !agreed(in) {
			fmt.Fprintf(w, "\nKeine Erinnerung verschickt.\n")
			return nil
		}
		fmt.Fprintln(w)
	}
	a.started = true
	return a.notify(ctx, w, campaigns.Spec{Kind: kind, Event: e.Slug, Note: strings.TrimSpace(o.Note)})
}
