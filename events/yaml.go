package events

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
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
	LastCall     string   `yaml:"last_call"`
	// The words for English subscribers, whom the event is for in
	// people's words, the contact person, the sessions.
	TitleEN       string   `yaml:"title_en"`
	DescriptionEN string   `yaml:"description_en"`
	ForWhom       string   `yaml:"für_wen"`
	ForWhomEN     string   `yaml:"für_wen_en"`
	Contact       Contact  `yaml:"kontakt"`
	Sessions      []string `yaml:"termine"`
	// What a registration is asked.
	Questions []Question `yaml:"fragen"`
	Names     string     `yaml:"namen"`
	// The follow-up sent after the event.
	FollowUp *followUpFile `yaml:"nachbereitung"`
}

// followUpFile is a follow-up as staff write it.
type followUpFile struct {
	After   string `yaml:"nach"`
	Subject string `yaml:"betreff"`
	Body    string `yaml:"text"`
}

// ParseYAML reads an event from YAML and checks it (Spec.Check). Unknown
// keys, values of the wrong type and bad values are errors that name the
// field, and the line where the file says where.
func ParseYAML(r io.Reader) (Spec, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxYAMLBytes+1))
	if err != nil {
		return Spec{}, fmt.Errorf("events: read: %w", err)
	}
	if len(data) > MaxYAMLBytes {
		return Spec{}, FileErrors{{Problem: ProblemFileTooLarge, Limit: MaxYAMLBytes >> 10}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f eventFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return Spec{}, FileErrors{{Problem: ProblemFileEmpty}}
		}
		return Spec{}, fileErrors(err)
	}
	var errs InvalidFields
	spec := Spec{
		Slug: f.Slug, Title: f.Title, Description: f.Description,
		PlaceName: f.Place, PlaceAddress: f.Address, OnlineURL: f.Online, Organiser: f.Organiser,
		Partners: f.Partners, Topics: f.Topics, Capacity: f.Capacity, PartyMax: f.PartyMax, Registration: f.Registration,
		TitleEN: f.TitleEN, DescriptionEN: f.DescriptionEN, ForWhom: f.ForWhom, ForWhomEN: f.ForWhomEN, Contact: f.Contact,
		Questions: f.Questions, Names: Names(strings.TrimSpace(f.Names)),
	}
	// failed records err, a FieldError without its field, for field.
	failed := func(field string, err error) bool {
		fe, ok := errors.AsType[FieldError](err)
		if ok {
			fe.Field = field
			errs = append(errs, fe)
		}
		return ok
	}
	for _, x := range f.Sessions {
		if session, err := ParseSession(x); !failed("termine", err) {
			spec.Sessions = append(spec.Sessions, session)
		}
	}
	for _, k := range f.Kinds {
		spec.Kinds = append(spec.Kinds, subscribers.Kind(k))
	}
	parseTime := func(field, v string) time.Time {
		if strings.TrimSpace(v) == "" {
			return time.Time{}
		}
		t, err := ParseTime(v)
		failed(field, err)
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
			if d, err := ParseOffset(r); !failed("reminders", err) {
				spec.Reminders = append(spec.Reminders, d)
			}
		}
	}
	if f.FollowUp != nil {
		spec.FollowUp = &FollowUp{Subject: f.FollowUp.Subject, Body: f.FollowUp.Body}
		if strings.TrimSpace(f.FollowUp.After) == "" {
			errs = append(errs, FieldError{Field: "nachbereitung.nach", Problem: ProblemMissing})
		} else if d, err := ParseOffset(f.FollowUp.After); !failed("nachbereitung.nach", err) {
			spec.FollowUp.After = d
		}
	}
	if strings.TrimSpace(f.LastCall) != "" {
		d, err := ParseOffset(f.LastCall)
		failed("last_call", err)
		spec.LastCall = d
	}
	return spec.CheckWith(errs)
}

var (
	yamlUnknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
	yamlWrongType    = regexp.MustCompile("line (\\d+): cannot unmarshal !!(\\w+) `([^`]*)` into (\\S+)")
	yamlLine         = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// fileErrors reads what the YAML library found into FileErrors, with the
// line and the key or value at fault.
func fileErrors(err error) FileErrors {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make(FileErrors, 0, len(te.Errors))
		for _, e := range te.Errors {
			if m := yamlUnknownField.FindStringSubmatch(e); m != nil {
				out = append(out, FileError{Line: atoi(m[1]), Problem: ProblemUnknownKey, Value: m[2]})
			} else if m := yamlWrongType.FindStringSubmatch(e); m != nil {
				out = append(out, FileError{Line: atoi(m[1]), Problem: ProblemWrongType, Value: m[3], Want: m[4]})
			} else {
				out = append(out, FileError{Problem: ProblemSyntax, Value: e})
			}
		}
		return out
	}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return FileErrors{{Line: atoi(m[1]), Problem: ProblemSyntax, Value: m[2]}}
	}
	return FileErrors{{Problem: ProblemSyntax, Value: err.Error()}}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
