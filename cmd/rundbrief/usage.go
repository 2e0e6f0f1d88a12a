package main

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
)

// usageTemplate is the help's usage part in German: cobra's own, with its
// words and the flags' types and defaults translated (see flagUsages).
const usageTemplate = `Aufruf:{{if .Runnable}}
  {{useLine .}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} BEFEHL{{end}}{{if gt (len .Aliases) 0}}

Auch:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Beispiele:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Befehle:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Optionen:
{{flagUsages .LocalFlags.FlagUsages}}{{end}}{{if .HasAvailableInheritedFlags}}

Allgemeine Optionen:
{{flagUsages .InheritedFlags.FlagUsages}}{{end}}{{if .HasAvailableSubCommands}}

Mehr zu einem Befehl: {{.CommandPath}} BEFEHL --help{{end}}
`

var usageTmpl = template.Must(template.New("usage").Funcs(template.FuncMap{
	"useLine":    useLine,
	"flagUsages": flagUsages,
	"rpad":       func(s string, n int) string { return fmt.Sprintf("%-*s", n, s) },
}).Parse(usageTemplate))

// writeUsage writes c's usage in German; the root sets it for every
// command (cobra.Command.SetUsageFunc), so that help and errors agree.
func writeUsage(c *cobra.Command) error {
	return usageTmpl.Execute(c.OutOrStderr(), c)
}

// useLine is cobra's UseLine with "[Optionen]" for "[flags]".
func useLine(c *cobra.Command) string {
	line := c.Use
	if c.HasParent() {
		line = c.Parent().CommandPath() + " " + c.Use
	}
	if c.HasAvailableFlags() && !strings.Contains(line, "[Optionen]") && !strings.Contains(line, "[--") {
		line += " [Optionen]"
	}
	return line
}

var (
	flagLine    = regexp.MustCompile(`^\s*((?:-\w, )?--[\w-]+)(?: (\w+))?\s{2,}(.*)$`)
	flagTypes   = map[string]string{"string": "TEXT", "strings": "LISTE", "stringSlice": "LISTE", "int": "ZAHL", "duration": "DAUER"}
	flagDefault = regexp.MustCompile(`\(default (.*)\)$`)
)

// flagUsages is pflag's list of flags in German: the types of values
// ("TEXT", "ZAHL", "LISTE") and "(Vorgabe: …)" for "(default …)", aligned
// anew.
func flagUsages(s string) string {
	type flag struct{ name, usage string }
	var (
		flags []flag
		width int
	)
	for _, l := range strings.Split(strings.TrimRight(s, " \n"), "\n") {
		m := flagLine.FindStringSubmatch(l)
		if m == nil {
			if len(flags) > 0 { // a usage's second line
				flags[len(flags)-1].usage += "\n" + strings.TrimSpace(l)
			}
			continue
		}
		name := m[1]
		if !strings.HasPrefix(name, "-") || strings.HasPrefix(name, "--") {
			name = "    " + name
		}
		if m[2] != "" {
			t, ok := flagTypes[m[2]]
			if !ok {
				t = strings.ToUpper(m[2])
			}
			name += " " + t
		}
		flags = append(flags, flag{name, flagDefault.ReplaceAllString(strings.TrimSpace(m[3]), "(Vorgabe: $1)")})
		width = max(width, len([]rune(name)))
	}
	var b strings.Builder
	for i, f := range flags {
		if i > 0 {
			b.WriteByte('\n')
		}
		pad := strings.Repeat(" ", width-len([]rune(f.name))+3)
		b.WriteString("  " + f.name + pad + strings.ReplaceAll(f.usage, "\n", "\n  "+strings.Repeat(" ", width+3)))
	}
	return b.String()
}
