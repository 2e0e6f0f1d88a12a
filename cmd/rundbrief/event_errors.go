package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/knf-nordhausen/rundbrief/events"
)

// eventProblemWords say each problem of an event's field in German. %[1]s
// is the value at fault, %[2]d the limit.
var eventProblemWords = map[events.Problem]string{
	events.ProblemMissing:           "fehlt",
	events.ProblemTooLong:           "ist zu lang (höchstens %[2]d Zeichen)",
	events.ProblemInvisible:         "enthält einen Zeilenumbruch, ein Steuerzeichen oder ein unsichtbares Zeichen",
	events.ProblemSlug:              "„%[1]s“: 2 bis 60 Kleinbuchstaben, Ziffern und Bindestriche, z. B. talent-campus-2027",
	events.ProblemURL:               "„%[1]s“ ist keine vollständige Adresse wie https://meet.example.org/regionalkonferenz",
	events.ProblemNoPlace:           "Ort oder Online-Link (online) angeben",
	events.ProblemNotAfterStart:     "liegt nicht nach dem Beginn",
	events.ProblemAfterStart:        "liegt nach dem Beginn",
	events.ProblemPartner:           "„%[1]s“ ist zu lang (höchstens %[2]d Zeichen) oder enthält ein Steuer- oder unsichtbares Zeichen",
	events.ProblemKind:              "„%[1]s“: möglich sind Unternehmen, Schule, Familie, Sonstige",
	events.ProblemTopic:             "„%[1]s“ gibt es nicht (bekannte Themen: rundbrief topics list)",
	events.ProblemNegative:          "darf nicht negativ sein (0 heißt: unbegrenzt)",
	events.ProblemNeedsRegistration: "gibt es nur mit Anmeldung (registration: true)",
	events.ProblemPartySize:         "%[1]s: zwischen 1 und %[2]d Personen je Anmeldung",
	events.ProblemReminder:          "%[1]s: ganze Stunden zwischen 1h und 90d vor dem Beginn, z. B. 7d oder 2h",
	events.ProblemLastCallDeadline:  "%[1]s: „Anmeldeschluss naht“ gibt es nur mit Anmeldung (registration: true) und Anmeldeschluss (deadline)",
	events.ProblemTime:              "„%[1]s“ ist keine Zeit wie 2027-03-18 09:00 oder 18.03.2027 09:00",
	events.ProblemNoSuchTime:        "„%[1]s“ gibt es in Deutschland nicht: bei der Zeitumstellung springt die Uhr in dieser Nacht von 2 auf 3 Uhr (Beginn der Sommerzeit)",
	events.ProblemOffset:            "„%[1]s“ ist keine Dauer wie 7d oder 2h",
	events.ProblemEmail:             "„%[1]s“ ist keine E-Mail-Adresse wie info@beispiel.de",
	events.ProblemSession:           "„%[1]s“ ist kein Termin wie 2027-07-05 9:00 bis 15:00 (Datum, Beginn, Ende am selben Tag)",
	events.ProblemQuestionID:        "„%[1]s“: jede Frage braucht eine eigene id aus 1 bis 30 Kleinbuchstaben, Ziffern und _, z. B. alter",
	events.ProblemQuestionKind:      "„%[1]s“: möglich sind text, zahl, auswahl, mehrfachauswahl, ja_nein, einwilligung",
	events.ProblemOptions:           "eine Auswahl braucht 2 bis %[2]d verschiedene optionen, andere Fragen keine; optionen_en in gleicher Zahl und Reihenfolge",
	events.ProblemRange:             "min und max gibt es nur bei art: zahl, und min darf nicht größer als max sein",
	events.ProblemNames:             "„%[1]s“: möglich sind optional und pflicht (oder namen weglassen)",
	events.ProblemTooMany:           "höchstens %[2]d",
	events.ProblemFollowUpAfter:     "%[1]s: ganze Stunden zwischen 1h und 90d nach dem Ende, z. B. 2d",
	events.ProblemSessions:          "die Termine müssen nacheinander liegen und dürfen sich nicht überschneiden (höchstens 60); start und end weglassen oder gleich dem ersten Beginn und dem letzten Ende setzen",
}

// eventFileWords say each problem of an event file's form in German. %[1]s
// is the value or key at fault, %[2]s what fits, %[3]d the limit.
var eventFileWords = map[events.Problem]string{
	events.ProblemFileTooLarge: "die Datei ist größer als %[3]d KiB",
	events.ProblemFileEmpty:    "die Datei ist leer",
	events.ProblemUnknownKey:   "unbekanntes Feld „%[1]s“ (möglich: slug, title, description, start, end, place, address, online, organiser, partners, kinds, topics, capacity, party_max, registration, deadline, reminders, last_call, termine, für_wen, kontakt, title_en, description_en, für_wen_en, namen, fragen, nachbereitung (mit nach, betreff, text); in einer Frage: id, art, frage, frage_en, hinweis, hinweis_en, pflicht, je_person, min, max, optionen, optionen_en)",
	events.ProblemWrongType:    "„%[1]s“ passt nicht (erwartet: %[2]s)",
	events.ProblemSyntax:       "%[1]s (Einrückung und Doppelpunkte prüfen)",
}

// yamlTypeWords name the Go types a YAML value must fit, in German.
var yamlTypeWords = map[string]string{
	"int": "eine ganze Zahl", "bool": "true oder false", "[]string": "eine Liste, z. B. [Schule, Familie]", "string": "ein Text",
}

// fieldLine says one bad field of an event in German: "end: liegt nicht
// nach dem Beginn".
func fieldLine(f events.FieldError) string {
	w, ok := eventProblemWords[f.Problem]
	if !ok {
		w = string(f.Problem) + " %[1]s"
	}
	if strings.Contains(w, "%[") {
		w = fmt.Sprintf(w, f.Value, f.Limit)
	}
	return f.Field + ": " + strings.TrimSpace(w)
}

// fileLine says one thing wrong with an event file in German: "Zeile 6:
// unbekanntes Feld „ort“ …".
func fileLine(f events.FileError) string {
	w, ok := eventFileWords[f.Problem]
	if !ok {
		w = string(f.Problem) + " %[1]s"
	}
	want := f.Want
	if t, ok := yamlTypeWords[f.Want]; ok {
		want = t
	}
	s := w
	if strings.Contains(w, "%[") {
		s = fmt.Sprintf(w, f.Value, want, f.Limit)
	}
	if f.Line > 0 {
		s = fmt.Sprintf("Zeile %d: %s", f.Line, s)
	}
	return s
}

// eventError says in German what is wrong with an event, one field a line.
func eventError(err error) error {
	var fe events.FieldError
	switch {
	case errors.As(err, new(events.InvalidFields)) || errors.As(err, &fe):
		var fields events.InvalidFields
		if !errors.As(err, &fields) {
			fields = events.InvalidFields{fe}
		}
		lines := make([]string, len(fields))
		for i, f := range fields {
			lines[i] = "  " + fieldLine(f)
		}
		return fmt.Errorf("die Veranstaltung ist fehlerhaft:\n%s", strings.Join(lines, "\n"))
	case errors.Is(err, events.ErrYAML):
		var fs events.FileErrors
		if !errors.As(err, &fs) {
			return errors.New("die Datei ist keine gültige Veranstaltung")
		}
		lines := make([]string, len(fs))
		for i, f := range fs {
			lines[i] = fileLine(f)
		}
		return fmt.Errorf("die Datei ist keine gültige Veranstaltung: %s", strings.Join(lines, "; "))
	case errors.Is(err, events.ErrExists):
		return fmt.Errorf("es gibt schon eine Veranstaltung mit diesem Kürzel; ändern mit rundbrief events update")
	case errors.Is(err, events.ErrNotFound):
		return fmt.Errorf("keine Veranstaltung mit diesem Kürzel (alle: rundbrief events list)")
	case errors.Is(err, events.ErrCancelled):
		return fmt.Errorf("die Veranstaltung ist abgesagt und kann nicht mehr geändert werden")
	}
	return err
}
