package main

import (
	"context"
	"github.com/spf13/cobra"
	"io"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

func newTopicsCmd(a *app) *cobra.Command {
	return group("topics", "Themen, unter denen sich Personen eintragen",
		`Themen, aus denen Personen wählen und nach denen Einladungen
an die passenden Personen gehen.`,
		newTopicsListCmd(a), newTopicsAddCmd(a))
}

func newTopicsListCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "Alle Themen zeigen",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.listTopics(cmd.Context(), cmd.OutOrStdout(), topicsOptions{JSON: asJSON})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

func newTopicsAddCmd(a *app) *cobra.Command {
	var t subscribers.Topic
	c := &cobra.Command{
		Use:   "add KÜRZEL",
		Short: "Ein neues Thema anlegen",
		Long: `Legt ein Thema an. Das Kürzel besteht aus 2 bis 40 Kleinbuchstaben, Ziffern und
Bindestrichen und beginnt mit einem Buchstaben; es steht in CSV-Dateien und Befehlen.
Jedes Thema braucht einen deutschen und einen englischen Titel.`,
		Example: `  rundbrief topics add digitalisierung --de "Digitalisierung im Betrieb" --en "Digitalisation at work"`,
		Args:    exactArgs(1, "ein Kürzel"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if t.TitleDE == "" || t.TitleEN == "" {
				return usagef("--de und --en sind Pflicht: der Titel auf Deutsch und auf Englisch")
			}
			t.Slug = args[0]
			s, err := a.store(cmd.Context())
			if err != nil {
				return err
			}
			if err := s.AddTopic(cmd.Context(), t); err != nil {
				return err
			}
			out(cmd, "Thema angelegt: %s (%s / %s)\n", t.Slug, t.TitleDE, t.TitleEN)
			return nil
		},
	}
	c.Flags().StringVar(&t.TitleDE, "de", "", "Titel auf Deutsch (Pflicht)")
	c.Flags().StringVar(&t.TitleEN, "en", "", "Titel auf Englisch (Pflicht)")
	return c
}

// topicsOptions are what `topics list` takes.
type topicsOptions struct {
	JSON bool
}

// listTopics writes every topic with its German and English title.
func (a *app) listTopics(ctx context.Context, w io.Writer, o topicsOptions) error {
	s, err := a.store(ctx)
	if err != nil {
		return err
	}
	ts, err := s.Topics(ctx)
	if err != nil {
		return err
	}
	if o.JSON {
		return writeJSON(w, ts)
	}
	t := newTable(w, "KÜRZEL", "TITEL", "TITEL (ENGLISCH)")
	for _, tp := range ts {
		t.rowFull(tp.Slug, tp.TitleDE, tp.TitleEN)
	}
	t.flush()
	return nil
}
