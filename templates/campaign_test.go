package templates

import (
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

func testInvitation(t testing.TB) Invitation {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2027, 3, 5, 12, 0, 0, 0, berlin)
	return Invitation{
		Title: "Job-Speeddating 2027",
		Description: "Zehn Minuten, ein Gespräch, vielleicht der Ausbildungsplatz.\n\n" +
			"- Unternehmen aus dem **Landkreis**\n- Schülerinnen und Schüler ab Klasse 9\n\n" +
			"Mehr unter [knf.example](https://knf.example/speeddating).",
		Start:        time.Date(2027, 3, 18, 9, 0, 0, 0, berlin),
		End:          time.Date(2027, 3, 18, 14, 0, 0, 0, berlin),
		Place:        "Hochschule Nordhausen, Weinberghof 4, 99734 Nordhausen",
		Audience:     "Unternehmen, Schulen · Berufsausbildung",
		Organiser:    "Netzwerkstelle Fachkräftesicherung mit der Hochschule Nordhausen",
		Registration: true,
		Deadline:     &deadline,
		Calendar:     CalendarLinks{Google: "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Job-Speeddating"},
	}
}

func campaignVars() Vars {
	v := testVars()
	v.RegisterURL = "https://rundbrief.example/events/job-speeddating-2027/register/AQMAAAAAAAAAKgAAAAAAAAAAc2ln"
	return v
}

func TestCampaignGolden(t *testing.T) {
	r := newTestRenderer(t)
	for _, lang := range []i18n.Lang{i18n.German, i18n.English} {
		inv, err := r.Invitation(testInvitation(t), lang)
		if err != nil {
			t.Fatal(err)
		}
		m := inv.Render(campaignVars())
		golden(t, "invitation."+string(lang)+".subject.txt", m.Subject+"\n")
		golden(t, "invitation."+string(lang)+".html", m.HTML)
		golden(t, "invitation."+string(lang)+".txt", m.Text)

		// "Anmeldeschluss naht" (issue 15, point 2): the invitation's
		// facts and button, with until when registration is open.
		last := testInvitation(t)
		last.LastCall, last.Note = true, "Es sind noch 12 Plätze frei."
		lc, err := r.Invitation(last, lang)
		if err != nil {
			t.Fatal(err)
		}
		m = lc.Render(campaignVars())
		golden(t, "last-call."+string(lang)+".subject.txt", m.Subject+"\n")
		golden(t, "last-call."+string(lang)+".txt", m.Text)

		nl, err := r.Newsletter(Newsletter{Subject: "Rundbrief Dezember 2026",
			Body: "## Neues aus der Netzwerkstelle\n\nDas **Jobticket** gilt ab Januar auch im Südharz.\n\n| Termin | Was |\n|---|---|\n| 18.03. | Job-Speeddating |"}, lang)
		if err != nil {
			t.Fatal(err)
		}
		m = nl.Render(campaignVars())
		golden(t, "newsletter."+string(lang)+".html", m.HTML)
		golden(t, "newsletter."+string(lang)+".txt", m.Text)
	}
}

func TestInvitationSays(t *testing.T) {
	r := newTestRenderer(t)
	inv := testInvitation(t)
	for _, tc := range []struct {
		name string
		edit func(*Invitation)
		lang i18n.Lang
		want []string // in the HTML and the text part
		not  []string
	}{
		{"registration", func(*Invitation) {}, i18n.German,
			[]string{"Wann", "Donnerstag, 18. März 2027, 9:00 bis 14:00 Uhr", "Anmeldung bis", "Freitag, 5. März 2027, 12:00 Uhr",
				"Jetzt anmelden", "/register/AQMA", "Oder im Webkalender eintragen:", "Google Kalender", "Für wen",
				"herzlich laden wir Sie zu dieser Veranstaltung ein."},
			[]string{"Mehr erfahren", "Online"}},
		{"no registration", func(i *Invitation) {
			i.Registration, i.Deadline, i.MoreURL = false, nil, "https://rundbrief.example/events/x"
		}, i18n.German,
			[]string{"Mehr erfahren", "https://rundbrief.example/events/x", "nicht erforderlich"},
			[]string{"Jetzt anmelden", "/register/"}},
		{"several days, online", func(i *Invitation) {
			i.End = i.Start.Add(4*24*time.Hour + time.Hour)
			i.Place, i.OnlineURL = "", "https://meet.example/codeweek"
		}, i18n.German,
			[]string{"Donnerstag, 18. März 2027, 9:00 Uhr bis Montag, 22. März 2027, 10:00 Uhr", "https://meet.example/codeweek"},
			[]string{"Wo"}},
		{"five days in a row", func(i *Invitation) {
			i.Days = nil
			for d := range 5 {
				start := time.Date(2027, 7, 5+d, 9, 0, 0, 0, i.Start.Location())
				i.Days = append(i.Days, Span{start, start.Add(6 * time.Hour)})
			}
			i.Calendar.Outlook = "https://outlook.live.com/calendar/0/deeplink/compose?rru=addevent"
		}, i18n.German,
			[]string{"5. bis 9. Juli 2027, jeweils 9:00 bis 15:00 Uhr", "alle Tage der Veranstaltung", "Outlook.com", "nur den ersten Tag"},
			[]string{"18. März"}},
		{"days apart", func(i *Invitation) {
			day := func(d, from, to int) Span {
				return Span{time.Date(2027, 10, d, from, 0, 0, 0, i.Start.Location()), time.Date(2027, 10, d, to, 0, 0, 0, i.Start.Location())}
			}
			i.Days = []Span{day(22, 9, 13), day(23, 10, 16), day(25, 9, 13)}
		}, i18n.German,
			[]string{"Freitag, 22. Oktober 2027, 9:00 bis 13:00 Uhr; Samstag, 23. Oktober 2027, 10:00 bis 16:00 Uhr; Montag, 25. Oktober 2027, 9:00 bis 13:00 Uhr"},
			nil},
		{"contact person", func(i *Invitation) {
			i.Contact = Contact{Name: "Anja Berger", Phone: "03631 911-0", Email: "fachkraefte@example.org"}
		}, i18n.German,
			[]string{"Ansprechperson", "Anja Berger, Telefon 03631 911-0, fachkraefte@example.org"},
			nil},
		{"own subject and intro with a greeting", func(i *Invitation) {
			i.Subject = "Sommerferien: Talent-Campus für Ihre Kinder"
			i.Intro = "Liebe Eltern,\n\nin den Sommerferien wird getanzt,\ngefilmt und gerappt."
		}, i18n.German,
			[]string{"Liebe Eltern,", "in den Sommerferien wird getanzt, gefilmt und gerappt."},
			[]string{"Guten Tag", "Sehr geehrte", "herzlich laden wir Sie", "Einladung:"}},
		{"own intro without a greeting", func(i *Invitation) {
			i.Intro = "Zum dritten Mal laden wir Unternehmen und Studierende ein."
		}, i18n.German,
			[]string{"Guten Tag Anna Beispiel,", "Zum dritten Mal laden wir Unternehmen und Studierende ein."},
			[]string{"herzlich laden wir Sie"}},
		{"English", func(*Invitation) {}, i18n.English,
			[]string{"When", "Thursday, 18 March 2027, 09:00 to 14:00 (German time)", "Register now", "Or add it to a web calendar:", "Google Calendar"},
			[]string{"Jetzt anmelden", "Wann"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := inv
			tc.edit(&i)
			l, err := r.Invitation(i, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			m := l.Render(campaignVars())
			for _, part := range []struct{ name, s string }{{"HTML", m.HTML}, {"text", m.Text}} {
				for _, w := range tc.want {
					if part.name == "text" && isButton(w) {
						continue // the text part gives the link, not the button's words
					}
					if !strings.Contains(part.s, htmlOr(part.name, w)) {
						t.Errorf("%s part lacks %q", part.name, w)
					}
				}
				for _, n := range tc.not {
					if strings.Contains(part.s, htmlOr(part.name, n)) {
						t.Errorf("%s part has %q", part.name, n)
					}
				}
			}
		})
	}
}

// An invitation's subject: never two colons; a campaign's own subject
// replaces it, in the invitation and in its last call.
func TestInvitationSubject(t *testing.T) {
	r := newTestRenderer(t)
	for _, tc := range []struct {
		title, own string
		lastCall   bool
		lang       i18n.Lang
		want       string
	}{
		{"Job-Speeddating", "", false, i18n.German, "Einladung: Job-Speeddating"},
		{"Talent-Campus: Hip-Hop, Breakdance, Videodreh", "", false, i18n.German, "Einladung zu „Talent-Campus: Hip-Hop, Breakdance, Videodreh“"},
		{"Talent Campus: hip-hop", "", false, i18n.English, "Invitation to “Talent Campus: hip-hop”"},
		{"Talent-Campus: Hip-Hop", "Sommerferien mit Hip-Hop und Videodreh", false, i18n.German, "Sommerferien mit Hip-Hop und Videodreh"},
		{"Job-Speeddating", "", true, i18n.German, "Anmeldeschluss naht: Job-Speeddating"},
		{"Job-Speeddating", "Noch 5 Tische frei", true, i18n.German, "Noch 5 Tische frei"},
	} {
		inv := testInvitation(t)
		inv.Title, inv.Subject, inv.LastCall = tc.title, tc.own, tc.lastCall
		l, err := r.Invitation(inv, tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if l.Subject != tc.want {
			t.Errorf("subject of %q (own %q) = %q, want %q", tc.title, tc.own, l.Subject, tc.want)
		}
	}
}

func isButton(s string) bool {
	return s == "Jetzt anmelden" || s == "Mehr erfahren" || s == "Register now"
}

func htmlOr(part, s string) string {
	if part == "HTML" {
		return strings.NewReplacer("&", "&amp;").Replace(s)
	}
	return s
}

// Staff's Markdown and titles cannot put markup or script into a mail, nor
// reach the placeholders.
func TestCampaignTextIsEscaped(t *testing.T) {
	r := newTestRenderer(t)
	inv := testInvitation(t)
	inv.Title = `<script>alert(1)</script> rbvar-greeting-rbvar`
	inv.Description = "<img src=x onerror=alert(1)>\n\n[klick](javascript:alert(1)) rbvar-unknown-rbvar"
	inv.Organiser = `"><b>fett</b>`
	l, err := r.Invitation(inv, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	m := l.Render(campaignVars())
	for _, bad := range []string{"<script>", "<img", "javascript:", "<b>fett", "onerror"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
	if strings.Contains(m.Subject, "Guten Tag") || strings.Contains(m.HTML, "<h1>&lt;script&gt;alert(1)&lt;/script&gt; Guten Tag") {
		t.Error("a placeholder in the title was filled in")
	}
}

func TestRegistrationGolden(t *testing.T) {
	r := newTestRenderer(t)
	for _, tc := range []struct {
		kind RegistrationKind
		lang i18n.Lang
	}{
		{RegistrationConfirmed, i18n.German}, {RegistrationConfirmed, i18n.English}, {RegistrationWaiting, i18n.German},
		{RegistrationMovedUp, i18n.German}, {RegistrationCancelled, i18n.German},
		{RegistrationRequested, i18n.German}, {RegistrationRequested, i18n.English}, {RegistrationLink, i18n.German},
	} {
		l, err := r.Registration(Registration{
			Event: testInvitation(t), Kind: tc.kind, People: 2, Position: 3,
		}, tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		v := testVars()
		v.RegisterURL = "https://rundbrief.example/events/job-speeddating-2027/register/AQMA"
		v.CancelURL = "https://rundbrief.example/events/job-speeddating-2027/cancel/AQMA"
		m := l.Render(v)
		base := "registration-" + string(tc.kind) + "." + string(tc.lang)
		golden(t, base+".subject.txt", m.Subject+"\n")
		golden(t, base+".txt", m.Text)
		if tc.kind == RegistrationConfirmed {
			golden(t, base+".html", m.HTML)
		}
		why := "weil Sie sich für diese Veranstaltung angemeldet haben"
		if tc.kind == RegistrationRequested || tc.kind == RegistrationLink {
			// Nobody has shown yet that they registered: the mail says
			// only that the address was entered, and offers no cancel
			// link and no calendar entry for what is not confirmed.
			why = "weil Ihre Adresse auf unserer Internetseite in die Anmeldung"
			if strings.Contains(m.Text, "/cancel/") || strings.Contains(m.Text, "Google") {
				t.Errorf("%s offers a cancel link or a calendar entry", base)
			}
		}
		for _, want := range []string{"/register/AQMA", why} {
			if tc.lang == i18n.German && !strings.Contains(m.Text, want) {
				t.Errorf("%s lacks %q", base, want)
			}
		}
	}
	if _, err := r.Registration(Registration{Event: testInvitation(t), Kind: "gibtsnicht", People: 1}, i18n.German); err == nil {
		t.Error("an unknown registration mail was rendered")
	}
}

func TestUntil(t *testing.T) {
	r := newTestRenderer(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start := time.Date(2027, 3, 18, 9, 0, 0, 0, berlin)
	for _, tc := range []struct {
		before time.Duration
		de, en string
	}{
		{7 * 24 * time.Hour, "in 7 Tagen", "in 7 days"},
		{24 * time.Hour, "morgen", "tomorrow"},
		{48 * time.Hour, "übermorgen", "the day after tomorrow"},
		{14 * time.Hour, "morgen", "tomorrow"}, // 19:00 the evening before
		{3 * time.Hour, "in 3 Stunden", "in 3 hours"},
		{40 * time.Minute, "in einer Stunde", "in one hour"},
	} {
		now := start.Add(-tc.before)
		if got := r.Until(i18n.German, now, start); got != tc.de {
			t.Errorf("%v before: %q, want %q", tc.before, got, tc.de)
		}
		if got := r.Until(i18n.English, now, start); got != tc.en {
			t.Errorf("%v before: %q, want %q", tc.before, got, tc.en)
		}
	}
}

func TestNoticeGolden(t *testing.T) {
	r := newTestRenderer(t)
	v := campaignVars()
	v.CancelURL = "https://rundbrief.example/events/job-speeddating-2027/cancel/AQMA"
	for _, n := range []Notice{
		{Kind: NoticeReminder, Event: testInvitation(t), Until: "in 7 Tagen"},
		{Kind: NoticeUpdate, Event: testInvitation(t), Note: "Neue Zeit: Donnerstag, 22. April 2027, 15:00 bis 18:00 Uhr"},
		{Kind: NoticeCancellation, Event: testInvitation(t), Note: "Die Hochschule ist wegen eines Wasserschadens geschlossen."},
	} {
		l, err := r.Notice(n, i18n.German)
		if err != nil {
			t.Fatal(err)
		}
		m := l.Render(v)
		golden(t, string(n.Kind)+".de.subject.txt", m.Subject+"\n")
		golden(t, string(n.Kind)+".de.txt", m.Text)
		if n.Kind != NoticeCancellation && !strings.Contains(m.HTML, `href="https://rundbrief.example/events/job-speeddating-2027/cancel/AQMA"`) {
			t.Errorf("%s: no cancel link in the HTML part", n.Kind)
		}
	}
}

// A layout with blanks, filled with BlankValues, is the rendered mail: the
// bulk copies a campaign sends say what Render says.
func TestBlanksFillLikeRender(t *testing.T) {
	r := newTestRenderer(t)
	blank := func(name string) string { return "[[" + name + "]]" }
	fill := func(s string, vals map[string]string) string {
		for name, v := range vals {
			s = strings.ReplaceAll(s, blank(name), v)
		}
		return s
	}
	v := campaignVars()
	v.Name = `Jörg "<b>Müller</b>" & Söhne`
	v.Topics = []string{"Ausbildung", "Familie & Beruf"}
	for _, lang := range []i18n.Lang{i18n.German, i18n.English} {
		inv, err := r.Invitation(testInvitation(t), lang)
		if err != nil {
			t.Fatal(err)
		}
		welcome, err := r.Layout(Welcome, lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []*Layout{inv, welcome} {
			vals := map[string]string{}
			l.BlankValues(v, vals)
			if got, want := len(vals), len(l.BlankNames()); got != want {
				t.Errorf("%d values for %d blanks", got, want)
			}
			b := l.Blanks(blank)
			want := l.Render(v)
			if got := fill(b.HTML, vals); got != want.HTML {
				t.Errorf("%s: HTML with blanks filled differs from Render", lang)
			}
			if got := fill(b.Text, vals); got != want.Text {
				t.Errorf("%s: text with blanks filled differs from Render", lang)
			}
			if strings.Contains(b.HTML, "Müller") || !strings.Contains(b.HTML, blank("html_greeting")) {
				t.Errorf("%s: the blanks hold recipient data or lack the greeting", lang)
			}
		}
	}
}

// The office's looks (issue 16): an invitation to five days with the
// logo, the EU emblem, a contact person and the office's own intro; a
// newsletter with a picture it carries. Their HTML is also what the
// browser test screenshots (web/TestMailInBrowser).
func TestLooksGolden(t *testing.T) {
	brand := testBrand()
	brand.Logo = &Image{ContentID: "logo@rundbrief", Width: 360, Height: 120}
	brand.FooterLogos = []Image{{ContentID: "fusszeile-1@rundbrief", Alt: "Kofinanziert von der Europäischen Union",
		Caption: "Kofinanziert von der Europäischen Union", Width: 240, Height: 160}}
	r, err := NewRenderer(brand, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	inv := testInvitation(t)
	inv.Title = "Talent-Campus: Hip-Hop, Breakdance, Videodreh"
	inv.Description = "Fünf Tage in den Sommerferien: Hip-Hop, Breakdance und ein eigener Videodreh mit Profis. Kostenlos, mit Mittagessen."
	inv.Place, inv.Audience = "Kreisvolkshochschule Nordhausen, Käthe-Kollwitz-Straße 17, 99734 Nordhausen", "Jugendliche von 12 bis 18 Jahren"
	inv.Organiser = "Kommunale Netzwerkstelle Fachkräftesicherung mit dem Kreisjugendring Nordhausen"
	inv.Days = nil
	for d := range 5 {
		start := time.Date(2027, 7, 5+d, 9, 0, 0, 0, inv.Start.Location())
		inv.Days = append(inv.Days, Span{start, start.Add(6 * time.Hour)})
	}
	inv.Start, inv.End = inv.Days[0].Start, inv.Days[4].End
	deadline := time.Date(2027, 6, 25, 23, 59, 0, 0, inv.Start.Location())
	inv.Deadline = &deadline
	inv.Contact = Contact{Name: "Anja Berger", Phone: "03631 911-0", Email: "fachkraefte@example.org"}
	inv.Intro = "Liebe Eltern,\n\nin den Sommerferien wird in der Kreisvolkshochschule getanzt, gefilmt und gerappt – fünf Tage lang, kostenlos und mit Mittagessen."
	inv.Subject = "Sommerferien: Talent-Campus für Ihre Kinder"
	inv.Calendar.Outlook = "https://outlook.live.com/calendar/0/deeplink/compose?rru=addevent&subject=Talent-Campus"
	inv.Calendar.Office365 = "https://outlook.office.com/calendar/0/deeplink/compose?rru=addevent&subject=Talent-Campus"
	l, err := r.Invitation(inv, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	m := l.Render(campaignVars())
	golden(t, "invitation-days.de.subject.txt", m.Subject+"\n")
	golden(t, "invitation-days.de.html", m.HTML)
	golden(t, "invitation-days.de.txt", m.Text)

	nl, err := r.Newsletter(Newsletter{Subject: "Rundbrief Juli 2027",
		Body: "Liebe Partnerinnen und Partner,\n\nder Talent-Campus war ein Erfolg: 58 Jugendliche haben eine Woche lang getanzt und gefilmt.\n\n" +
			"![Jugendliche beim Videodreh im Hof der Kreisvolkshochschule](cid:bild-1@rundbrief)\n\n" +
			"## Termine im Herbst\n\n| Datum | Veranstaltung | Ort |\n|---|---|---|\n| 9. Oktober | Codeweek | Schülerforschungszentrum |\n| 22. April | Job-Speeddating | Hochschule Nordhausen |\n\n" +
			"Mit freundlichen Grüßen\nIhre Netzwerkstelle Fachkräftesicherung",
		Pictures: map[string]Picture{"bild-1@rundbrief": {Width: 1200, Height: 675}}}, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	m = nl.Render(campaignVars())
	golden(t, "newsletter-picture.de.html", m.HTML)
	golden(t, "newsletter-picture.de.txt", m.Text)
}
