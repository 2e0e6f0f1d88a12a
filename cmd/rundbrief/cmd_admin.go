package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/migrations"
)

func newConfigCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "config",
		Short: "Geltende Einstellungen zeigen (Passwörter verdeckt)",
		Long: `Zeigt jede Einstellung mit ihrem geltenden Wert und ob er aus der Umgebung
kommt oder der Standard ist. Passwörter und das Geheimnis werden verdeckt.
Ist eine Einstellung fehlerhaft, nennt rundbrief die Variable und endet mit Code 1.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.showConfig(cmd.Context(), cmd.OutOrStdout(), configOptions{JSON: asJSON})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "als JSON ausgeben")
	return c
}

func newMigrateCmd(a *app) *cobra.Command {
	var status bool
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Datenbank einrichten oder auf den neuesten Stand bringen",
		Long: `Legt die Datenbank an, falls sie fehlt (und die Rolle es darf), und wendet alle
ausstehenden Migrationen an. Mehrere Prozesse dürfen gleichzeitig migrieren:
eine Sperre in PostgreSQL sorgt dafür, dass jede Migration genau einmal läuft.`,
		Example: `  rundbrief migrate
  rundbrief migrate --status`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.migrate(cmd.Context(), cmd.OutOrStdout(), migrateOptions{Status: status})
		},
	}
	c.Flags().BoolVar(&status, "status", false, "nur zeigen, welche Migrationen angewendet sind")
	return c
}

// migrateOptions are what `migrate` takes.
type migrateOptions struct {
	Status bool // only show which migrations are applied
}

// migrate creates the database if it is missing and applies the pending
// migrations, or with o.Status lists them.
func (a *app) migrate(ctx context.Context, w io.Writer, o migrateOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	db, err := a.openDB(ctx)
	if err != nil {
		return err
	}
	if !o.Status {
		applied, err := migrations.Up(ctx, db.DB)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintf(w, "Die Datenbank ist auf dem neuesten Stand.\n")
		}
		for _, v := range applied {
			fmt.Fprintf(w, "Migration %05d angewendet.\n", v)
		}
		return nil
	}
	states, err := migrations.List(ctx, db.DB)
	if err != nil {
		return err
	}
	t := newTable(w, "VERSION", "DATEI", "STAND")
	for _, s := range states {
		st := "ausstehend"
		if s.Applied {
			st = "angewendet am " + when(s.AppliedAt)
		}
		t.row(fmt.Sprintf("%05d", s.Version), s.File, st)
	}
	t.flush()
	return nil
}

// configOptions are what `config` takes.
type configOptions struct {
	JSON bool
}

// showConfig writes each setting with its value (secrets masked) and
// where it came from.
func (a *app) showConfig(ctx context.Context, w io.Writer, o configOptions) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	entries := cfg.Entries()
	if o.JSON {
		return writeJSON(w, entries)
	}
	t := newTable(w, "VARIABLE", "WERT", "QUELLE")
	for _, e := range entries {
		src := "Standard"
		if e.Set {
			src = "Umgebung"
		}
		t.rowFull(e.Var, e.Value, src)
	}
	t.flush()
	if _, err := cfg.RequireSecret(); err != nil {
		fmt.Fprintf(w, "\nHinweis: %v\n", err)
	}
	return nil
}
