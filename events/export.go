package events

import (
	"context"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/knf-nordhausen/rundbrief/postgres"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Delete removes the draft event with slug, with its topics and reminders.
// It returns ErrNotDraft for an event published or cancelled and
// ErrHasCampaigns while a campaign about it exists (delete that first).
func (s *Store) Delete(ctx context.Context, slug string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM events WHERE slug = $1 AND status = 'draft'`, slug)
	if postgres.IsForeignKeyViolation(err) {
		return ErrHasCampaigns
	}
	if err != nil {
		return fmt.Errorf("events: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Get(ctx, slug); err != nil {
			return err
		}
		return ErrNotDraft
	}
	return nil
}

// yamlFile is an event as WriteYAML writes it: the keys ParseYAML reads,
// the empty ones left out.
type yamlFile struct {
	Slug          string        `yaml:"slug"`
	Title         string        `yaml:"title"`
	Start         string        `yaml:"start"`
	End           string        `yaml:"end"`
	Place         string        `yaml:"place,omitempty"`
	Address       string        `yaml:"address,omitempty"`
	Online        string        `yaml:"online,omitempty"`
	Organiser     string        `yaml:"organiser,omitempty"`
	Partners      []string      `yaml:"partners,omitempty"`
	Kinds         []string      `yaml:"kinds,flow"`
	Topics        []string      `yaml:"topics,flow"`
	Registration  bool          `yaml:"registration"`
	Capacity      int           `yaml:"capacity,omitempty"`
	PartyMax      int           `yaml:"party_max,omitempty"`
	Deadline      string        `yaml:"deadline,omitempty"`
	Reminders     []string      `yaml:"reminders,flow"`
	LastCall      string        `yaml:"last_call,omitempty"`
	Sessions      []string      `yaml:"termine,omitempty"`
	ForWhom       string        `yaml:"für_wen,omitempty"`
	Contact       *Contact      `yaml:"kontakt,omitempty"`
	Description   string        `yaml:"description,omitempty"`
	TitleEN       string        `yaml:"title_en,omitempty"`
	ForWhomEN     string        `yaml:"für_wen_en,omitempty"`
	DescriptionEN string        `yaml:"description_en,omitempty"`
	Names         string        `yaml:"namen,omitempty"`
	Questions     []Question    `yaml:"fragen,omitempty"`
	FollowUp      *followUpFile `yaml:"nachbereitung,omitempty"`
}

// timeLayout is how an event file writes a time (Europe/Berlin).
const timeLayout = "2006-01-02 15:04"

// WriteYAML writes spec as an event file that ParseYAML reads back to the
// same spec. kindName writes a kind as staff read it (nil: the code).
func WriteYAML(w io.Writer, spec Spec, kindName func(subscribers.Kind) string) error {
	f := yamlFile{
		Slug: spec.Slug, Title: spec.Title,
		Start: spec.Start.In(Berlin()).Format(timeLayout), End: spec.End.In(Berlin()).Format(timeLayout),
		Place: spec.PlaceName, Address: spec.PlaceAddress, Online: spec.OnlineURL, Organiser: spec.Organiser,
		Partners: spec.Partners, Topics: append([]string{}, spec.Topics...), Registration: spec.Registration,
		Capacity: spec.Capacity, PartyMax: spec.PartyMax, Description: spec.Description,
		Kinds: []string{}, Reminders: []string{},
		ForWhom: spec.ForWhom, TitleEN: spec.TitleEN, ForWhomEN: spec.ForWhomEN, DescriptionEN: spec.DescriptionEN,
		Names: string(spec.Names), Questions: spec.Questions,
	}
	if fu := spec.FollowUp; fu != nil {
		f.FollowUp = &followUpFile{After: FormatOffset(fu.After), Subject: fu.Subject, Body: fu.Body}
	}
	if !spec.Contact.IsZero() {
		c := spec.Contact
		f.Contact = &c
	}
	for _, x := range spec.Sessions {
		f.Sessions = append(f.Sessions, FormatSession(x))
	}
	for _, k := range spec.Kinds {
		if kindName != nil {
			f.Kinds = append(f.Kinds, kindName(k))
		} else {
			f.Kinds = append(f.Kinds, string(k))
		}
	}
	if spec.Deadline != nil {
		f.Deadline = spec.Deadline.In(Berlin()).Format(timeLayout)
	}
	for _, r := range spec.Reminders {
		f.Reminders = append(f.Reminders, FormatOffset(r))
	}
	if spec.LastCall > 0 {
		f.LastCall = FormatOffset(spec.LastCall)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("events: write YAML: %w", err)
	}
	return enc.Close()
}
