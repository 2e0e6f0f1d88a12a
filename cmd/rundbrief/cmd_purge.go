package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/knf-nordhausen/rundbrief/config"
)

func newPurgeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "purge",
		Short: "Löschfristen jetzt anwenden",
		Long: `Wendet die Löschfristen sofort an, die der Worker sonst stündlich anwendet:

  – Wer den Rundbrief nicht binnen RUNDBRIEF_PENDING_TTL bestätigt hat, wird gelöscht.
    Wer zu einer Veranstaltung angemeldet ist, bleibt als Kontakt „nur Veranstaltung“
    erhalten: Eine Anmeldung wird nie mit gelöscht.
  – Anmeldungen werden RUNDBRIEF_REGISTRATION_TTL nach dem Ende ihrer Veranstaltung
    gelöscht; die Veranstaltung behält nur die Zahlen (Anmeldungen, Personen, Warteliste).
  – Kontakte ohne Anmeldung werden danach gelöscht.`,
		Example: `  rundbrief purge`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.purge(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

// purge applies the retention periods now and says what went.
func (a *app) purge(ctx context.Context, w io.Writer) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	wk, _, _, err := a.newWorker(ctx)
	if err != nil {
		return err
	}
	a.started = true
	p, err := wk.Purge(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Löschfristen angewandt:\n")
	fmt.Fprintf(w, "  Abonnements ohne Bestätigung nach %s gelöscht: %d\n", days(cfg.PendingTTL), p.Pending)
	if p.KeptAsContacts > 0 {
		fmt.Fprintf(w, "  als Kontakt behalten, weil zu einer Veranstaltung angemeldet: %d\n", p.KeptAsContacts)
	}
	fmt.Fprintf(w, "  Anmeldungen von der Veranstaltungsseite ohne Bestätigung nach %s gelöscht: %d\n", days(cfg.OptInTTL), p.Requests)
	if cfg.RegistrationTTL == 0 {
		fmt.Fprintf(w, "  Anmeldungen zu Veranstaltungen: werden behalten (RUNDBRIEF_REGISTRATION_TTL=0)\n")
	} else {
		fmt.Fprintf(w, "  Anmeldungen zu Veranstaltungen, die vor mehr als %s endeten, gelöscht: %d (aus %s)\n", days(cfg.RegistrationTTL),
			p.Registrations, plural(p.Events, "Veranstaltung", "Veranstaltungen"))
	}
	fmt.Fprintf(w, "  Kontakte ohne Anmeldung gelöscht: %d\n", p.Contacts)
	return nil
}

// days writes a retention period as staff read it: "14 Tage".
func days(d config.Duration) string {
	n := int(time.Duration(d) / (24 * time.Hour))
	if time.Duration(d)%(24*time.Hour) != 0 {
		return time.Duration(d).String()
	}
	return plural(n, "Tag", "Tagen")
}
