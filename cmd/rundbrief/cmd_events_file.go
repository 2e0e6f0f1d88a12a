package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

func newEventsEditCmd(a *app) *cobra.Command {
	var (
		file   string
		notify bool
	)
	c := &cobra.Command{
		Use:   "edit KÜRZEL -f DATEI.yaml [--notify]",
		Short: "Eine Veranstaltung als Ganzes aus einer Datei ändern",
		Long: `Ersetzt die Veranstaltung durch den Inhalt der Datei – mit denselben Prüfungen wie beim
Anlegen. Am einfachsten: rundbrief events export KÜRZEL > datei.yaml, die Datei ändern,
dann rundbrief events edit KÜRZEL -f datei.yaml. Das Kürzel bleibt (steht in der Datei ein
anderes, wird nichts geändert). Ändern sich Zeit oder Ort einer veröffentlichten
Veranstaltung, geht mit --notify eine Änderungsmail hinaus, wie bei events update.`,
		Example: `  rundbrief events export job-speeddating-2027 > job-speeddating.yaml
  rundbrief events edit job-speeddating-2027 -f job-speeddating.yaml --notify`,
		Args: exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			slug := args[0]
			if file == "" {
				return errors.New("-f DATEI.yaml fehlt: die ganze Veranstaltung als Datei (rundbrief events export " + slug + " gibt sie aus)")
			}
			return a.updateEvent(cmd.Context(), cmd.OutOrStdout(), eventOptions{Slug: slug, Notify: notify,
				Edit: func(spec *events.Spec, _ events.InvalidFields) error {
					next, err := readEventFile(file)
					if err != nil {
						return err
					}
					if next.Slug != "" && next.Slug != slug {
						return fmt.Errorf("%s: die Datei beschreibt „%s“, nicht „%s“; das Kürzel einer Veranstaltung bleibt", file, next.Slug, slug)
					}
					next.Slug = slug
					*spec = next
					return nil
				}})
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "die Veranstaltung als YAML-Datei")
	c.Flags().BoolVar(&notify, "notify", false, "eine Änderungsmail verschicken, wenn sich Zeit oder Ort geändert haben")
	return c
}

// readEventFile reads and checks an event file, explaining what is wrong
// with it in German.
func readEventFile(path string) (events.Spec, error) {
	r, err := openFile(path)
	if err != nil {
		return events.Spec{}, err
	}
	defer r.Close()
	spec, err := events.ParseYAML(r)
	if err != nil {
		return events.Spec{}, fmt.Errorf("%s: %w", path, eventError(err))
	}
	return spec, nil
}

func newEventsDeleteCmd(a *app) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "delete KÜRZEL",
		Short: "Einen Entwurf einer Veranstaltung löschen",
		Long: `Löscht eine Veranstaltung, die noch ein Entwurf ist. Eine veröffentlichte Veranstaltung
wird nicht gelöscht, sondern abgesagt (rundbrief events cancel), damit alle Eingeladenen
und Angemeldeten davon erfahren. Gefragt wird, außer mit --yes.`,
		Example: `  rundbrief events delete codeweek-2027`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.deleteEvent(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), args[0], yes)
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "nicht nachfragen")
	return c
}

// deleteEvent deletes the draft event slug, after asking on in unless yes.
func (a *app) deleteEvent(ctx context.Context, w io.Writer, in io.Reader, slug string, yes bool) error {
	s, e, err := a.event(ctx, slug)
	if err != nil {
		return err
	}
	if e.Status != events.StatusDraft {
		return fmt.Errorf("%s ist %s und wird nicht gelöscht; absagen mit: rundbrief events cancel %s", e.Slug, word(eventStatusWords, e.Status), e.Slug)
	}
	if !yes {
		fmt.Fprintf(w, "Entwurf %s – %s löschen? [j/N] ", e.Slug, e.Title)
		if !agreed(in) {
			fmt.Fprintf(w, "\nNicht gelöscht.\n")
			return nil
		}
		fmt.Fprintln(w)
	}
	a.started = true
	switch err := s.Delete(ctx, e.Slug); {
	case errors.Is(err, events.ErrHasCampaigns):
		return fmt.Errorf("zu %s gibt es Kampagnen; zuerst deren Entwürfe löschen (rundbrief campaigns list, rundbrief campaigns delete NR)", e.Slug)
	case err != nil:
		return eventError(err)
	}
	fmt.Fprintf(w, "Entwurf %s gelöscht.\n", e.Slug)
	return nil
}

func newEventsExportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "export KÜRZEL",
		Short: "Eine Veranstaltung als YAML-Datei ausgeben",
		Long: `Gibt die Veranstaltung als YAML aus, so wie events create -f und events edit -f sie
lesen – zum Ändern, zum Aufbewahren oder als Vorlage für die nächste.`,
		Example: `  rundbrief events export talent-campus-2027 > talent-campus-2028.yaml`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, e, err := a.event(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return events.WriteYAML(cmd.OutOrStdout(), e.Spec, func(k subscribers.Kind) string { return templates.KindName(k, i18n.German) })
		},
	}
}
