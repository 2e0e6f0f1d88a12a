// Package texts holds every word rundbrief's mails and pages say to
// recipients, one YAML file per language (de.yaml, en.yaml), so that
// staff can change them without a programmer: the files shipped here are
// the defaults, and a folder named in RUNDBRIEF_TEXTS holds the office's
// own versions of some or all of them, read when rundbrief starts.
//
// A text names what it fills in by name, in braces: {Name}, {Titel},
// {Personen}. Check finds what a file gets wrong — a key that does not
// exist, a text left out, a placeholder the text cannot have, the consent
// wording changed without a new version — each with its file and line.
//
// The consent wording (einwilligung.text) carries a version
// (einwilligung.version); the consent log stores the version a person
// agreed to, and the subscribers package keeps each version's wording.
package texts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

//go:embed de.yaml en.yaml
var shipped embed.FS

// Catalog is the texts of every language. It is read-only once loaded
// and safe for concurrent use.
type Catalog struct {
	texts map[i18n.Lang]map[string]string
	// from says where each text came from: its file and line.
	from map[i18n.Lang]map[string]Place
}

// Place is where a text stands: a file and a line.
type Place struct {
	File string
	Line int
}

func (p Place) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// Keys of the consent wording.
const (
	KeyConsentVersion = "einwilligung.version"
	KeyConsentText    = "einwilligung.text"
)

// Default returns the shipped texts. It panics if they do not parse,
// which a test rules out.
func Default() *Catalog {
	c, problems, err := Load("")
	if err != nil || len(problems) > 0 {
		panic(fmt.Sprintf("texts: the shipped texts are broken: %v %v", err, problems))
	}
	return c
}

// Load returns the shipped texts with those of the folder dir in their
// place ("" for none): dir may hold de.yaml, en.yaml or both, with some
// or all keys. The problems are what Check finds; a text with a problem
// keeps the shipped wording, so rundbrief runs on, and the caller decides
// whether to refuse (serve and worker do: see cmd).
func Load(dir string) (*Catalog, []Problem, error) {
	c := &Catalog{texts: map[i18n.Lang]map[string]string{}, from: map[i18n.Lang]map[string]Place{}}
	var problems []Problem
	for _, lang := range i18n.All() {
		name := string(lang) + ".yaml"
		data, err := shipped.ReadFile(name)
		if err != nil {
			return nil, nil, fmt.Errorf("texts: %w", err)
		}
		base, err := parse("texts/"+name, data)
		if err != nil {
			return nil, nil, err
		}
		c.texts[lang], c.from[lang] = map[string]string{}, map[string]Place{}
		for _, e := range base {
			c.texts[lang][e.key], c.from[lang][e.key] = e.text, e.at
		}
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, name)
		own, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("texts: %w", err)
		}
		entries, err := parse(path, own)
		if err != nil {
			var p Problem
			if errors.As(err, &p) {
				problems = append(problems, p)
				continue
			}
			return nil, nil, err
		}
		ps := check(entries, c.texts[lang])
		problems = append(problems, ps...)
		bad := map[string]bool{}
		for _, p := range ps {
			bad[p.Key] = true
		}
		for _, e := range entries {
			if _, known := c.texts[lang][e.key]; known && !bad[e.key] {
				c.texts[lang][e.key], c.from[lang][e.key] = e.text, e.at
			}
		}
	}
	return c, problems, nil
}

// Shipped is the shipped file of lang, as it is, for staff to copy.
func Shipped(lang i18n.Lang) []byte {
	b, _ := shipped.ReadFile(string(lang.Known()) + ".yaml")
	return b
}

// Text is the text of key in lang with vars filled in ({Name} by
// vars["Name"]). A key that does not exist is shown as such, which the
// tests rule out for the keys the code uses.
func (c *Catalog) Text(lang i18n.Lang, key string, vars ...string) string {
	s, ok := c.texts[lang.Known()][key]
	if !ok {
		return "MISSING:" + key
	}
	for i := 0; i+1 < len(vars); i += 2 {
		s = strings.ReplaceAll(s, "{"+vars[i]+"}", vars[i+1])
	}
	return s
}

// Has reports whether key exists.
func (c *Catalog) Has(key string) bool {
	_, ok := c.texts[i18n.German][key]
	return ok
}

// Section is every text whose key starts with prefix and a dot, by the
// rest of the key: Section(de, "seiten") is the pages' texts.
func (c *Catalog) Section(lang i18n.Lang, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range c.texts[lang.Known()] {
		if rest, ok := strings.CutPrefix(k, prefix+"."); ok {
			out[rest] = v
		}
	}
	return out
}

// Consent is the consent wording of lang and its version.
func (c *Catalog) Consent(lang i18n.Lang) (version, text string) {
	return c.Text(lang, KeyConsentVersion), c.Text(lang, KeyConsentText)
}

// Where says where the text of key in lang comes from.
func (c *Catalog) Where(lang i18n.Lang, key string) Place { return c.from[lang.Known()][key] }

// Keys are the keys of every text, sorted.
func (c *Catalog) Keys() []string {
	keys := make([]string, 0, len(c.texts[i18n.German]))
	for k := range c.texts[i18n.German] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// entry is one text of a file.
type entry struct {
	key, text string
	at        Place
}

// parse reads a texts file into its entries: nested keys joined by dots,
// each text with its line.
func parse(file string, data []byte) ([]entry, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			fmt.Sscan(m[1], &line)
		}
		return nil, Problem{Place: Place{file, line}, Kind: ProblemSyntax, Detail: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	var out []entry
	var walk func(prefix string, n *yaml.Node) error
	walk = func(prefix string, n *yaml.Node) error {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if prefix != "" {
					k = prefix + "." + k
				}
				if err := walk(k, n.Content[i+1]); err != nil {
					return err
				}
			}
		case yaml.ScalarNode:
			out = append(out, entry{key: prefix, text: strings.TrimRight(n.Value, "\n"), at: Place{file, n.Line}})
		default:
			return Problem{Place: Place{file, n.Line}, Key: prefix, Kind: ProblemSyntax, Detail: "a text must be one string, not a list"}
		}
		return nil
	}
	if err := walk("", doc.Content[0]); err != nil {
		return nil, err
	}
	return out, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)
