package templates

import (
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/htmltest"
)

// FuzzMarkdownMail renders staff's Markdown and titles as a newsletter and
// an invitation: never a panic, never markup or script from the input in
// the HTML part, never a placeholder from the input filled in, and the
// HTML still parses.
func FuzzMarkdownMail(f *testing.F) {
	for _, s := range []string{
		"## Neues\n\nDas **Jobticket** gilt ab Januar.",
		"<script>alert(1)</script>",
		"[klick](javascript:alert(1)) <img src=x onerror=alert(1)>",
		"rbvar-greeting-rbvar rbvar-unknown-rbvar rbvar-",
		"| a | b |\n|---|---|\n| <b>x</b> | y |",
		"```\n<script>\n```",
		"<a href=\"https://knf.example\" onclick=\"x()\">a</a>",
		"\x00\r\n\u2028",
	} {
		f.Add(s, "Rundbrief Dezember")
	}
	r, err := NewRenderer(testBrand(), 7*24*3600e9)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, title string) {
		if strings.TrimSpace(body) == "" || strings.TrimSpace(title) == "" {
			return
		}
		nl, err := r.Newsletter(Newsletter{Subject: title, Body: body}, i18n.German)
		if err != nil {
			return // refused (e.g. a control character in the subject) is fine
		}
		inv := testInvitation(t)
		inv.Title, inv.Description = title, body
		il, err := r.Invitation(inv, i18n.English)
		if err != nil {
			return
		}
		for _, l := range []*Layout{nl, il} {
			m := l.Render(Vars{Name: "Anna", PreferencesURL: "https://x.example/p", UnsubscribeURL: "https://x.example/u", RegisterURL: "https://x.example/r", CancelURL: "https://x.example/c"})
			if bad := htmltest.Injected(m.HTML, "form", "input"); bad != "" {
				t.Fatalf("the mail has %s:\n%s", bad, m.HTML)
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Fatalf("subject with a line break: %q", m.Subject)
			}
		}
	})
}
