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
