package web_test

import (
	"context"
	"mime"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/knf-nordhausen/rundbrief/events"
)

// A stranger registers a family of three for the Talent-Campus from its
// public page, in a browser without JavaScript at phone width: the names,
// ages and lunches of the children and the parent's photo consent. They
// confirm from the mail the worker sends, change an answer, and cancel. A
// school registers a class of 25 for the Seminarfachbörse. Each page is
// checked for reflow and with axe-core; with -screenshots the German ones
// go to docs/screenshots/.
func TestPublicRegistrationInBrowser(t *testing.T) {
	t.Parallel()
	st := newStack(t)
	evs := events.NewStore(st.db)
	ctx := context.Background()
	for _, f := range []string{"talent-campus-2027.yaml", "seminarfachboerse-2027.yaml"} {
		spec := createEvent(t, evs, f, nil)
		if _, err := evs.Publish(ctx, spec.Slug); err != nil {
			t.Fatal(err)
		}
	}
	b := newTab(t, st, "de", "de-DE,de")
	b.n = 30
	phone := chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
	send := chromedp.Click(chromedp.CSS(`main form button[type=submit]:not([name=step])`))
	campus := "Talent-Campus: Hip-Hop, Breakdance, Videodreh"

	b.do(phone, chromedp.Navigate(st.srv.URL+"/events/talent-campus-2027"))
	b.page("anmeldeformular", campus, "Anmelden", "Person 1", "Ich willige ein, dass während des Talent-Campus Fotos")
	if checked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("newsletter").checked`)); err != nil || checked {
		t.Errorf("the newsletter box is ticked (%v)", err)
	}
	b.do(phone, chromedp.SetValue(chromedp.ID("people"), "3"), chromedp.Click(chromedp.CSS("button.recount")))
	b.page("drei-kinder", campus, "Person 3")

	email := "katrin.schmidt@example.org"
	fill := []chromedp.Action[chromedp.Void]{phone,
		chromedp.SendKeys(chromedp.ID("name"), "Katrin Schmidt"),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("f-allergien"), "Emil: Erdnüsse"),
	}
	for i, child := range []struct{ name, age, lunch string }{{"Lena", "13", "2"}, {"Max", "15", "1"}, {"Emil", "11", "3"}} {
		n := strconv.Itoa(i + 1)
		fill = append(fill, chromedp.SendKeys(chromedp.ID("t"+n+"-name"), child.name),
			chromedp.SendKeys(chromedp.ID("t"+n+"-alter"), child.age),
			chromedp.Click(chromedp.ID("t"+n+"-essen-"+child.lunch)))
	}
	b.do(append(fill, send)...)
	// Emil is 11 and the consent is missing: both are named, and what was
	// typed stays.
	b.page("anmeldeformular-fehler", campus, "Bitte prüfen Sie Ihre Angaben", "Bitte geben Sie eine Zahl ab 12 an.", "Ohne diese Einwilligung können wir die Anmeldung nicht annehmen.")
	if v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("t2-name"))); err != nil || v != "Max" {
		t.Errorf("Max's name after the errors: %q, %v", v, err)
	}
	b.do(phone, chromedp.SetValue(chromedp.ID("t3-alter"), "12"), chromedp.Click(chromedp.ID("f-fotos")), send)
	b.page("anmeldung-abgeschickt", "Bitte bestätigen Sie Ihre Anmeldung", "Wir haben Ihnen eine E-Mail geschickt")
	e, err := evs.Get(ctx, "talent-campus-2027")
	if err != nil {
		t.Fatal(err)
	}
	if taken, _, _ := evs.Taken(ctx, e.ID); taken != 0 {
		t.Errorf("%d places taken before the confirmation", taken)
	}

	request := st.mailTo(email, 1)
	if subject, _ := new(mime.WordDecoder).DecodeHeader(request.Header().Get("Subject")); !strings.Contains(subject, "Bitte bestätigen Sie Ihre Anmeldung") {
		t.Errorf("request mail: %s", subject)
	}
	link := st.link(request, "/events/talent-campus-2027/register/")
	b.do(phone, chromedp.Navigate(st.srv.URL+link))
	b.page("anmeldung-bestaetigen", campus, "Bitte prüfen Sie Ihre Angaben und bestätigen Sie die Anmeldung", "Anmeldung bestätigen")
	if v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("t3-name"))); err != nil || v != "Emil" {
		t.Errorf("Emil's name on the registration page: %q, %v", v, err)
	}
	b.do(phone, send)
	b.page("anmeldung-bestaetigt", campus, "Sie sind mit 3 Personen angemeldet")
	b.do(phone, chromedp.SetValue(chromedp.ID("t2-alter"), "16"), send)
	b.page("angaben-geaendert", campus, "Ihre Angaben sind gespeichert")
	sub := st.mustGet(email)
	reg, err := evs.Registration(ctx, e.ID, sub.ID)
	if err != nil || reg.Status != events.Registered || reg.People != 3 || reg.Answers.Participants[1].Answers["alter"][0] != "16" ||
		reg.Answers.Answers["fotos"][0] != events.Yes || reg.Answers.Participants[2].Answers["essen"][0] != "vegan" {
		t.Fatalf("registration %+v, %v", reg, err)
	}
	if sub.Status != "contact" {
		t.Errorf("the family is %s: a registration is no subscription", sub.Status)
	}
	b.do(phone, chromedp.Click(chromedp.CSS(`a[href*="/cancel/"]`)))
	b.page("absagen", "Anmeldung absagen")
	b.do(phone, chromedp.Click(chromedp.CSS("button.danger")))
	b.page("abgesagt", "Anmeldung absagen", "Ihre Anmeldung ist abgesagt")
	if reg, err := evs.Registration(ctx, e.ID, sub.ID); err != nil || reg.Status != events.Cancelled || !reg.Answers.IsZero() {
		t.Errorf("after cancelling: %+v, %v", reg, err)
	}

	// A class of 25: the names are optional.
	school := "sekretariat@herder-gymnasium.example"
	b.do(phone, chromedp.Navigate(st.srv.URL+"/events/seminarfachboerse-2027"),
		chromedp.SetValue(chromedp.ID("people"), "25"), chromedp.Click(chromedp.CSS("button.recount")))
	b.page("klasse", "Seminarfachbörse", "Person 25")
	b.do(phone, chromedp.SendKeys(chromedp.ID("name"), "Herr Wagner"), chromedp.SendKeys(chromedp.ID("email"), school),
		chromedp.SendKeys(chromedp.ID("f-schule"), "Herder-Gymnasium Nordhausen"), chromedp.Click(chromedp.ID("f-rolle-1")),
		chromedp.Click(chromedp.ID("f-themen-1")), chromedp.Click(chromedp.ID("f-themen-3")),
		chromedp.SendKeys(chromedp.ID("t1-name"), "Ali Yilmaz"), send)
	b.page("klasse-abgeschickt", "Bitte bestätigen Sie Ihre Anmeldung")
	b.do(phone, chromedp.Navigate(st.srv.URL+st.link(st.mailTo(school, 4), "/events/seminarfachboerse-2027/register/")), send)
	b.page("klasse-angemeldet", "Seminarfachbörse", "Sie sind mit 25 Personen angemeldet")
	fb, _ := evs.Get(ctx, "seminarfachboerse-2027")
	reg, err = evs.Registration(ctx, fb.ID, st.mustGet(school).ID)
	if err != nil || reg.People != 25 || len(reg.Answers.Participants) != 25 || reg.Answers.Participants[0].Name != "Ali Yilmaz" ||
		strings.Join(reg.Answers.Answers["themen"], ",") != "Technik,Wirtschaft" {
		t.Errorf("the class: %+v, %v", reg, err)
	}
}
