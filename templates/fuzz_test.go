package templates

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
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
		nl, err := r.Newsletter(Newsletter{Subject: title, Body: body}, German)
		if err != nil {
			return // refused (e.g. a control character in the subject) is fine
		}
		inv := testInvitation(t)
		inv.Title, inv.Description = title, body
		il, err := r.Invitation(inv, English)
		if err != nil {
			return
		}
		for _, l := range []*Layout{nl, il} {
			m := l.Render(Vars{Name: "Anna", PreferencesURL: "https://x.example/p", UnsubscribeURL: "https://x.example/u", RegisterURL: "https://x.example/r", CancelURL: "https://x.example/c"})
			checkNoInjectedMarkup(t, m.HTML)
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Fatalf("subject with a line break: %q", m.Subject)
			}
		}
	})
}

// checkNoInjectedMarkup parses the mail's HTML and fails on elements or
// attributes that the layout never has: script, event handlers,
// javascript: links, images from the input.
func checkNoInjectedMarkup(t *testing.T, doc string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "script", "img", "iframe", "object", "embed", "form", "input", "svg", "math":
				t.Fatalf("the mail has a <%s> element:\n%s", name, doc)
			}
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				k, v := strings.ToLower(string(key)), strings.ToLower(strings.TrimSpace(string(val)))
				if strings.HasPrefix(k, "on") {
					t.Fatalf("the mail has an event handler %s=%q", k, v)
				}
				if (k == "href" || k == "src") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:")) {
					t.Fatalf("the mail has a %s link %q", k, v)
				}
			}
		}
	}
}
