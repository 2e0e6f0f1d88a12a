package templates

import (
	"fmt"
	"strings"
)

// Placeholders are written "rbvar-NAME-rbvar": letters, digits, '-' and '_'
// only, so that html/template's URL and HTML escaping, the CSS inliner and
// html2text all leave them as they are.
const (
	phOpen  = "rbvar-"
	phClose = "-rbvar"
)

// The variables of a layout. The static ones are filled in when a layout is
// compiled, the others for each recipient.
const (
	varSubject      = "subject"       // static
	varImpressumURL = "impressum_url" // static
	varPrivacyURL   = "privacy_url"   // static
	varBody         = "body"          // static, filled in as it is: the mail's own text
	varPreheader    = "preheader"     // static: the inbox preview's first line

	varGreeting       = "greeting"
	varConfirmURL     = "confirm_url"
	varPreferencesURL = "preferences_url"
	varUnsubscribeURL = "unsubscribe_url"
	varTopics         = "topics"
	varRegisterURL    = "register_url"
	varCancelURL      = "cancel_url"
)

func placeholder(name string) string { return phOpen + name + phClose }

// compiled is a rendered part split at its per-recipient placeholders:
// literal[0] var[0] literal[1] var[1] ... literal[n].
type compiled struct {
	literal []string
	vars    []string
	escape  func(string) string
	size    int // bytes of literal text, to size the output
}

// compile splits s at its placeholders, filling in the static ones now:
// those in static escaped with escape, those in raw as they are (text that
// is already HTML, or already plain). A placeholder whose name is not a
// known variable is an error: it would otherwise reach a subscriber's inbox.
//
// Raw values are searched for placeholders in turn, so that a mail's own
// body can hold the recipient's links; staff's text in them is defused
// first (see defuse), so a placeholder written in a description stays
// text.
func compile(s string, static, raw map[string]string, escape func(string) string) (compiled, error) {
	dynamic := map[string]bool{varGreeting: true, varConfirmURL: true, varPreferencesURL: true,
		varUnsubscribeURL: true, varTopics: true, varRegisterURL: true, varCancelURL: true}
	c := compiled{escape: escape}
	var lit strings.Builder
	for {
		i := strings.Index(s, phOpen)
		if i < 0 {
			lit.WriteString(s)
			break
		}
		j := strings.Index(s[i+len(phOpen):], phClose)
		if j < 0 {
			return c, fmt.Errorf("templates: unterminated placeholder at %q", truncate(s[i:], 40))
		}
		name := s[i+len(phOpen) : i+len(phOpen)+j]
		lit.WriteString(s[:i])
		s = s[i+len(phOpen)+j+len(phClose):]
		if v, ok := static[name]; ok {
			lit.WriteString(escape(v))
			continue
		}
		if v, ok := raw[name]; ok {
			s = v + s
			delete(raw, name) // once: a value cannot hold itself
			continue
		}
		if !dynamic[name] {
			return c, fmt.Errorf("templates: unknown placeholder %q", name)
		}
		c.literal = append(c.literal, lit.String())
		c.size += lit.Len()
		c.vars = append(c.vars, name)
		lit.Reset()
	}
	c.literal = append(c.literal, lit.String())
	c.size += lit.Len()
	return c, nil
}

// fill joins the literal text with the escaped values of the variables.
func (c compiled) fill(vals map[string]string) string {
	var b strings.Builder
	b.Grow(c.size + 512)
	for i, name := range c.vars {
		b.WriteString(c.literal[i])
		b.WriteString(c.escape(vals[name]))
	}
	b.WriteString(c.literal[len(c.literal)-1])
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
