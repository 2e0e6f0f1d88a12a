package subscribers

import (
	"fmt"
	"strings"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

// rowParser checks the rows of one import file.
type rowParser struct {
	opts   ImportOptions
	cols   map[Field]int
	header []string
	known  map[string]Topic
}

// get returns the trimmed value of field in rec, and whether the file has
// that column.
func (p *rowParser) get(rec []string, field Field) (string, bool) {
	i, ok := p.cols[field]
	if !ok {
		return "", false
	}
	if i >= len(rec) {
		return "", true
	}
	return strings.TrimSpace(rec[i]), true
}

// column is the header of the column a field's problem is reported in, or ""
// if the file has no such column (the problem concerns the whole row).
func (p *rowParser) column(field Field) string {
	if field == FieldName {
		field = p.nameField()
	}
	i, ok := p.cols[field]
	if !ok {
		return ""
	}
	return strings.TrimSpace(p.header[i])
}

// row checks one record: a valid row, or its problems recorded in ir.
// A blank record is neither.
func (p *rowParser) row(ir *ImportReader, line int, rec []string) (ImportRow, bool) {
	if blank(rec) {
		return ImportRow{}, false // Excel writes ";;;;" for rows that once held something
	}
	if len(rec) > len(p.header) && !blank(rec[len(p.header):]) {
		ir.problem(&RowError{Line: line, Err: fmt.Errorf(
			"%w (%d fields, %d columns): a %q inside a field that is not in quotes?", ErrExtraFields, len(rec), len(p.header), ir.delimiter)})
		return ImportRow{}, false
	}
	raw := NewSubscriber{Kind: p.opts.DefaultKind}
	raw.Email, _ = p.get(rec, FieldEmail)
	raw.Name, _ = p.get(rec, FieldName)
	if raw.Name == "" {
		first, _ := p.get(rec, FieldFirstName)
		last, _ := p.get(rec, FieldLastName)
		raw.Name = strings.TrimSpace(first + " " + last)
	}
	raw.Organisation, _ = p.get(rec, FieldOrganisation)
	if kind, _ := p.get(rec, FieldKind); kind != "" {
		raw.Kind = Kind(kind)
	}
	lang, _ := p.get(rec, FieldLanguage)
	raw.Language = i18n.Lang(lang)
	topics, _ := p.get(rec, FieldTopics)
	raw.Topics = splitTopics(topics)
	salutation, _ := p.get(rec, FieldSalutation)
	raw.Salutation = Salutation(salutation)
	raw.Phone, _ = p.get(rec, FieldPhone)
	raw.Note, _ = p.get(rec, FieldNote)

	n, problems := raw.check(p.known)
	if len(problems) > 0 {
		for _, pr := range problems {
			ir.problem(&RowError{Line: line, Column: p.column(pr.field), Value: pr.value, Err: pr.err})
		}
		return ImportRow{}, false
	}
	return ImportRow{Line: line, NewSubscriber: n}, true
}

// nameField is the column a name problem is reported in.
func (p *rowParser) nameField() Field {
	if _, ok := p.cols[FieldName]; ok {
		return FieldName
	}
	if _, ok := p.cols[FieldLastName]; ok {
		return FieldLastName
	}
	return FieldFirstName
}

// splitTopics splits a topics field at '|', ',' and ';'. A ';' inside a
// field of a ';'-separated file was quoted on purpose: it separates topics
// too.
func splitTopics(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' || r == ';' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}
