package templates

import (
	"flag"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/i18n"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func testBrand() Brand {
	return Brand{
		Name:         "Netzwerkstelle Fachkräftesicherung Nordhausen",
		Link:         "https://rundbrief.example",
		Impressum:    "Landratsamt Nordhausen · Kommunale Netzwerkstelle Fachkräftesicherung · Behringstraße 3 · 99734 Nordhausen",
		ImpressumURL: "https://rundbrief.example/impressum?a=1&b=2",
		PrivacyURL:   "https://rundbrief.example/datenschutz",
	}
}

func newTestRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer(testBrand(), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testVars() Vars {
	return Vars{
		Name:           "Anna Beispiel",
		ConfirmURL:     "https://rundbrief.example/confirm/AQEAAAAAAAAAKgAAAABqFgAAc2lnbmF0dXJl",
		PreferencesURL: "https://rundbrief.example/preferences/AQIAAAAAAAAAKgAAAAAAAAAAc2ln",
		UnsubscribeURL: "https://rundbrief.example/unsubscribe/AQIAAAAAAAAAKgAAAAAAAAAAc2ln",
		Topics:         []string{"Berufsausbildung", "Angebote für Kinder und Jugendliche"},
	}
}

// golden compares got with testdata/name.golden, or rewrites it under
// -update. The golden files are data, named the Go way: the rendered mail
// as a whole, for review in a diff.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./templates -update and review the diff.\n--- got ---\n%s", name, got)
	}
}

func TestGolden(t *testing.T) {
	r := newTestRenderer(t)
	for _, kind := range []Kind{OptIn, PermissionRequest, Welcome, PreferencesLink} {
		for _, lang := range []i18n.Lang{i18n.German, i18n.English} {
			l, err := r.Layout(kind, lang)
			if err != nil {
				t.Fatal(err)
			}
			m := l.Render(testVars())
			base := string(kind) + "." + string(lang)
			golden(t, base+".subject.txt", m.Subject+"\n")
			golden(t, base+".html", m.HTML)
			golden(t, base+".txt", m.Text)
		}
	}
}

// What the copy must say, checked apart from the golden files so that a
// careless -update cannot lose it.
func TestCopy(t *testing.T) {
	r := newTestRenderer(t)
	tests := []struct {
		kind     Kind
		lang     i18n.Lang
		subject  string
		want     []string // in both parts
		wantHTML []string
		absent   []string // in neither part
	}{
		{OptIn, i18n.German, "Bitte bestätigen Sie Ihr Abonnement des Rundbriefs",
			[]string{"Guten Tag Anna Beispiel,", "Der Link ist 7 Tage gültig.", testVars().ConfirmURL, "Behringstraße 3", "Mit freundlichen Grüßen"},
			[]string{`lang="de"`, button("Abonnement bestätigen", testVars().ConfirmURL), `href="https://rundbrief.example/impressum?a=1&amp;b=2"`},
			[]string{"rbvar", "Abmelden", "unsubscribe", "Mit freundlichen Grüßen,"}},
		{OptIn, i18n.English, "Please confirm your subscription",
			[]string{"Hello Anna Beispiel,", "The link is valid for 7 days.", testVars().ConfirmURL},
			[]string{`lang="en"`, button("Confirm subscription", testVars().ConfirmURL)},
			[]string{"rbvar", "Unsubscribe", "Guten Tag"}},
		// The office asking contacts it knows (issue 15, point 5).
		{PermissionRequest, i18n.German, "Möchten Sie den Rundbrief der Netzwerkstelle Fachkräftesicherung erhalten?",
			[]string{"Guten Tag Anna Beispiel,", "wir sind die Kommunale Netzwerkstelle Fachkräftesicherung im Landratsamt Nordhausen",
				"aus der Zusammenarbeit mit Ihnen", "Ohne Ihren Klick geschieht nichts", "Der Link ist 7 Tage gültig.", testVars().ConfirmURL,
				"Sie erhalten diese E-Mail einmalig, weil die Netzwerkstelle Sie um Ihre Einwilligung bittet."},
			[]string{`lang="de"`, button("Ja, Rundbrief abonnieren", testVars().ConfirmURL)},
			[]string{"rbvar", "Abmelden", "unsubscribe", "jemand mit Ihrer E-Mail-Adresse", "in das Formular"}},
		{PermissionRequest, i18n.English, "May we send you the newsletter of the Netzwerkstelle Fachkräftesicherung?",
			[]string{"Hello Anna Beispiel,", "district office of Nordhausen", "Without your click nothing happens", testVars().ConfirmURL},
			[]string{`lang="en"`, button("Yes, subscribe to the newsletter", testVars().ConfirmURL)},
			[]string{"rbvar", "Unsubscribe", "Guten Tag"}},
		{Welcome, i18n.German, "Willkommen beim Rundbrief der Netzwerkstelle Fachkräftesicherung",
			[]string{"Ihre Themen: Berufsausbildung, Angebote für Kinder und Jugendliche.", testVars().PreferencesURL, testVars().UnsubscribeURL, "Rundbrief abbestellen"},
			[]string{button("Meine Einstellungen öffnen", testVars().PreferencesURL)},
			[]string{"rbvar"}},
		{Welcome, i18n.English, "Welcome to the newsletter of the Netzwerkstelle Fachkräftesicherung",
			[]string{"Your topics: Berufsausbildung", testVars().UnsubscribeURL, "Unsubscribe"},
			[]string{`lang="en"`},
			[]string{"rbvar"}},
		// The preferences link answers a request anyone can make: its
		// footer offers no unsubscribe link (issue 15, point 4).
		{PreferencesLink, i18n.German, "Ihr Link zu Ihren Rundbrief-Einstellungen",
			[]string{"Sie haben den Rundbrief bereits abonniert", "es hat sich nichts geändert", testVars().PreferencesURL, "in das Formular zum Abonnieren unseres Rundbriefs eingetragen"},
			[]string{button("Meine Einstellungen öffnen", testVars().PreferencesURL)},
			[]string{"rbvar", "bestätigen", testVars().UnsubscribeURL}},
		{PreferencesLink, i18n.English, "Your link to your newsletter preferences",
			[]string{"You are already subscribed", testVars().PreferencesURL},
			[]string{`lang="en"`},
			[]string{"rbvar", "confirm", testVars().UnsubscribeURL}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"."+string(tt.lang), func(t *testing.T) {
			l, err := r.Layout(tt.kind, tt.lang)
			if err != nil {
				t.Fatal(err)
			}
			m := l.Render(testVars())
			if m.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tt.subject)
			}
			for _, s := range tt.want {
				if !strings.Contains(m.HTML, strings.ReplaceAll(s, "&", "&amp;")) || !strings.Contains(m.Text, s) {
					t.Errorf("%q missing (HTML: %v, text: %v)", s, strings.Contains(m.HTML, s), strings.Contains(m.Text, s))
				}
			}
			for _, s := range tt.wantHTML {
				if re, ok := strings.CutPrefix(s, "re:"); ok {
					if !regexp.MustCompile(re).MatchString(m.HTML) {
						t.Errorf("HTML does not match %s", re)
					}
				} else if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lacks %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(m.HTML, s) || strings.Contains(m.Text, s) {
					t.Errorf("%q must not appear", s)
				}
			}
		})
	}
}

// button matches the hermes button with text that links to url.
func button(text, url string) string {
	return `re:(?s)<a class="button" href="` + regexp.QuoteMeta(url) + `"[^>]*>\s*` + regexp.QuoteMeta(text) + `\s*</a>`
}

// What a subscriber typed is escaped in the HTML part and kept as typed in
// the text part; without a name, the greeting stands alone.
func TestRenderEscapes(t *testing.T) {
	l, err := newTestRenderer(t).Layout(Welcome, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	m := l.Render(Vars{Name: `<script>alert("x")</script> & Söhne`, Topics: []string{"A<b>"}})
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "A<b>") {
		t.Error("HTML part contains unescaped input")
	}
	if !strings.Contains(m.HTML, "Guten Tag &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Söhne,") {
		t.Errorf("HTML greeting not escaped as expected:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, `Guten Tag <script>alert("x")</script> & Söhne,`) {
		t.Error("text part does not keep the name as typed")
	}
	m = l.Render(Vars{})
	if !strings.Contains(m.Text, "Guten Tag,") || !strings.Contains(m.Text, "Ihre Themen: noch keine ausgewählt.") {
		t.Errorf("without name and topics:\n%s", m.Text)
	}
}

func TestNewRendererChecksBrand(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Brand)
	}{
		{"no name", func(b *Brand) { b.Name = "" }},
		{"no Impressum", func(b *Brand) { b.Impressum = " " }},
		{"privacy URL without Impressum URL", func(b *Brand) { b.ImpressumURL = "" }},
		{"relative link", func(b *Brand) { b.Link = "/rundbrief" }},
		{"javascript link", func(b *Brand) { b.PrivacyURL = "javascript:alert(1)" }},
	}
	for _, tt := range tests {
		b := testBrand()
		tt.edit(&b)
		if _, err := NewRenderer(b, 7*24*time.Hour); err == nil {
			t.Errorf("%s: NewRenderer accepted %+v", tt.name, b)
		}
	}
	b := testBrand()
	b.ImpressumURL, b.PrivacyURL = "", ""
	r, err := NewRenderer(b, 36*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	l, err := r.Layout(OptIn, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	if m := l.Render(testVars()); strings.Contains(m.HTML, "Datenschutz") || !strings.Contains(m.Text, "36 Stunden gültig") {
		t.Errorf("without legal URLs or with a 36-hour link:\n%s", m.Text)
	}
}

func TestCompileRefusesUnknownPlaceholder(t *testing.T) {
	if _, err := compile("Hallo "+placeholder("vorname"), nil, nil, func(s string) string { return s }); err == nil {
		t.Error("compile accepted an unknown placeholder")
	}
	if _, err := compile("Hallo rbvar-greeting", nil, nil, func(s string) string { return s }); err == nil {
		t.Error("compile accepted an unterminated placeholder")
	}
}

// Personalising a layout costs a fraction of a hermes render; a campaign
// renders once per language and personalises per recipient.
func BenchmarkRenderLayout(b *testing.B) {
	r := newTestRenderer(b)
	for b.Loop() {
		if _, err := r.render(subscriptionCopy(r.words(i18n.German), "willkommen", varPreferencesURL, r.optInTTL), i18n.German, footerList); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPersonalize(b *testing.B) {
	l, err := newTestRenderer(b).Layout(Welcome, i18n.German)
	if err != nil {
		b.Fatal(err)
	}
	v := testVars()
	for b.Loop() {
		l.Render(v)
	}
}

// The greeting follows the Anrede where it is known and the mail is formal
// (COPY.md; issue 16, point 2).
func TestGreeting(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	for _, tc := range []struct {
		lang i18n.Lang
		v    Vars
		want string
	}{
		{i18n.German, Vars{Name: "Sabine Köhler", Salutation: SalutationMs, Formal: true}, "Sehr geehrte Frau Köhler,"},
		{i18n.German, Vars{Name: "Jörg Müller", Salutation: SalutationMr, Formal: true}, "Sehr geehrter Herr Müller,"},
		{i18n.German, Vars{Name: "Dr. Aylin Demir", Salutation: SalutationMs, Formal: true}, "Sehr geehrte Frau Dr. Demir,"},
		{i18n.German, Vars{Name: "Sabine Köhler", Salutation: SalutationMs}, "Guten Tag Sabine Köhler,"},
		{i18n.German, Vars{Name: "Sabine Köhler", Formal: true}, "Guten Tag Sabine Köhler,"},
		{i18n.German, Vars{Name: "Sabine", Salutation: SalutationMs, Formal: true}, "Guten Tag Sabine,"},
		{i18n.German, Vars{Salutation: SalutationMr, Formal: true}, "Guten Tag,"},
		{i18n.English, Vars{Name: "Sabine Köhler", Salutation: SalutationMs, Formal: true}, "Dear Ms Köhler,"},
		{i18n.English, Vars{Name: "Jan Neumann", Salutation: SalutationMr, Formal: true}, "Dear Mr Neumann,"},
	} {
		l, err := r.Layout(Welcome, tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := greeting(l.greet, tc.v); got != tc.want {
			t.Errorf("greeting(%s, %+v) = %q, want %q", tc.lang, tc.v, got, tc.want)
		}
	}
}

// A newsletter whose text brings its own greeting and closing gets
// neither of ours: each appears once (issue 16, point 2).
func TestNewsletterGreetsAndClosesOnce(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	for _, tc := range []struct {
		name, body              string
		greetings, signatures   int
		wantGreeting, wantClose string
	}{
		{"own greeting and closing", "Liebe Partnerinnen und Partner,\n\nneues aus der Netzwerkstelle.\n\nMit freundlichen Grüßen\nIhre Netzwerkstelle", 0, 1, "Liebe Partnerinnen und Partner,", "Mit freundlichen Grüßen"},
		{"own greeting only", "Sehr geehrte Damen und Herren,\n\nneues aus der Netzwerkstelle.", 0, 1, "Sehr geehrte Damen und Herren,", "Mit freundlichen Grüßen"},
		{"neither", "## Neues\n\nAus der Netzwerkstelle.", 1, 1, "Guten Tag Anna Beispiel,", "Mit freundlichen Grüßen"},
	} {
		l, err := r.Newsletter(Newsletter{Subject: "Rundbrief", Body: tc.body}, i18n.German)
		if err != nil {
			t.Fatal(err)
		}
		m := l.Render(testVars())
		for _, part := range []string{m.Text, m.HTML} {
			if n := strings.Count(part, "Guten Tag"); n != tc.greetings {
				t.Errorf("%s: %d default greetings, want %d", tc.name, n, tc.greetings)
			}
			if strings.Contains(part, "Yours truly") {
				t.Errorf("%s: hermes' default signature", tc.name)
			}
			if n := strings.Count(part, "Mit freundlichen Grüßen"); n != tc.signatures {
				t.Errorf("%s: %d closings, want %d", tc.name, n, tc.signatures)
			}
			if !strings.Contains(part, tc.wantGreeting) || !strings.Contains(part, tc.wantClose) {
				t.Errorf("%s: lacks %q or %q:\n%s", tc.name, tc.wantGreeting, tc.wantClose, part)
			}
		}
	}
}

// The layout's tables are presentation for screen readers; the facts keep
// role="table" and staff's own tables stay data tables (issue 16, point 8).
func TestLayoutTablesArePresentation(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	inv, err := r.Invitation(testInvitation(t), i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := r.Newsletter(Newsletter{Subject: "Rundbrief", Body: "| a | b |\n|---|---|\n| 1 | 2 |"}, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	tag := regexp.MustCompile(`<table[^>]*>`)
	for name, html := range map[string]string{"invitation": inv.Render(testVars()).HTML, "newsletter": nl.Render(testVars()).HTML} {
		var bare int
		for _, tg := range tag.FindAllString(html, -1) {
			switch {
			case strings.Contains(tg, `role="presentation"`), strings.Contains(tg, `role="table"`):
			default:
				bare++
			}
		}
		if bare != 0 {
			t.Errorf("%s: %d tables without a role, want 0", name, bare)
		}
		if !strings.Contains(html, `role="table"`) {
			t.Errorf("%s: the facts or staff's table lost role=table", name)
		}
	}
	// Staff's table is a data table with borders, padding and column
	// headers.
	if h := nl.Render(testVars()).HTML; !strings.Contains(h, `<th scope="col" style="border: 1px solid #C9CDD2; padding: 6px 8px;`) ||
		!strings.Contains(h, `<td style="border: 1px solid #C9CDD2; padding: 6px 8px;`) {
		t.Errorf("newsletter table without borders, padding or th scope:\n%s", h)
	}
}

// The newsletter's headings are smaller than its title and one level
// below it, styled inline (some mail programs drop style elements).
func TestNewsletterHeadingsBelowTheTitle(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	nl, err := r.Newsletter(Newsletter{Subject: "Rundbrief", Body: "# Veranstaltungen\n\n## Talent-Campus\n\nText"}, i18n.German)
	if err != nil {
		t.Fatal(err)
	}
	h := nl.Render(testVars()).HTML
	if strings.Count(h, "<h1") != 1 || !strings.Contains(h, `<h2 style="margin: 21px 0 8px; color: #2F3133; font-weight: bold; font-size: 17px;">Veranstaltungen</h2>`) ||
		!strings.Contains(h, `<h3 style="margin: 21px 0 8px; color: #2F3133; font-weight: bold; font-size: 15px;">Talent-Campus</h3>`) {
		t.Errorf("headings:\n%s", h)
	}
	if !strings.Contains(h, "font-size:19px") {
		t.Errorf("the title is no longer 19px, larger than the headings")
	}
}

// Every mail has a hidden preheader, the inbox's preview after the
// subject: an invitation's when and where, a newsletter's first line after
// its greeting, otherwise the first sentence after the greeting, with a
// capital (issue 16, point 8).
func TestPreheader(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	hidden := regexp.MustCompile(`<div style="display: none;[^"]*">([^<]*)</div>`)
	inv, _ := r.Invitation(testInvitation(t), i18n.German)
	nl, _ := r.Newsletter(Newsletter{Subject: "Rundbrief", Body: "Liebe Partnerinnen und Partner,\n\nim Dezember laden wir zur Regionalkonferenz ein."}, i18n.German)
	welcome, _ := r.Layout(Welcome, i18n.German)
	for _, tc := range []struct {
		name string
		l    *Layout
		want string
	}{
		{"invitation", inv, "Donnerstag, 18. März 2027, 9:00 bis 14:00 Uhr · Hochschule Nordhausen, Weinberghof 4, 99734 Nordhausen"},
		{"newsletter", nl, "Im Dezember laden wir zur Regionalkonferenz ein."},
		{"welcome", welcome, "Vielen Dank für Ihre Bestätigung."},
	} {
		m := hidden.FindStringSubmatch(tc.l.Render(testVars()).HTML)
		if m == nil || !strings.HasPrefix(html.UnescapeString(m[1]), tc.want) {
			t.Errorf("%s: preheader %q, want it to begin %q", tc.name, m, tc.want)
		}
	}
}

// A follow-up goes to those who came to an event: it says why, and
// carries no link that ends a subscription (they may be contacts only).
func TestFollowUpIsAboutTheRegistration(t *testing.T) {
	t.Parallel()
	r := newTestRenderer(t)
	for _, tc := range []struct {
		followUp            bool
		why                 string
		unsubscribeInFooter bool
	}{
		{false, "weil Sie den Rundbrief", true},
		{true, "weil Sie an dieser Veranstaltung teilgenommen haben", false},
	} {
		l, err := r.Newsletter(Newsletter{Subject: "Danke für Ihr Kommen", Body: "vielen Dank.", FollowUp: tc.followUp}, i18n.German)
		if err != nil {
			t.Fatal(err)
		}
		m := l.Render(testVars())
		if got := strings.Contains(m.Text, tc.why); !got {
			t.Errorf("follow-up %v: the text lacks %q", tc.followUp, tc.why)
		}
		if got := strings.Contains(m.Text, "Rundbrief abbestellen"); got != tc.unsubscribeInFooter {
			t.Errorf("follow-up %v: unsubscribe link %v, want %v", tc.followUp, got, tc.unsubscribeInFooter)
		}
	}
}
