package web_test

import (
	"context"
	"mime"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/icstest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

func eventSite(t testing.TB) (*site, *events.Store) {
	t.Helper()
	s := newSite(t, nil)
	return s, events.NewStore(s.db)
}

func createEvent(t testing.TB, evs *events.Store, file string, edit func(*events.Spec)) events.Spec {
	t.Helper()
	spec := testenv.ExampleEvent(t, file)
	if edit != nil {
		edit(&spec)
	}
	if _, err := evs.Create(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

// A published event has a public page with its facts, its description and
// its calendar file; a draft has none. The page changes nothing.
func TestEventPage(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	spec := createEvent(t, evs, "talent-campus-2027.yaml", func(sp *events.Spec) {
		sp.Description = "**Hip-Hop**, Breakdance und Videodreh.\n\n<script>alert(1)</script> [x](javascript:alert(1))"
	})
	if r := s.get("/events/" + spec.Slug); r.status != 404 {
		t.Errorf("a draft event's page answered %d, want 404", r.status)
	}
	if _, err := evs.Publish(ctx, spec.Slug); err != nil {
		t.Fatal(err)
	}
	before := s.snapshot()
	r := s.get("/events/" + spec.Slug)
	if r.status != 200 {
		t.Fatalf("event page: %d", r.status)
	}
	for _, want := range []string{"<h1>Talent-Campus: Hip-Hop, Breakdance, Videodreh</h1>", "Wann", "5. bis 9. Juli 2027, jeweils 9:00 bis 15:00 Uhr", "Jugendliche von 12 bis 18 Jahren", "Anja Berger, Telefon 03631 911-0, <a href=\"mailto:fachkraefte@example.org\">", "outlook.office.com", "nur der erste Tag",
		"<strong>Hip-Hop</strong>", "/events/" + spec.Slug + "/kalender.ics", "calendar.google.com", "Rundbrief abonnieren"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("event page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "javascript:"} {
		if strings.Contains(r.body, bad) {
			t.Errorf("event page contains %q", bad)
		}
	}
	// In English, the event's English words and whom it is for.
	if en := s.get("/events/" + spec.Slug + "?lang=en"); !strings.Contains(en.body, "5 to 9 July 2027, 09:00 to 15:00 each day") ||
		!strings.Contains(en.body, "Young people aged 12 to 18") || !strings.Contains(en.body, "<h1>Talent Campus: hip-hop, breakdance, making a video</h1>") {
		t.Errorf("English event page:\n%s", en.body)
	}

	ics := s.get("/events/" + spec.Slug + "/kalender.ics")
	mt, params, _ := mime.ParseMediaType(ics.header.Get("Content-Type"))
	if ics.status != 200 || mt != "text/calendar" || params["method"] != "PUBLISH" {
		t.Fatalf("calendar file: %d %s", ics.status, ics.header.Get("Content-Type"))
	}
	cal, ev := icstest.Parse(t, []byte(ics.body))
	if icstest.Text(t, cal.Component, "METHOD") != "PUBLISH" || icstest.Text(t, ev.Component, "SUMMARY") != spec.Title ||
		!strings.HasSuffix(icstest.Text(t, ev.Component, "UID"), "@knf.example") {
		t.Errorf("calendar file:\n%s", ics.body)
	}
	if s.snapshot() != before {
		t.Error("viewing the event page changed the database")
	}
	if r := s.get("/events/gibt-es-nicht"); r.status != 404 {
		t.Errorf("unknown event: %d", r.status)
	}
}
