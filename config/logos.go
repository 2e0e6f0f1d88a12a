package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/knf-nordhausen/rundbrief/internal/picture"
)

// Logo is a picture every mail carries inline: the office's logo
// (RUNDBRIEF_LOGO) or one of the footer's (RUNDBRIEF_FOOTER_LOGOS), such
// as the EU emblem an ESF-funded office must show.
type Logo struct {
	ContentID     string // "logo@rundbrief", "fusszeile-1@rundbrief"
	Name          string // file name in the mail
	ContentType   string // image/png or image/jpeg
	Data          []byte
	Width, Height int
	Alt, Caption  string
}

// maxLogoWidth is the widest a logo file is kept; wider ones are scaled
// down (they are shown 48 pixels high).
const maxLogoWidth = 600

// maxLogoBytes is the largest a logo may be once scaled: every mail
// carries it.
const maxLogoBytes = 200 << 10

// Logos are the parsed RUNDBRIEF_LOGO and RUNDBRIEF_FOOTER_LOGOS: the
// header's logo (nil for none) and the footer's.
func (c *Config) Logos() (*Logo, []Logo) { return c.logo, c.footerLogos }

// loadLogos reads the logo files; fail reports a wrong variable.
func (c *Config) loadLogos(fail func(string, error)) {
	if p := strings.TrimSpace(c.Logo); p != "" {
		l, err := readLogo(p, "logo@rundbrief")
		if err != nil {
			fail("RUNDBRIEF_LOGO", err)
		} else {
			l.Alt = c.Name
			c.logo = &l
		}
	}
	if strings.TrimSpace(c.FooterLogos) == "" {
		return
	}
	for i, entry := range strings.Split(c.FooterLogos, ";") {
		parts := strings.Split(entry, "|")
		if strings.TrimSpace(entry) == "" {
			continue
		}
		if len(parts) < 2 || len(parts) > 3 || strings.TrimSpace(parts[1]) == "" {
			fail("RUNDBRIEF_FOOTER_LOGOS", fmt.Errorf("„%s“: erwartet DATEI|Alternativtext oder DATEI|Alternativtext|Beschriftung, mehrere durch ; getrennt, z. B. %q",
				entry, "/etc/rundbrief/eu-emblem.png|Kofinanziert von der Europäischen Union"))
			return
		}
		l, err := readLogo(strings.TrimSpace(parts[0]), fmt.Sprintf("fusszeile-%d@rundbrief", i+1))
		if err != nil {
			fail("RUNDBRIEF_FOOTER_LOGOS", err)
			return
		}
		l.Alt = strings.TrimSpace(parts[1])
		if len(parts) == 3 {
			l.Caption = strings.TrimSpace(parts[2])
		}
		if strings.ContainsAny(l.Alt+l.Caption, "\r\n") {
			fail("RUNDBRIEF_FOOTER_LOGOS", errors.New("Alternativtext und Beschriftung müssen je eine Zeile sein"))
			return
		}
		c.footerLogos = append(c.footerLogos, l)
	}
}

// readLogo reads and checks the picture at path.
func readLogo(path, contentID string) (Logo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Logo{}, fmt.Errorf("%s lässt sich nicht lesen (%v); bitte den Pfad zu einer PNG- oder JPEG-Datei angeben", path, errors.Unwrap(err))
	}
	p, err := picture.Prepare(data, maxLogoWidth)
	switch {
	case errors.Is(err, picture.ErrType):
		return Logo{}, fmt.Errorf("%s ist keine PNG- oder JPEG-Datei (andere Formate zeigen nicht alle Mailprogramme)", path)
	case err != nil:
		return Logo{}, fmt.Errorf("%s lässt sich nicht als Bild lesen oder ist zu groß", path)
	case len(p.Data) > maxLogoBytes:
		return Logo{}, fmt.Errorf("%s ist %d KiB groß; jede Mail trägt das Logo, höchstens %d KiB", path, len(p.Data)>>10, maxLogoBytes>>10)
	}
	ext := ".png"
	if p.ContentType == "image/jpeg" {
		ext = ".jpg"
	}
	name := strings.TrimSuffix(contentID, "@rundbrief") + ext
	return Logo{ContentID: contentID, Name: name, ContentType: p.ContentType, Data: p.Data, Width: p.Width, Height: p.Height}, nil
}
