package templates

import (
	"strings"
	"testing"
)

// Staff's Markdown in mail and on pages: no raw HTML, no dangerous links,
// and no image that would load from elsewhere when the mail is opened.
func TestMarkdownRules(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // in the HTML
		not       []string
	}{
		{"image becomes a link", "![Plakat zum Talent-Campus](https://knf.example/plakat.pdf)",
			[]string{`<a href="https://knf.example/plakat.pdf">Plakat zum Talent-Campus</a>`}, []string{"<img"}},
		{"tracking pixel", "![](https://tracker.example/p.gif?u=42)", []string{`<a href="https://tracker.example/p.gif?u=42"></a>`}, []string{"<img"}},
		{"data image", "![Bild](data:image/png;base64,iVBORw0KGgo=)", []string{"Bild"}, []string{"<img", "data:", "<a "}},
		{"javascript image", "![klick](javascript:alert(1))", []string{"klick"}, []string{"javascript:", "<a "}},
		{"raw HTML", `<img src="https://tracker.example/p.gif"><script>alert(1)</script>`, nil, []string{"<img", "<script"}},
		{"javascript link", "[Jetzt anmelden](javascript:alert(1))", []string{"Jetzt anmelden"}, []string{"javascript:"}},
		{"ordinary link", "[Anmeldung](https://knf.example/anmeldung)", []string{`<a href="https://knf.example/anmeldung">Anmeldung</a>`}, nil},
	}
	m := NewMarkdown()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.HTML(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("HTML has %q:\n%s", n, got)
				}
			}
		})
	}
}

// The text part of a mail reads as plain text, not as Markdown source
// (issue 16, point 3): headings underlined, emphasis without asterisks,
// lists with dashes, links as "Text <URL>", tables aligned.
func TestMarkdownAsPlainText(t *testing.T) {
	t.Parallel()
	m := newMarkdown()
	for _, tc := range []struct{ name, in, want string }{
		{"headings", "# Rundbrief\n\n## Neues aus der Netzwerkstelle\n\nText.", "Rundbrief\n=========\n\nNeues aus der Netzwerkstelle\n----------------------------\n\nText."},
		{"emphasis and code", "Das **Jobticket** gilt _ab Januar_ ~~nicht~~ mit `Code`.", "Das Jobticket gilt ab Januar nicht mit Code."},
		{"line breaks", "Erste Zeile\nzweite Zeile", "Erste Zeile\nzweite Zeile"},
		{"list", "- Unternehmen aus dem **Landkreis**\n- Schülerinnen und Schüler\n  ab Klasse 9", "- Unternehmen aus dem Landkreis\n- Schülerinnen und Schüler\n  ab Klasse 9"},
		{"ordered and nested", "1. Anmelden\n2. Kommen\n   - pünktlich", "1. Anmelden\n2. Kommen\n   - pünktlich"},
		{"links", "Mehr unter [knf.example](https://knf.example/a) und https://knf.example/b, Mail an <info@knf.example>.",
			"Mehr unter knf.example <https://knf.example/a> und https://knf.example/b, Mail an info@knf.example."},
		{"unsafe link", "[Klick](javascript:alert(1))", "Klick"},
		{"image", "![Plakat](https://knf.example/p.jpg)", "Plakat <https://knf.example/p.jpg>"},
		{"raw HTML", "Vor <b>fett</b> nach\n\n<div>Block</div>", "Vor fett nach"},
		{"quote", "> Zitat\n> zweite Zeile", "> Zitat\n> zweite Zeile"},
		{"table", "| Termin | Was |\n|---|---|\n| 18.03. | Job-Speeddating |\n| 5.7. | Talent-Campus |",
			"Termin  Was\n------  ---------------\n18.03.  Job-Speeddating\n5.7.    Talent-Campus"},
		{"rule", "Oben\n\n---\n\nUnten", "Oben\n\n----------\n\nUnten"},
	} {
		if got := m.plainText(tc.in); got != tc.want {
			t.Errorf("%s:\ngot\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}
