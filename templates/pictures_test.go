package templates

import (
	"errors"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

func TestEmbedPictures(t *testing.T) {
	src := "# Preisverleihung\n\n![Die Preisträgerinnen](bilder/preis.jpg \"Foto: KNF\")\n\nText und ![Logo](<logo mit leer.png>).\n\n![schon da](cid:bild-9@rundbrief)\n"
	var loaded []string
	got, err := EmbedPictures(src, func(path, alt string) (string, error) {
		loaded = append(loaded, path+"|"+alt)
		return "cid:bild-" + string(rune('0'+len(loaded))) + "@rundbrief", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "# Preisverleihung\n\n![Die Preisträgerinnen](cid:bild-1@rundbrief \"Foto: KNF\")\n\nText und ![Logo](cid:bild-2@rundbrief).\n\n![schon da](cid:bild-9@rundbrief)\n"
	if got != want || strings.Join(loaded, ",") != "bilder/preis.jpg|Die Preisträgerinnen,logo mit leer.png|Logo" {
		t.Errorf("got %q\nwant %q\nloaded %v", got, want, loaded)
	}
	for _, remote := range []string{"https://tracker.example/pixel.gif", "//cdn.example/a.png", "data:image/png;base64,AAAA"} {
		_, err := EmbedPictures("![x]("+remote+")", func(string, string) (string, error) { return "", nil })
		var re *RemotePictureError
		if !errors.As(err, &re) || re.URL != remote {
			t.Errorf("%s: %v, want a RemotePictureError", remote, err)
		}
	}
}

// A picture the newsletter carries is shown from its Content-ID, no wider
// than the body, with its alt text; any other image stays a link, and the
// text part names the picture by its alt text.
func TestNewsletterShowsItsPictures(t *testing.T) {
	r := newTestRenderer(t)
	l, err := r.Newsletter(Newsletter{Subject: "Rundbrief", Body: "Liebe Partnerinnen und Partner,\n\n![Die Preisträgerinnen](cid:bild-1@rundbrief)\n\n![fremd](cid:unbekannt@x)",
		Pictures: map[string]Picture{"bild-1@rundbrief": {Width: 1200, Height: 800}}}, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	m := l.Render(testVars())
	if !strings.Contains(m.HTML, `<img src="cid:bild-1@rundbrief" alt="Die Preisträgerinnen" width="520" height="346"`) {
		t.Errorf("HTML lacks the picture:\n%s", m.HTML)
	}
	if strings.Contains(m.HTML, "cid:unbekannt") {
		t.Errorf("HTML shows a picture the mail does not carry")
	}
	if !strings.Contains(m.Text, "Die Preisträgerinnen") || strings.Contains(m.Text, "cid:") {
		t.Errorf("text part:\n%s", m.Text)
	}
}
