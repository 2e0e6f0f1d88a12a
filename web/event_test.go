package web_test

import (
	"context"
	"mime"
	"strings"
	"testing"
	"time"

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

// /events lists the published events to come and those of the last 90
// days, marks the cancelled and the past, filters by kind, and offers them
// as one iCalendar feed (issue 17, point 1).
func TestEventsOverviewAndFeed(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	for _, f := range []string{"talent-campus-2027.yaml", "job-speeddating-2027.yaml", "codeweek-2027.yaml"} {
		spec := createEvent(t, evs, f, nil)
		if _, err := evs.Publish(ctx, spec.Slug); err != nil {
			t.Fatal(err)
		}
	}
	createEvent(t, evs, "regionalkonferenz-2027.yaml", nil) // a draft
	if _, _, err := evs.CancelEvent(ctx, "codeweek-2027", "Das Schülerforschungszentrum wird umgebaut."); err != nil {
		t.Fatal(err)
	}
	past := func(slug, title string, ago time.Duration) {
		createEvent(t, evs, "regionalkonferenz-2027.yaml", func(sp *events.Spec) {
			sp.Slug, sp.Title, sp.Deadline, sp.Registration, sp.Capacity, sp.LastCall = slug, title, nil, false, 0, 0
			sp.Start, sp.End = time.Now().Add(-ago), time.Now().Add(-ago+3*time.Hour)
		})
		if _, err := evs.Publish(ctx, slug); err != nil {
			t.Fatal(err)
		}
	}
	past("messe-2026", "Berufemesse 2026", 10*24*time.Hour)
	past("messe-2025", "Berufemesse 2025", 200*24*time.Hour)

	r := s.get("/events")
	if r.status != 200 {
		t.Fatalf("/events: %d", r.status)
	}
	for _, want := range []string{"<h1>Veranstaltungen</h1>", "Talent-Campus: Hip-Hop", "Job-Speeddating", "Codeweek", "abgesagt",
		"5. bis 9. Juli 2027, jeweils 9:00 bis 15:00 Uhr", "Vergangene Veranstaltungen", "Berufemesse 2026", `href="webcal://`, "/events.ics"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("/events lacks %q", want)
		}
	}
	// The cancelled event's page warns, with the reason.
	if r := s.get("/events/codeweek-2027"); !strings.Contains(r.body, `class="notice warn"`) || !strings.Contains(r.body, "Grund: Das Schülerforschungszentrum wird umgebaut.") {
		t.Errorf("the cancelled event's page:\n%s", r.body)
	}
	for _, not := range []string{"Regionalkonferenz", "Berufemesse 2025"} {
		if strings.Contains(r.body, not) {
			t.Errorf("/events shows %q (a draft, or past more than 90 days)", not)
		}
	}
	if i, j := strings.Index(r.body, "Job-Speeddating"), strings.Index(r.body, "Talent-Campus"); i < 0 || j < 0 || i > j {
		t.Error("the events are not in order of their start")
	}
	schools := s.get("/events?art=schule")
	if !strings.Contains(schools.body, "Talent-Campus") || !strings.Contains(schools.body, "Codeweek") || strings.Contains(schools.body, "Job-Speeddating") ||
		!strings.Contains(schools.body, `aria-current="page"`) {
		t.Errorf("/events?art=schule shows the wrong events")
	}
	if r := s.get("/events?art=verein"); r.status != 404 {
		t.Errorf("an unknown kind: %d, want 404", r.status)
	}

	feed := s.get("/events.ics?art=schule")
	mt, _, _ := mime.ParseMediaType(feed.header.Get("Content-Type"))
	if feed.status != 200 || mt != "text/calendar" {
		t.Fatalf("feed: %d %s", feed.status, feed.header.Get("Content-Type"))
	}
	cal := icstest.ParseCalendar(t, []byte(feed.body))
	uids := map[string]string{}
	for _, ev := range cal.Events() {
		uids[icstest.Text(t, ev.Component, "SUMMARY")] = icstest.Text(t, ev.Component, "STATUS")
	}
	// The Berufemesse (for companies) is not for schools.
	want := map[string]string{"Talent-Campus: Hip-Hop, Breakdance, Videodreh": "CONFIRMED", "Codeweek im Schülerforschungszentrum": "CANCELLED"}
	if len(uids) != len(want) {
		t.Errorf("feed for schools holds %v, want %v", uids, want)
	}
	for title, status := range want {
		if uids[title] != status {
			t.Errorf("feed: %q has status %q, want %q", title, uids[title], status)
		}
	}
	if name := icstest.Text(t, cal.Component, "X-WR-CALNAME"); name != "Netzwerkstelle Fachkräftesicherung Nordhausen" {
		t.Errorf("X-WR-CALNAME = %q", name)
	}
	// Every kind: the four events shown, each once (the Talent-Campus's
	// five days are one recurring entry).
	all := icstest.ParseCalendar(t, []byte(s.get("/events.ics").body))
	seen := map[string]bool{}
	for _, ev := range all.Events() {
		seen[icstest.Text(t, ev.Component, "UID")] = true
	}
	if len(seen) != 4 {
		t.Errorf("the whole feed holds %d events, want 4", len(seen))
	}
}
