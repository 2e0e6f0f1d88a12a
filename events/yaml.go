package events

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// MaxYAMLBytes caps an event file.
const MaxYAMLBytes = 256 << 10

// eventFile is an event as staff write it in YAML. Times are strings, so a
// wrong one can be named by its field.
type eventFile struct {
	Slug         string   `yaml:"slug"`
	Title        string   `yaml:"title"`
	Description  string   `yaml:"description"`
	Start        string   `yaml:"start"`
	End          string   `yaml:"end"`
	Place        string   `yaml:"place"`
	Address      string   `yaml:"address"`
	Online       string   `yaml:"online"`
	Organiser    string   `yaml:"organiser"`
	Partners     []string `yaml:"partners"`
	Kinds        []string `yaml:"kinds"`
	Topics       []string `yaml:"topics"`
	Capacity     int      `yaml:"capacity"`
	PartyMax     int      `yaml:"party_max"`
	Registration bool     `yaml:"registration"`
	Deadline     string   `yaml:"deadline"`
	Reminders    []string `yaml:"reminders"`
}

// ErrYAML is wrapped by every error of ParseYAML that is about the file's
// form rather than a field's value.
var ErrYAML = errors.New("events: the event file is not valid")

// ParseYAML reads an event from YAML and checks it (Spec.Check). Unknown
// keys, values of the wrong type and bad values are errors that name the
// field, and the line where the file says where.
func ParseYAML(r io.Reader) (Spec, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxYAMLBytes+1))
	if err != nil {
		return Spec{}, fmt.Errorf("events: read: %w", err)
	}
	if len(data) > MaxYAMLBytes {
		return Spec{}, fmt.Errorf("%w: größer als %d KiB", ErrYAML, MaxYAMLBytes>>10)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f eventFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return Spec{}, fmt.Errorf("%w: die Datei ist leer", ErrYAML)
		}
		return Spec{}, fmt.Errorf("%w: %s", ErrYAML, germanYAMLError(err))
	}
	var errs InvalidFields
	spec := Spec{
		Slug: f.Slug, Title: f.Title, Description: f.Description,
		PlaceName: f.Place, PlaceAddress: f.Address, OnlineURL: f.Online, Organiser: f.Organiser,
		Partners: f.Partners, Topics: f.Topics, Capacity: f.Capacity, PartyMax: f.PartyMax, Registration: f.Registration,
	}
	for _, k := range f.Kinds {
		spec.Kinds = append(spec.Kinds, subscribers.Kind(k))
	}
	parseTime := func(field, v string) time.Time {
		if strings.TrimSpace(v) == "" {
			return time.Time{}
		}
		t, err := ParseTime(v)
		if err != nil {
			errs = append(errs, FieldError{field, err})
		}
		return t
	}
	spec.Start = parseTime("start", f.Start)
	spec.End = parseTime("end", f.End)
	if d := parseTime("deadline", f.Deadline); !d.IsZero() {
		spec.Deadline = &d
	}
	if f.Reminders != nil {
		spec.Reminders = []time.Duration{}
		for _, r := range f.Reminders {
			d, err := ParseOffset(r)
			if err != nil {
				errs = append(errs, FieldError{"reminders", err})
				continue
			}
			spec.Reminders = append(spec.Reminders, d)
		}
	}
	return spec.CheckWith(errs)
}

var (
	yamlUnknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
	yamlWrongType    = regexp.MustCompile("line (\\d+): cannot unmarshal !!(\\w+) `([^`]*)` into (\\S+)")
	yamlLine         = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// germanYAMLError says what the YAML library found, in German, naming the
// field and line.
func germanYAMLError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		parts := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			switch {
			case yamlUnknownField.MatchString(e):
				m := yamlUnknownField.FindStringSubmatch(e)
				parts = append(parts, fmt.Sprintf("Zeile %s: unbekanntes Feld „%s“ (möglich: slug, title, description, start, end, place, address, online, organiser, partners, kinds, topics, capacity, registration, deadline, reminders)", m[1], m[2]))
			case yamlWrongType.MatchString(e):
				m := yamlWrongType.FindStringSubmatch(e)
				parts = append(parts, fmt.Sprintf("Zeile %s: „%s“ passt nicht (erwartet: %s)", m[1], m[3], goTypeInGerman(m[4])))
			default:
				parts = append(parts, e)
			}
		}
		return strings.Join(parts, "; ")
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("Zeile %s: %s (Einrückung und Doppelpunkte prüfen)", m[1], m[2])
	}
	return err.Error()
}

func goTypeInGerman(t string) string {
	switch t {
	case "int":
		return "eine ganze Zahl"
	case "bool":
		return "true oder false"
	case "[]string":
		return "eine Liste, z. B. [Schule, Familie]"
	case "string":
		return "ein Text"
	}
	return t
}
