package texts

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// The shipped files parse, have the same keys in both languages, and each
// text has the same placeholders in both.
func TestShippedTexts(t *testing.T) {
	c := Default()
	de, en := c.texts[i18n.German], c.texts[i18n.English]
	if len(de) < 150 {
		t.Fatalf("only %d German texts", len(de))
	}
	for k, v := range de {
		w, ok := en[k]
		if !ok {
			t.Errorf("%s has no English text", k)
			continue
		}
		a, b := placeholders(v), placeholders(w)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: placeholders %v in German, %v in English", k, a, b)
		}
	}
	for k := range en {
		if _, ok := de[k]; !ok {
			t.Errorf("%s has no German text", k)
		}
	}
	if v, text := c.Consent(i18n.German); v == "" || text == "" {
		t.Error("no consent wording")
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A folder of the office's own texts replaces the shipped ones it names;
// what Check finds wrong is named with file and line, and such a text
// keeps the shipped wording.
func TestOwnTexts(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "de.yaml", `mails:
  gruss: "Herzliche Grüße aus Nordhausen"
  einladung:
    betreff: "Sie sind eingeladen: {Titel}"
    knopf: "Anmelden {Vorname}"
  unbekannt: "x"
  anrede:
    frau: "Liebe Frau {Nachname},"
`)
	c, problems, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Text(i18n.German, "mails.gruss"); got != "Herzliche Grüße aus Nordhausen" {
		t.Errorf("own text: %q", got)
	}
	if got := c.Text(i18n.German, "mails.einladung.betreff", "Titel", "Job-Speeddating"); got != "Sie sind eingeladen: Job-Speeddating" {
		t.Errorf("own text with a placeholder: %q", got)
	}
	if got := c.Text(i18n.German, "mails.einladung.knopf"); got != "Jetzt anmelden" {
		t.Errorf("a text with a wrong placeholder is %q, want the shipped one", got)
	}
	if got := c.Text(i18n.English, "mails.gruss"); got != "Kind regards" {
		t.Errorf("English without an own file: %q", got)
	}
	want := []Problem{
		{Place: Place{filepath.Join(dir, "de.yaml"), 5}, Key: "mails.einladung.knopf", Kind: ProblemPlaceholder, Detail: "Vorname"},
		{Place: Place{filepath.Join(dir, "de.yaml"), 6}, Key: "mails.unbekannt", Kind: ProblemUnknownKey},
	}
	if !slices.Equal(problems, want) {
		t.Errorf("problems\n got %+v\nwant %+v", problems, want)
	}
}

// The consent wording may not change under the same version, neither the
// shipped one nor one the consent log has stored.
func TestConsentNeedsANewVersion(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "de.yaml", "einwilligung:\n  text: \"Ja, schickt mir alles.\"\n")
	ps, err := Check(dir, nil)
	if err != nil || len(ps) != 1 || ps[0].Kind != ProblemConsentVersion || ps[0].Line != 2 {
		t.Errorf("changed wording, same version: %+v %v", ps, err)
	}
	write(t, dir, "de.yaml", "einwilligung:\n  version: \"2027-01-15\"\n  text: \"Ja, schickt mir alles.\"\n")
	if ps, err := Check(dir, nil); err != nil || len(ps) != 0 {
		t.Errorf("changed wording, new version: %+v %v", ps, err)
	}
	stored := map[i18n.Lang]map[string]string{i18n.German: {"2027-01-15": "Ja, schickt mir den Rundbrief."}}
	if ps, err := Check(dir, stored); err != nil || len(ps) != 1 || ps[0].Kind != ProblemConsentVersion {
		t.Errorf("a version in use with other wording: %+v %v", ps, err)
	}
}

func TestBrokenFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "en.yaml", "mails:\n  gruss: \"Kind regards\n  knopf: x\n")
	_, problems, err := Load(dir)
	if err != nil || len(problems) != 1 || problems[0].Kind != ProblemSyntax || problems[0].Line == 0 {
		t.Errorf("broken YAML: %+v %v", problems, err)
	}
}
