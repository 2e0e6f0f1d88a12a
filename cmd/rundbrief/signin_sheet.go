package main

import (
	"html/template"
	"io"
	"strconv"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/templates"
)

// signInSheet is the printable sign-in sheet of an event (Teilnahmeliste):
// one row per registration with room to sign, then the waiting list. It
// is a web page to open and print (A4, borders, no colour needed).
var signInSheet = template.Must(template.New("sheet").Parse(`<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Teilnahmeliste – {{.Title}}</title>
<style>
  @page { size: A4; margin: 15mm; }
  body { font: 11pt/1.35 system-ui, "Segoe UI", Arial, sans-serif; color: #000; margin: 0; }
  h1 { font-size: 16pt; margin: 0 0 4pt; }
  p { margin: 0 0 8pt; }
  table { border-collapse: collapse; width: 100%; margin: 0 0 12pt; }
  th, td { border: 1px solid #000; padding: 4pt 6pt; text-align: left; vertical-align: top; }
  th { background: #eee; }
  td.sign { width: 32%; height: 24pt; }
  td.num { width: 3em; text-align: right; }
  tr { page-break-inside: avoid; }
  h2 { font-size: 13pt; margin: 14pt 0 6pt; }
  ul.answers { margin: 2pt 0 0; padding-left: 1.2em; font-size: 9pt; }
</style>
</head>
<body>
<h1>Teilnahmeliste: {{.Title}}</h1>
<p>{{.When}}{{with .Where}} · {{.}}{{end}}</p>
<p>{{.Summary}}</p>
<table>
<thead><tr><th scope="col">Nr.</th><th scope="col">Name</th><th scope="col">Organisation</th><th scope="col">Telefon</th><th scope="col">Personen</th><th scope="col">Unterschrift</th></tr></thead>
<tbody>
{{range .Registered}}<tr><td class="num">{{.N}}</td><td>{{.Name}}{{with .Answers}}<ul class="answers">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}</td><td>{{.Org}}</td><td>{{.Phone}}</td><td class="num">{{.People}}</td><td class="sign"></td></tr>
{{else}}<tr><td colspan="6">Noch keine Anmeldungen.</td></tr>
{{end}}</tbody>
</table>
{{if .Waiting}}<h2>Warteliste</h2>
<table>
<thead><tr><th scope="col">Platz</th><th scope="col">Name</th><th scope="col">Organisation</th><th scope="col">Telefon</th><th scope="col">Personen</th></tr></thead>
<tbody>
{{range .Waiting}}<tr><td class="num">{{.N}}</td><td>{{.Name}}</td><td>{{.Org}}</td><td>{{.Phone}}</td><td class="num">{{.People}}</td></tr>
{{end}}</tbody>
</table>
{{end}}</body>
</html>
`))

type sheetRow struct {
	N, People        int
	Name, Org, Phone string
	// Answers are what staff need at the door: the names of the people
	// and their answers, and the answers given once.
	Answers []string
}

// writeSignInSheet writes the sign-in sheet of e with its registrations.
func writeSignInSheet(w io.Writer, e *events.Event, regs []*events.Registration, contacts map[int64]*subscribers.Contact) error {
	days := make([]templates.Span, 0, len(e.Sessions))
	for _, x := range e.Days() {
		days = append(days, templates.Span{Start: x.Start.In(events.Berlin()), End: x.End.In(events.Berlin())})
	}
	data := struct {
		Title, When, Where, Summary string
		Registered, Waiting         []sheetRow
	}{Title: e.Title, When: templates.WhenDays(i18n.German, days), Where: e.Place()}
	people := 0
	for _, r := range regs {
		c := contacts[r.SubscriberID]
		if c == nil {
			c = &subscribers.Contact{}
		}
		row := sheetRow{People: r.People, Name: c.Name, Org: c.Org, Phone: c.Phone,
			Answers: append(personAnswers(e, r.Answers), sharedAnswers(e, r.Answers)...)}
		if row.Name == "" {
			row.Name = c.Email
		}
		if r.Status == events.Waiting {
			row.N = r.Position
			data.Waiting = append(data.Waiting, row)
			continue
		}
		people += r.People
		row.N = len(data.Registered) + 1
		data.Registered = append(data.Registered, row)
	}
	data.Summary = plural(len(data.Registered), "Anmeldung", "Anmeldungen") + " mit " + plural(people, "Person", "Personen")
	if e.Capacity > 0 {
		data.Summary += " (" + strconv.Itoa(e.Capacity) + " Plätze)"
	}
	return signInSheet.Execute(w, data)
}
