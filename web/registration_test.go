package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/web"
)

// registerLink is the link an invitation carries for sub.
func (s *site) registerLink(slug string, sub *subscribers.Subscriber) string {
	return "/events/" + slug + "/register/" + s.keys.Token(subscribers.PurposeRegister, sub.ID, time.Time{})
}

// People register on the page from their invitation, see their place or
// their waitlist position, change the number and cancel; the waitlist
// moves up. GETs change nothing.
func TestRegistrationPages(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	spec := createEvent(t, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) { sp.Capacity, sp.Deadline = 3, nil })
	if r := s.get(s.registerLink(spec.Slug, &subscribers.Subscriber{ID: 1})); r.status != 404 {
		t.Errorf("registration page of a draft event: %d, want 404", r.status)
	}
	e, err := evs.Publish(ctx, spec.Slug)
	if err != nil {
		t.Fatal(err)
	}
	anna, _ := s.confirmed("anna@example.org")
	ben, _ := s.confirmed("ben@example.org")
	carl, _ := s.confirmed("carl@example.org")
	annaLink, benLink, carlLink := s.registerLink(spec.Slug, anna), s.registerLink(spec.Slug, ben), s.registerLink(spec.Slug, carl)

	before := s.snapshot()
	r := s.get(annaLink)
	// party_max is 4, but the event has 3 places.
	for _, want := range []string{"<h1>Job-Speeddating</h1>", "Anzahl Teilnehmende", "höchstens 3", `name="people"`, "Verbindlich anmelden", "Wann"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("registration page lacks %q", want)
		}
	}
	if s.snapshot() != before {
		t.Fatal("opening the registration page changed the database")
	}

	for _, tc := range []struct {
		link, people string
		status       int
		want         string
	}{
		{annaLink, "0", 422, "Bitte geben Sie eine Zahl von 1 bis 3 an."},
		{annaLink, "4", 422, "Bitte geben Sie eine Zahl von 1 bis 3 an."}, // more than the event has places
		{annaLink, "2", 200, "Sie sind mit 2 Personen angemeldet"},
		{annaLink, "2", 200, "Sie sind mit 2 Personen angemeldet"}, // twice: the same registration
		{carlLink, "1", 200, "Sie sind mit 1 Person angemeldet"},
		{benLink, "2", 200, "Sie stehen mit 2 Personen auf Platz 1 der Warteliste"},
		{annaLink, "3", 409, "Es sind noch 0 Plätze frei."},
	} {
		r := s.post(tc.link, url.Values{"people": {tc.people}})
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("register %s with %s: %d, want %d with %q", tc.link[len(tc.link)-8:], tc.people, r.status, tc.status, tc.want)
		}
	}
	if taken, waiting, _ := evs.Taken(ctx, e.ID); taken != 3 || waiting != 2 {
		t.Errorf("%d taken and %d waiting, want 3 and 2", taken, waiting)
	}

	cancel := strings.Replace(annaLink, "/register/", "/cancel/", 1)
	before = s.snapshot()
	if r := s.get(cancel); r.status != 200 || !strings.Contains(r.body, `class="danger"`) || !strings.Contains(r.body, "Ihr Platz geht dann an die Warteliste") {
		t.Errorf("cancel page: %d", r.status)
	}
	if s.snapshot() != before {
		t.Fatal("opening the cancel page changed the database")
	}
	if r := s.post(cancel, nil); r.status != 200 || !strings.Contains(r.body, "Ihre Anmeldung ist abgesagt") {
		t.Errorf("cancel: %d %s", r.status, r.body)
	}
	if reg, err := evs.Registration(ctx, e.ID, ben.ID); err != nil || reg.Status != events.Registered {
		t.Errorf("after Anna cancelled, Ben is %+v (%v), want registered", reg, err)
	}
	if r := s.get(benLink); !strings.Contains(r.body, "Sie sind mit 2 Personen angemeldet") || !strings.Contains(r.body, "Anmeldung absagen") {
		t.Errorf("Ben's page after moving up:\n%s", r.body)
	}

	// Forged, swapped and foreign tokens are refused.
	prefs := s.keys.Token(subscribers.PurposePreferences, anna.ID, time.Time{})
	for _, path := range []string{
		"/events/" + spec.Slug + "/register/" + prefs,
		"/events/" + spec.Slug + "/register/AAAA" + annaLink[len(annaLink)-20:],
		"/events/gibt-es-nicht/register/" + annaLink[strings.LastIndex(annaLink, "/")+1:],
	} {
		if r := s.get(path); r.status != 404 {
			t.Errorf("GET %s: %d, want 404", path, r.status)
		}
	}
}

// After the deadline the page says registration is closed and takes none.
func TestRegistrationClosed(t *testing.T) {
	t.Parallel()
	var now time.Time
	s := newSite(t, func(c *web.Config) { c.Now = func() time.Time { return now } })
	evs := events.NewStore(s.db)
	deadline := time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC)
	spec := createEvent(t, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) { sp.Deadline = &deadline })
	if _, err := evs.Publish(context.Background(), spec.Slug); err != nil {
		t.Fatal(err)
	}
	sub, _ := s.confirmed("spaet@example.org")
	link := s.registerLink(spec.Slug, sub)
	now = deadline.Add(time.Minute)
	r := s.get(link)
	if !strings.Contains(r.body, "Die Anmeldung ist geschlossen") || strings.Contains(r.body, `name="people"`) {
		t.Errorf("after the deadline the page shows a form or no notice:\n%s", r.body)
	}
	if r := s.post(link, url.Values{"people": {"1"}}); r.status != 409 {
		t.Errorf("registering after the deadline: %d, want 409", r.status)
	}
}

// Many people press "Verbindlich anmelden" at once: the places are never
// overbooked, everyone else is on the waitlist, and the place each page
// names is that person's place in the list (first come in the order the
// event's lock was won), each place named once.
func TestParallelRegistrationPOSTs(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	const people, places = 200, 50
	spec := createEvent(t, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) { sp.Capacity, sp.Deadline = places, nil })
	e, err := evs.Publish(ctx, spec.Slug)
	if err != nil {
		t.Fatal(err)
	}
	links := map[int64]string{}
	for i := range people {
		sub, _ := s.confirmed(fmt.Sprintf("schnell-%03d@example.org", i))
		links[sub.ID] = s.registerLink(spec.Slug, sub)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		told = map[int64]int{} // subscriber -> the waitlist place the page named
	)
	placeOnPage := regexp.MustCompile(`auf Platz (\d+) der Warteliste`)
	for id, link := range links {
		wg.Go(func() {
			r := s.post(link, url.Values{"people": {"1"}})
			if r.status != 200 {
				t.Errorf("register: %d", r.status)
				return
			}
			if m := placeOnPage.FindStringSubmatch(r.body); m != nil {
				n, _ := strconv.Atoi(m[1])
				mu.Lock()
				told[id] = n
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if taken, waiting, _ := evs.Taken(ctx, e.ID); taken != places || waiting != people-places {
		t.Errorf("%d places taken and %d waiting, want %d and %d", taken, waiting, places, people-places)
	}
	if n := len(s.queue.registrationMails()); n != people {
		t.Errorf("%d registration mails queued, want one per person", n)
	}
	regs, err := evs.Registrations(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	wrong, named := 0, map[int]bool{}
	for _, r := range regs {
		if r.Status != events.Waiting {
			continue
		}
		if told[r.SubscriberID] != r.Position {
			wrong++
		}
		named[told[r.SubscriberID]] = true
	}
	if wrong > 0 || len(told) != people-places || len(named) != people-places {
		t.Errorf("%d of %d pages named a place other than the list's; %d distinct places named, want %d",
			wrong, len(told), len(named), people-places)
	}
}

// The preferences page lists the person's registrations to come, with a
// link to change or cancel each, and "Meine Daten" holds them all
// (issue 17, point 5).
func TestPreferencesListRegistrations(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	spec := createEvent(t, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) { sp.Capacity = 2 })
	e, err := evs.Publish(ctx, spec.Slug)
	if err != nil {
		t.Fatal(err)
	}
	anna, annaToken := s.confirmed("anna@example.org")
	ben, benToken := s.confirmed("ben@example.org")
	if _, err := evs.Register(ctx, e.ID, anna.ID, 2, events.ByWeb, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := evs.Register(ctx, e.ID, ben.ID, 1, events.ByWeb, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Anna asked for the Talent-Campus on its page and has not confirmed.
	createEvent(t, evs, "talent-campus-2027.yaml", nil)
	campus, err := evs.Publish(ctx, "talent-campus-2027")
	if err != nil {
		t.Fatal(err)
	}
	answers := &events.Answers{Answers: map[string][]string{"fotos": {"yes"}},
		Participants: []events.Participant{{Name: "Lena", Answers: map[string][]string{"alter": {"13"}}}}}
	if _, err := evs.Request(ctx, events.Entry{EventID: campus.ID, SubscriberID: anna.ID, People: 1, Answers: answers}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := s.get("/preferences/" + annaToken)
	if !strings.Contains(r.body, "Meine Anmeldungen") || !strings.Contains(r.body, "angemeldet mit 2 Personen") ||
		!strings.Contains(r.body, "noch nicht bestätigt, mit 1 Person") ||
		!strings.Contains(r.body, s.registerLink(spec.Slug, anna)) {
		t.Errorf("Anna's preferences page:\n%s", r.body)
	}
	if r := s.get("/preferences/" + benToken); !strings.Contains(r.body, "auf der Warteliste mit 1 Person, Platz 1") {
		t.Errorf("Ben's preferences page:\n%s", r.body)
	}
	data := s.post("/preferences/"+annaToken+"/data", nil)
	var exp struct {
		Registrations []struct {
			Event   string         `json:"event"`
			People  int            `json:"people"`
			Status  string         `json:"status"`
			Answers events.Answers `json:"answers"`
		} `json:"registrations"`
	}
	if err := json.Unmarshal([]byte(data.body), &exp); err != nil || len(exp.Registrations) != 2 ||
		exp.Registrations[0].Event != spec.Slug || exp.Registrations[0].People != 2 || exp.Registrations[0].Status != "registered" ||
		exp.Registrations[1].Status != "requested" || exp.Registrations[1].Answers.Participants[0].Name != "Lena" {
		t.Errorf("Meine Daten: %v\n%s", err, data.body)
	}
}
