package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// newApp is an app on a database and a queue of the test's own, as the
// CLI would make it, closed when the test ends.
func newApp(t *testing.T) (*app, context.Context) {
	t.Helper()
	a := &app{env: newCLI(t).vars}
	t.Cleanup(a.close)
	return a, context.Background()
}

// The commands' work runs as methods on the app with an options struct,
// without cobra: import a file, create a newsletter, count its recipients
// in a dry run, and send it after a "ja" on the input.
func TestCommandsRunWithoutCobra(t *testing.T) {
	t.Parallel()
	a, ctx := newApp(t)

	var out bytes.Buffer
	if err := a.importSubscribers(ctx, &out, importOptions{Path: writeFile(t, "k.csv", fixedCSV), Confirmed: true, Note: "Liste 2026"}); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "neu aufgenommen:") {
		t.Errorf("import report:\n%s", out.String())
	}

	for _, tc := range []struct {
		o    createOptions
		want string
	}{
		{createOptions{Kind: "invitation"}, "eine Einladung braucht --event"},
		{createOptions{Kind: "flyer"}, "„flyer“: möglich sind invitation"},
		{createOptions{Kind: "newsletter", Subject: "Hallo"}, "--body DATEI.md fehlt"},
		{createOptions{Kind: "newsletter", Subject: "Hallo", Body: writeFile(t, "b.md", "Text"), SetTopics: true, Topics: []string{"sport"}},
			"unbekanntes Thema „sport“"},
	} {
		if err := a.createCampaign(ctx, &out, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("create %+v: %v, want %q", tc.o, err, tc.want)
		}
	}
	out.Reset()
	body := writeFile(t, "dezember.md", "# Neues\n\nAus der Netzwerkstelle.")
	if err := a.createCampaign(ctx, &out, createOptions{Kind: "newsletter", Subject: "Rundbrief Dezember", Body: body}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Kampagne 1 angelegt (Entwurf): Rundbrief Dezember") {
		t.Errorf("create said:\n%s", out.String())
	}

	out.Reset()
	if err := a.sendCampaign(ctx, &out, nil, sendOptions{Campaign: "1", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ginge jetzt an 5 Empfängerinnen und Empfänger") {
		t.Errorf("dry run said:\n%s", out.String())
	}
	out.Reset()
	if err := a.sendCampaign(ctx, &out, strings.NewReader("ja\n"), sendOptions{Campaign: "1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Kampagne 1: 5 Mails im Versandprotokoll") {
		t.Errorf("send said:\n%s", out.String())
	}
}

func TestAgreed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"j\n", true}, {"ja\n", true}, {"Ja\n", true}, {"y\n", true}, {"yes\n", true}, {" YES \n", true}, {"ja", true},
		{"n\n", false}, {"nein\n", false}, {"\n", false}, {"", false}, {"jein\n", false},
	} {
		if got := agreed(strings.NewReader(tc.in)); got != tc.want {
			t.Errorf("agreed(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// The event commands run without cobra too: create from a file with an
// edit in place of the flags, publish, list, register and unregister,
// and list who comes.
func TestEventCommandsRunWithoutCobra(t *testing.T) {
	t.Parallel()
	a, ctx := newApp(t)
	var out bytes.Buffer
	if err := a.addSubscriber(ctx, &out, addOptions{Subscriber: subscribers.NewSubscriber{Email: "gast@example.org", Name: "Gast", Kind: "Unternehmen"},
		Confirmed: true, Note: "Telefonat"}); err != nil {
		t.Fatal(err)
	}
	capacity := func(spec *events.Spec, found events.InvalidFields) error {
		spec.Capacity, spec.Deadline = 1, nil
		_, err := spec.CheckWith(found)
		return err
	}
	if err := a.createEvent(ctx, &out, eventOptions{File: "../../examples/events/job-speeddating-2027.yaml", Edit: capacity}); err != nil {
		t.Fatal(err)
	}
	if _, ev, err := a.event(ctx, "job-speeddating-2027"); err != nil || ev.Capacity != 1 {
		t.Fatalf("created %+v, %v; want capacity 1 from the edit", ev, err)
	}
	st, _ := a.eventStore(ctx)
	if _, err := st.Publish(ctx, "job-speeddating-2027"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := a.listEvents(ctx, &out, eventsOptions{Status: "published"}); err != nil || !strings.Contains(out.String(), "job-speeddating-2027") {
		t.Errorf("list: %v\n%s", err, out.String())
	}
	if err := a.listEvents(ctx, &out, eventsOptions{Status: "geplant"}); err == nil {
		t.Error("list took an unknown status")
	}
	out.Reset()
	if err := a.register(ctx, &out, registerOptions{Event: "job-speeddating-2027", Email: "gast@example.org", People: 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "gast@example.org ist mit 1 Person angemeldet") {
		t.Errorf("register said:\n%s", out.String())
	}
	out.Reset()
	if err := a.listRegistrations(ctx, &out, registrationsOptions{Event: "job-speeddating-2027", CSV: true}); err != nil ||
		!strings.Contains(out.String(), "gast@example.org;;1;angemeldet") {
		t.Errorf("registrations: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := a.unregister(ctx, &out, registerOptions{Event: "job-speeddating-2027", Email: "gast@example.org"}); err != nil ||
		!strings.Contains(out.String(), "Die Anmeldung von gast@example.org ist zurückgenommen") {
		t.Errorf("unregister: %v\n%s", err, out.String())
	}
}

// The list filters take the words the lists print, as staff read them,
// and the codes (issue 15, point 10, first part); a word that is none of
// them is refused, not answered with an empty list.
func TestFiltersTakeTheWordsTheListsPrint(t *testing.T) {
	t.Parallel()
	e := newCLI(t)
	e.ok(t, "subscribers", "import", "--confirmed", "--consent-note", "Liste 2026", writeFile(t, "k.csv", fixedCSV))
	e.ok(t, "events", "create", "-f", "../../examples/events/codeweek-2027.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "list", "--status", "Entwurf"}, "codeweek-2027"},
		{[]string{"events", "list", "--status", "draft"}, "codeweek-2027"},
		{[]string{"subscribers", "list", "--topic", "Berufsausbildung"}, "personal@metallbau.example"},
		{[]string{"subscribers", "list", "--topic", "ausbildung"}, "personal@metallbau.example"},
	} {
		if out := e.ok(t, tc.args...); !strings.Contains(out, tc.want) {
			t.Errorf("rundbrief %s:\n%s\nwant %q", strings.Join(tc.args, " "), out, tc.want)
		}
	}
	if out := e.ok(t, "events", "list", "--status", "veröffentlicht"); strings.Contains(out, "codeweek-2027") {
		t.Errorf("a draft listed as published:\n%s", out)
	}
	for _, args := range [][]string{{"events", "list", "--status", "geplant"}, {"subscribers", "list", "--topic", "Fußball"}} {
		if r := e.run(t, "", args...); r.code != 2 || !strings.Contains(r.stderr, "„") {
			t.Errorf("rundbrief %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
