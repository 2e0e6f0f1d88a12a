package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

var screenshots = flag.Bool("screenshots", false, "write the German screenshots of the browser walk to docs/screenshots/")

// chromiumPath finds Debian's chromium (or another Chrome).
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium)")
}

// tab is a headless Chromium with JavaScript switched off, showing the
// stack's pages in one language.
type tab struct {
	t     *testing.T
	ctx   context.Context
	st    *stack
	lang  string
	shots string // the test's folder for screenshots
	n     int
}

func newTab(t *testing.T, st *stack, lang, acceptLanguage string) *tab {
	t.Helper()
	path, err := chromiumPath()
	testenv.Require(t, "chromium", err)
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("accept-lang", acceptLanguage),
		chromedp.Flag("lang", acceptLanguage),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	// No page needs JavaScript: the walk runs with it switched off.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return &tab{t: t, ctx: ctx, st: st, lang: lang, shots: t.TempDir()}
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// page waits until the page's main heading says heading, checks what every
// page must have, and saves a screenshot at phone and desktop width.
func (b *tab) page(name, heading string, wantText ...string) {
	b.t.Helper()
	var h1 string
	// Wait for the heading and the text: after a form is sent, the old
	// page (with the same heading, as on the preferences page) may still
	// be showing.
	for deadline := time.Now().Add(15 * time.Second); ; {
		got, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("h1")))
		if err == nil && strings.Contains(got, heading) {
			body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
			if !slices.ContainsFunc(wantText, func(w string) bool { return !strings.Contains(body, w) }) {
				h1 = got
				break
			}
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
			b.t.Fatalf("%s: heading %q never appeared; page shows:\n%s", name, heading, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.t.Fatal(err)
	}
	if !strings.Contains(html, `lang="`+b.lang+`"`) {
		b.t.Errorf("%s: the page is not marked lang=%s", name, b.lang)
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "MISSING:") {
		b.t.Errorf("%s: the page has a script or missing copy", name)
	}
	b.checkReflow(name)
	b.checkAxe(name)
	b.n++
	for _, v := range []struct {
		suffix        string
		width, height int64
		opts          []chromedp.EmulateViewportOption
	}{
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}},
		{"desktop", 1280, 800, nil},
	} {
		b.do(chromedp.EmulateViewport(v.width, v.height, v.opts...))
		body, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			b.t.Fatal(err)
		}
		for _, want := range append([]string{h1, "Behringstraße 3"}, wantText...) {
			if !strings.Contains(body, want) {
				b.t.Errorf("%s (%s): %q not on the page:\n%s", name, v.suffix, want, body)
			}
		}
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatal(err)
		}
		file := fmt.Sprintf("%s-%02d-%s-%s.png", b.lang, b.n, name, v.suffix)
		if err := os.WriteFile(filepath.Join(b.shots, file), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		if *screenshots && b.lang == "de" {
			if err := os.MkdirAll("../docs/screenshots", 0o755); err != nil {
				b.t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("../docs/screenshots", file), png, 0o644); err != nil {
				b.t.Fatal(err)
			}
		}
	}
}

// checkReflow fails if the page scrolls sideways on a phone 320 CSS
// pixels wide, or on a phone 390 pixels wide at 200 % zoom (195 CSS
// pixels): WCAG 2.1, 1.4.10 Reflow.
func (b *tab) checkReflow(name string) {
	b.t.Helper()
	for _, v := range []struct {
		label  string
		width  int64
		height int64
	}{{"320 px", 320, 640}, {"200 % zoom", 195, 422}} {
		b.do(chromedp.EmulateViewport(v.width, v.height, chromedp.EmulateMobile, chromedp.EmulateTouch))
		// A phone browser widens the window to a page that is too wide
		// (and shrinks it to fit), so the page is measured against the
		// screen's width, not innerWidth.
		widths, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if err != nil {
			b.t.Fatalf("%s: measuring the width: %v", name, err)
		}
		if widths[0] > int(v.width) || widths[1] > int(v.width) {
			wide, _ := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > %d + 1).slice(-5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))`, v.width)))
			b.t.Errorf("%s at %s: the page is %d px wide on a screen of %d: it scrolls sideways (too wide: %q)", name, v.label, widths[0], v.width, wide)
		}
	}
}

// axeSource is axe-core (web/testdata/axe), injected into every page.
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// checkAxe runs axe-core on the page, at desktop width, and fails on any
// violation of WCAG 2.1 A and AA or axe's best practices.
func (b *tab) checkAxe(name string) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	b.do(chromedp.EmulateViewport(1280, 800))
	// axe-core runs on timers, which pages without scripts do not fire:
	// scripts are on while it runs (the pages have none of their own).
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		b.t.Fatal(err)
	}
	defer chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](src+";true")); err != nil {
		b.t.Fatalf("%s: injecting axe-core: %v", name, err)
	}
	type violation struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]violation](
		`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}}).then(r => r.violations)`,
		func(p *runtime.EvaluateParams) { p.AwaitPromise = ptr(true) }))
	if err != nil {
		b.t.Fatalf("%s: axe-core: %v", name, err)
	}
	for _, v := range got {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target...))
		}
		b.t.Errorf("%s: axe-core: %s (%s) at %v", name, v.ID, v.Help, where)
	}
}

func ptr[T any](v T) *T { return &v }

// walk is the copy a browser walk checks, in one language.
type walk struct {
	lang, accept                                         string
	form, errors, inbox, confirm, confirmed, preferences string
	saved, unsubscribed, deleteQ, deleted                string
}

// The whole self-service in a real browser, against the real server,
// Postgres, Redis, worker and an SMTP server on loopback: subscribe, confirm
// from the mail, open the preferences from the welcome mail, change topics,
// download the data, unsubscribe, delete.
func TestBrowserWalk(t *testing.T) {
	t.Parallel()
	for _, w := range []walk{
		{lang: "de", accept: "de-DE,de", form: "Rundbrief abonnieren", errors: "Bitte prüfen Sie Ihre Angaben",
			inbox: "bitte prüfen Sie Ihr Postfach", confirm: "Abonnement bestätigen", confirmed: "Ihr Abonnement ist bestätigt",
			preferences: "Meine Einstellungen", saved: "Ihre Änderungen sind gespeichert", unsubscribed: "Sie haben den Rundbrief abbestellt",
			deleteQ: "endgültig löschen?", deleted: "Ihre Daten sind gelöscht"},
		{lang: "en", accept: "en-GB,en", form: "Subscribe to the newsletter", errors: "Please check your entries",
			inbox: "please check your inbox", confirm: "Confirm your subscription", confirmed: "your subscription is confirmed",
			preferences: "My preferences", saved: "Your changes have been saved", unsubscribed: "You have unsubscribed",
			deleteQ: "Delete your data for good?", deleted: "Your data has been deleted"},
	} {
		t.Run(w.lang, func(t *testing.T) {
			t.Parallel()
			browserWalk(t, w)
		})
	}
}

func browserWalk(t *testing.T, w walk) {
	st := newStack(t)
	b := newTab(t, st, w.lang, w.accept)
	ctx := context.Background()
	email := "walk-" + w.lang + "@example.org"
	submit := chromedp.Click(chromedp.CSS("main form button[type=submit]"))

	b.do(chromedp.Navigate(st.srv.URL + "/"))
	b.page("anmeldung", w.form)
	b.do(submit)
	b.page("fehler", w.form, w.errors)

	b.do(
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("name"), "Anna Beispiel <b>fett</b>"),
		chromedp.SendKeys(chromedp.ID("organisation"), "Beispiel GmbH & Co. KG"),
		chromedp.Click(chromedp.ID("kind-company")),
		chromedp.Click(chromedp.ID("topic-ausbildung")),
		chromedp.Click(chromedp.ID("topic-fachkraefte")),
		chromedp.Click(chromedp.ID("consent")),
		submit,
	)
	b.page("postfach", w.inbox)

	optIn := st.mailTo(email, 1)
	b.do(chromedp.Navigate(st.srv.URL + st.link(optIn, "/confirm/")))
	b.page("bestaetigen", w.confirm)
	if sub := st.mustGet(email); sub.Status != subscribers.StatusPending || sub.Name != "Anna Beispiel <b>fett</b>" {
		t.Fatalf("before the button: %+v", sub)
	}
	b.do(chromedp.Click(chromedp.CSS("main form button")))
	b.page("bestaetigt", w.confirmed)
	if sub := st.mustGet(email); sub.Status != subscribers.StatusConfirmed {
		t.Fatalf("after the button: status %s", sub.Status)
	}

	welcome := st.mailTo(email, 2)
	prefs := st.srv.URL + st.link(welcome, "/preferences/")
	b.do(chromedp.Navigate(prefs))
	b.page("einstellungen", w.preferences, email)
	// What the person typed comes back as text, not as markup.
	if name, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("name"))); err != nil || name != "Anna Beispiel <b>fett</b>" {
		t.Errorf("name field = %q, %v", name, err)
	}
	if n, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSS("main b"), chromedp.AtLeast(0))); err != nil || len(n) != 0 {
		t.Errorf("the name was rendered as markup: %d <b> elements, %v", len(n), err)
	}
	b.do(chromedp.Click(chromedp.ID("topic-fachkraefte")), chromedp.Click(chromedp.ID("topic-oepnv")), submit)
	b.page("gespeichert", w.preferences, w.saved)
	if sub := st.mustGet(email); strings.Join(sub.Topics, ",") != "ausbildung,oepnv" {
		t.Errorf("topics after saving = %v, want ausbildung, oepnv", sub.Topics)
	}

	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS(`form[action*="/data"] button`)))
	data := waitForFile(t, downloads, "rundbrief-meine-daten.json")
	var exp struct {
		Email      string `json:"email"`
		ConsentLog []struct {
			Action string `json:"action"`
		} `json:"consent_log"`
	}
	if err := json.Unmarshal(data, &exp); err != nil || exp.Email != email || len(exp.ConsentLog) < 4 {
		t.Errorf("downloaded data: %v, %s", err, data)
	}

	b.do(chromedp.Click(chromedp.CSS(`form[action^="/unsubscribe/"] button`)))
	b.page("abgemeldet", w.unsubscribed)
	if sub := st.mustGet(email); sub.Status != subscribers.StatusUnsubscribed {
		t.Errorf("status after unsubscribing = %s", sub.Status)
	}

	b.do(chromedp.Navigate(prefs), chromedp.Click(chromedp.CSS(`a[href*="/delete"]`)))
	b.page("loeschen", w.deleteQ)
	b.do(chromedp.Click(chromedp.CSS("button.danger")))
	b.page("geloescht", w.deleted)
	if _, err := st.store.GetByEmail(ctx, email); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("after deleting: %v, want the subscriber gone", err)
	}
	if hits := testenv.TablesMatching(t, st.db, "walk-|beispiel"); len(hits) > 0 {
		t.Errorf("after deleting, tables still hold the person: %v", hits)
	}
	t.Logf("screenshots in %s", b.shots)
}

// waitForFile waits for a finished download.
func waitForFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(b) > 0 {
			return b
		}
	}
	entries, _ := os.ReadDir(dir)
	t.Fatalf("no %s downloaded within 15s; folder holds %v", name, entries)
	return nil
}

// The rendered mails look right in a browser engine, as webmail shows
// them: the invitation's facts table and button are there. With
// -screenshots the pictures go to docs/screenshots/.
func TestMailInBrowser(t *testing.T) {
	t.Parallel()
	b := newTab(t, nil, "de", "de-DE,de")
	// The pictures a mail carries, shown from files as a mail program
	// shows its parts.
	pictures := map[string]string{
		"cid:logo@rundbrief":        "../examples/bilder/knf-logo.png",
		"cid:fusszeile-1@rundbrief": "../examples/bilder/eu-emblem.png",
		"cid:bild-1@rundbrief":      "../examples/bilder/sommerferien.jpg",
	}
	for _, m := range []struct{ file, shot string }{
		{"invitation.de.html", "mail-einladung.png"},
		{"newsletter.de.html", "mail-rundbrief.png"},
		{"invitation-days.de.html", "mail-einladung-fuenf-tage.png"},
		{"newsletter-picture.de.html", "mail-rundbrief-mit-bild.png"},
	} {
		// The golden file, under a name that says HTML to the browser.
		data, err := os.ReadFile(filepath.Join("..", "templates", "testdata", m.file+".golden"))
		if err != nil {
			t.Fatal(err)
		}
		for cid, file := range pictures {
			abs, _ := filepath.Abs(file)
			data = bytes.ReplaceAll(data, []byte(`"`+cid+`"`), []byte(`"file://`+abs+`"`))
		}
		path := filepath.Join(t.TempDir(), m.file)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.EmulateViewport(640, 900), chromedp.Navigate("file://"+path))
		body, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		greeting := "Guten Tag Anna Beispiel"
		if strings.Contains(m.file, "-") {
			greeting = "Liebe"
		}
		for _, want := range []string{greeting, "Landratsamt Nordhausen", "Rundbrief abbestellen"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: %q not shown", m.file, want)
			}
		}
		if m.file == "invitation.de.html" {
			facts, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("table.facts")))
			if err != nil || !strings.Contains(facts, "Wann") || !strings.Contains(facts, "Anmeldung bis") {
				t.Errorf("the facts table shows %q (%v)", facts, err)
			}
			if _, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`a.button[href*="/register/"]`))); err != nil {
				t.Errorf("no registration button: %v", err)
			}
		}
		// Every picture the mail shows has loaded.
		if broken, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length`)); err != nil || broken != 0 {
			t.Errorf("%s: %d pictures not shown (%v)", m.file, broken, err)
		}
		if *screenshots {
			png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("../docs/screenshots", m.shot), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The event pages in a real browser: an event over five days with its
// contact person, the cancelled Codeweek, and the registration page
// before and after registering, in German and English. Each page is
// checked like those of the walk: reflow at 320 px and at 200 % zoom, and
// axe-core. With -screenshots the German ones go to docs/screenshots/.
func TestEventPagesInBrowser(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	for _, f := range []string{"talent-campus-2027.yaml", "codeweek-2027.yaml", "job-speeddating-2027.yaml"} {
		spec := createEvent(t, evs, f, nil)
		if _, err := evs.Publish(ctx, spec.Slug); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := evs.CancelEvent(ctx, "codeweek-2027", "Das Schülerforschungszentrum wird umgebaut."); err != nil {
		t.Fatal(err)
	}
	anna, _ := s.confirmed("anna@example.org")
	// A newsletter in the archive, sent yesterday.
	camps := campaigns.NewStore(s.db, s.store, evs)
	nl, err := camps.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief Juli 2027",
		Body: "Liebe Partnerinnen und Partner,\n\nder Talent-Campus im Schülerforschungszentrum war ein Erfolg.\n\n| Datum | Veranstaltung |\n|---|---|\n| 9. Oktober | Codeweek |"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE campaigns SET status = 'done', started_at = now() - interval '1 day' WHERE id = $1`, nl.ID); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []struct{ lang, accept, q, campus, cancelled, register, registered string }{
		{"de", "de-DE,de", "", "Talent-Campus: Hip-Hop, Breakdance, Videodreh", "Diese Veranstaltung ist abgesagt", "Verbindlich anmelden", "angemeldet"},
		{"en", "en-GB,en", "?lang=en", "Talent Campus: hip-hop, breakdance, making a video", "This event has been cancelled", "registered", "registered"},
	} {
		b := newTab(t, nil, lang.lang, lang.accept)
		b.n = 20 // the screenshots follow those of the walk
		b.do(chromedp.Navigate(s.srv.URL + "/events" + lang.q))
		b.page("veranstaltungen", map[string]string{"de": "Veranstaltungen", "en": "Events"}[lang.lang], "Codeweek")
		b.do(chromedp.Navigate(s.srv.URL + "/events/talent-campus-2027" + lang.q))
		b.page("veranstaltung", lang.campus, "Anja Berger")
		b.do(chromedp.Navigate(s.srv.URL + "/events/codeweek-2027" + lang.q))
		b.page("abgesagt", "Codeweek", lang.cancelled)
		b.do(chromedp.Navigate(s.srv.URL + s.registerLink("job-speeddating-2027", anna) + lang.q))
		b.page("anmeldeseite", "Job", lang.register)
		if lang.lang == "de" {
			b.do(chromedp.Click(chromedp.CSS("main form button[type=submit]")))
			b.page("angemeldet", "Job", lang.registered)
		}
		b.do(chromedp.Navigate(s.srv.URL + "/rundbrief" + lang.q))
		b.page("archiv", map[string]string{"de": "Rundbrief-Archiv", "en": "Newsletter archive"}[lang.lang], "Rundbrief Juli 2027")
		b.do(chromedp.Navigate(s.srv.URL + "/rundbrief/" + strconv.FormatInt(nl.ID, 10) + lang.q))
		b.page("archiv-rundbrief", "Rundbrief Juli 2027", "Codeweek")
	}
}
