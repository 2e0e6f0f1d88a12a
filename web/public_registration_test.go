package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/web"
)

// familyForm is a complete public registration for the Talent-Campus:
// three children with names, ages and lunches, and the photo consent.
func familyForm(email string) url.Values {
	return url.Values{
		"name": {"Katrin Schmidt"}, "email": {email}, "people": {"3"}, "f-fotos": {"yes"},
		"t1-name": {"Lena"}, "t1-alter": {"13"}, "t1-essen": {"2"},
		"t2-name": {"Max"}, "t2-alter": {"15"}, "t2-essen": {"1"},
		"t3-name": {"Emil"}, "t3-alter": {"12"}, "t3-essen": {"3"},
	}
}

func with(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out.Set(kv[i], kv[i+1])
		}
	}
	return out
}

// The public form: GET changes nothing; a bad form names each problem and
// records nothing; every accepted form gets the same page, whether the
// address is new, registered already or suppressed; a request holds no
// place and is no subscription; the newsletter box asks for the
// subscription with its own opt-in mail; a closed event takes no form.
func TestPublicRegistrationForm(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(c *web.Config) { c.SubscribeBurst = 1 << 20 })
	evs := events.NewStore(s.db)
	ctx := context.Background()
	createEvent(t, evs, "talent-campus-2027.yaml", nil)
	e, err := evs.Publish(ctx, "talent-campus-2027")
	if err != nil {
		t.Fatal(err)
	}
	page := "/events/talent-campus-2027"

	before := s.snapshot()
	r := s.get(page)
	for _, want := range []string{`<h2 id="register-title">Anmelden</h2>`, `name="people"`, `id="t1-name"`, `id="t1-essen-2"`, `name="f-fotos"`,
		"Ich willige ein, dass während des Talent-Campus Fotos", `id="newsletter" name="newsletter" value="yes" aria-describedby`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the event page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="t2-name"`) || strings.Contains(r.body, `name="newsletter" value="yes" checked`) {
		t.Error("a second child's block, or the newsletter ticked, before anyone asked")
	}
	if r := s.post(page, with(familyForm(""), "step", "recount", "people", "3")); r.status != 200 || !strings.Contains(r.body, `id="t3-alter"`) ||
		strings.Contains(r.body, "Bitte prüfen Sie") {
		t.Errorf("Anzahl übernehmen: %d, three blocks without errors wanted", r.status)
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want []string
	}{
		{"no address", with(familyForm("x"), "email", "keine-adresse"), []string{`href="#email"`}},
		{"no name", with(familyForm("a@example.org"), "name", ""), []string{`href="#name"`}},
		{"no consent", with(familyForm("a@example.org"), "f-fotos", ""), []string{`href="#f-fotos"`, "Ohne diese Einwilligung"}},
		{"forged consent", with(familyForm("a@example.org"), "f-fotos", "ja bitte"), []string{`href="#f-fotos"`}},
		{"too young", with(familyForm("a@example.org"), "t2-alter", "8"), []string{`href="#t2-alter"`, "ab 12"}},
		{"no such lunch", with(familyForm("a@example.org"), "t3-essen", "7"), []string{`href="#t3-essen"`}},
		{"five children", with(familyForm("a@example.org"), "people", "5"), []string{`href="#people"`, "von 1 bis 4"}},
	} {
		r := s.post(page, tc.form)
		if r.status != 422 {
			t.Errorf("%s: %d, want 422", tc.name, r.status)
		}
		for _, want := range tc.want {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s: the page lacks %q", tc.name, want)
			}
		}
	}
	if s.snapshot() != before {
		t.Fatal("the page, the recount or a bad form changed the database")
	}

	// Three accepted forms, one answer.
	anna, _ := s.confirmed("anna@example.org")
	if _, err := evs.Register(ctx, e.ID, anna.ID, 2, events.ByWeb, e.CreatedAt); err != nil {
		t.Fatal(err)
	}
	if err := s.store.Erase(ctx, mustID(t, s, "gone@example.org")); err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, email := range []string{"katrin@example.org", "anna@example.org", "gone@example.org"} {
		r := s.post(page, familyForm(email))
		if r.status != 200 || !strings.Contains(r.body, "Bitte bestätigen Sie Ihre Anmeldung") {
			t.Fatalf("%s: %d\n%s", email, r.status, r.body)
		}
		bodies = append(bodies, r.body)
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Error("the answer tells a new, a registered and a suppressed address apart")
	}
	katrin, err := s.store.GetByEmail(ctx, "katrin@example.org")
	if err != nil || katrin.Status != subscribers.StatusContact {
		t.Fatalf("katrin: %+v, %v; a registration is no subscription", katrin, err)
	}
	reg, err := evs.Registration(ctx, e.ID, katrin.ID)
	if err != nil || reg.Status != events.Requested || reg.People != 3 || reg.Answers.Participants[2].Name != "Emil" {
		t.Errorf("katrin's request: %+v, %v", reg, err)
	}
	if r, _ := evs.Registration(ctx, e.ID, anna.ID); r.Status != events.Registered || r.People != 2 {
		t.Errorf("anna's registration was changed by a form anyone can send: %+v", r)
	}
	if taken, _, _ := evs.Taken(ctx, e.ID); taken != 2 {
		t.Errorf("%d places taken, want anna's 2: a request holds none", taken)
	}
	if n := len(s.queue.registrationMails()); n != 2 {
		t.Errorf("%d registration mails queued, want 2 (a request, and anna's link); none to the suppressed address", n)
	}
	if n := len(s.queue.queued()); n != 0 {
		t.Errorf("%d subscription mails without the newsletter box", n)
	}
	if _, err := s.store.GetByEmail(ctx, "gone@example.org"); err == nil {
		t.Error("a suppressed address was stored again")
	}

	// The newsletter box: a pending subscription with its opt-in mail.
	if r := s.post(page, with(familyForm("lea@example.org"), "newsletter", "yes")); r.status != 200 {
		t.Fatalf("with the newsletter: %d", r.status)
	}
	lea, err := s.store.GetByEmail(ctx, "lea@example.org")
	if err != nil || lea.Status != subscribers.StatusPending || strings.Join(lea.Topics, ",") != "jugend" {
		t.Errorf("lea: %+v, %v", lea, err)
	}
	if q := s.queue.queued(); len(q) != 1 || q[0].Kind != subscribers.MailOptIn {
		t.Errorf("subscription mails %+v, want one opt-in", q)
	}

	// Closed: the page says so and takes no form.
	if _, err := s.db.Exec(`UPDATE events SET registration_deadline = now() - interval '1 hour' WHERE id = $1`, e.ID); err != nil {
		t.Fatal(err)
	}
	if r := s.get(page); strings.Contains(r.body, `name="people"`) || !strings.Contains(r.body, "Die Anmeldung ist geschlossen") {
		t.Error("a closed event shows the form, or does not say it is closed")
	}
	if r := s.post(page, familyForm("late@example.org")); r.status != 409 {
		t.Errorf("a form after the deadline: %d, want 409", r.status)
	}
}

// mustID adds a confirmed subscriber with email and returns their ID.
func mustID(t *testing.T, s *site, email string) int64 {
	t.Helper()
	sub, _ := s.confirmed(email)
	return sub.ID
}
