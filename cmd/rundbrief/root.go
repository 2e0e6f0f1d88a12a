package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "rundbrief",
		Short: "Verteiler und Einladungen der Netzwerkstelle Fachkräftesicherung",
		Long: `rundbrief verwaltet den Verteiler der Kommunalen Netzwerkstelle Fachkräftesicherung
(Unternehmen, Schulen, Familien, Partner) und verschickt Bestätigungsmails,
Einladungen und Rundbriefe.

Die Einstellungen kommen aus Umgebungsvariablen (RUNDBRIEF_*); rundbrief config
zeigt, welche gelten.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE:          showHelp,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			a.started = true
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{germanFlagError(err)} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetHelpCommand(&cobra.Command{Hidden: true})
	root.SetUsageFunc(writeUsage)
	root.PersistentFlags().BoolP("help", "h", false, "Hilfe zu diesem Befehl")
	root.AddCommand(
		newConfigCmd(a),
		newMigrateCmd(a),
		newSubscribersCmd(a),
		newTopicsCmd(a),
		newEventsCmd(a), newCampaignsCmd(a), newBouncesCmd(a),
		newWorkerCmd(a), newPurgeCmd(a), newTextsCmd(a), newDoctorCmd(a),
		newServeCmd(a),
		newRunCmd(a),
	)
	return root
}

// group is a command that only holds subcommands.
func group(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Long: long, Args: noArgs, RunE: showHelp}
	c.AddCommand(subs...)
	return c
}

// showHelp is what a command that only groups others does when called alone.
func showHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// germanFlagError translates pflag's messages.
func germanFlagError(err error) error {
	msg := err.Error()
	for _, r := range [][2]string{
		{"unknown shorthand flag", "unbekannte Kurzoption"},
		{"unknown flag", "unbekannte Option"},
		{"flag needs an argument", "Option braucht einen Wert"},
		{"invalid argument", "ungültiger Wert"},
		{"bad flag syntax", "falsch geschriebene Option"},
	} {
		if strings.HasPrefix(msg, r[0]) {
			return fmt.Errorf("%s%s", r[1], strings.TrimPrefix(msg, r[0]))
		}
	}
	return err
}

// usageTemplate is cobra's help layout in German.

// noArgs refuses arguments, naming an unknown subcommand as such.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("unbekannter Befehl %q für %q", args[0], cmd.CommandPath())
	}
	return nil
}

// rangeArgs wants between lo and hi arguments, named in what.
func rangeArgs(lo, hi int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s erwartet %s (%d bis %d Angaben, %d erhalten)", cmd.CommandPath(), what, lo, hi, len(args))
		}
		return nil
	}
}

// exactArgs wants n arguments, named in what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s erwartet %s (%s, %d erhalten)", cmd.CommandPath(), what, plural(n, "Angabe", "Angaben"), len(args))
		}
		return nil
	}
}

// minArgs wants at least n arguments, named in what.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("%s erwartet %s (mindestens %s, %d erhalten)", cmd.CommandPath(), what, plural(n, "Angabe", "Angaben"), len(args))
		}
		return nil
	}
}

// out writes to the command's standard output.
func out(cmd *cobra.Command, format string, args ...any) {
	fmt.Fprintf(cmd.OutOrStdout(), format, args...)
}
