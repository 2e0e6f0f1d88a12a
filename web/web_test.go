package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/i18n"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/web"
)

// The answer to the form is the same page whether the address is new,
// pending or confirmed; a confirmed subscriber is not changed and gets the
// preferences link instead of an opt-in.
func TestSubscribeAnswersAlike(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ctx := context.Background()
	known, _ := s.confirmed("bekannt@example.org")

	newcomer := s.post("/subscribe", subscribeForm("neu@example.org"))
	pending := s.post("/subscribe", subscribeForm("neu@example.org"))
	before, _ := s.store.Get(ctx, known.ID)
	form := subscribeForm("Bekannt@Example.org")
	form.Set("name", "Anna Beispiel") // someone else's details
	existing := s.post("/subscribe", form)
	after, _ := s.store.Get(ctx, known.ID)

	for name, r := range map[string]response{"pending": pending, "confirmed": existing} {
		if r.status != newcomer.status || r.body != newcomer.body {
			t.Errorf("answer for a %s address differs from a new one:\n%d %s\nvs\n%d %s", name, r.status, r.body, newcomer.status, newcomer.body)
		}
	}
	if newcomer.status != http.StatusOK || !strings.Contains(newcomer.body, "bitte prüfen Sie Ihr Postfach") {
		t.Errorf("answer = %d %s", newcomer.status, newcomer.body)
	}
	if before.Status != subscribers.StatusConfirmed || after.Status != subscribers.StatusConfirmed || after.Name != before.Name || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("confirmed subscriber changed: before %+v, after %+v", before, after)
	}
	var kinds []subscribers.MailKind
	for _, ref := range s.queue.queued() {
		kinds = append(kinds, ref.Kind)
	}
	want := []subscribers.MailKind{subscribers.MailOptIn, subscribers.MailOptIn, subscribers.MailPreferences}
	if strings.Join(strs(kinds), ",") != strings.Join(strs(want), ",") {
		t.Errorf("mails queued = %v, want %v", kinds, want)
	}
	log, _ := s.store.ConsentLog(ctx, s.mustGet("neu@example.org").ID)
	if len(log) == 0 || log[0].WordingVersion == "" || log[0].Source != subscribers.SourceWeb || log[0].IP != "" {
		t.Errorf("consent log of a web subscription: %+v (want a wording version, source web, no IP)", log)
	}
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func (s *site) mustGet(email string) *subscribers.Subscriber {
	s.t.Helper()
	sub, err := s.store.GetByEmail(context.Background(), email)
	if err != nil {
		s.t.Fatal(err)
	}
	return sub
}

// Errors are shown next to their fields, the input is kept, nothing is
// stored.
func TestSubscribeFormErrors(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	tests := []struct {
		name   string
		edit   func(url.Values)
		fields []string // fields with an error, in order
		kept   []string // values that must be in the form again
	}{
		{"bad address, no consent", func(f url.Values) { f.Set("email", "anna.beispiel(at)example.org"); f.Del("consent") },
			[]string{"email", "consent"}, []string{`value="anna.beispiel(at)example.org"`, `value="Anna Beispiel"`, `value="Beispiel GmbH"`}},
		{"family without age", func(f url.Values) { f.Set("kind", "family") }, []string{"age"}, []string{`value="family" checked`}},
		{"no kind", func(f url.Values) { f.Del("kind") }, []string{"kind"}, []string{`value="ausbildung" checked`}},
		{"line break in name", func(f url.Values) { f.Set("name", "Anna\r\nBcc: x@example.org") }, []string{"name"}, nil},
		{"unknown topic", func(f url.Values) { f.Add("topics", "astrologie") }, []string{"topics"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := subscribeForm("anna@example.org")
			tt.edit(f)
			r := s.post("/subscribe", f)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.status)
			}
			got := regexp.MustCompile(`<li><a href="#([a-z]+)">`).FindAllStringSubmatch(r.body, -1)
			var fields []string
			for _, m := range got {
				fields = append(fields, m[1])
			}
			if strings.Join(fields, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("error summary names %v, want %v", fields, tt.fields)
			}
			for _, f := range tt.fields {
				if !strings.Contains(r.body, `id="`+f+`-error"`) {
					t.Errorf("no error next to %s", f)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(r.body, k) {
					t.Errorf("input not kept: %s", k)
				}
			}
		})
	}
	if n, _ := s.store.Count(context.Background(), subscribers.Filter{}); n != 0 {
		t.Errorf("%d subscribers stored from bad forms", n)
	}
}

// Link scanners fetch every link: no GET changes anything.
func TestGetChangesNothing(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	s.post("/subscribe", subscribeForm("pending@example.org"))
	pending := s.mustGet("pending@example.org")
	_, prefs := s.confirmed("confirmed@example.org")
	confirm := s.keys.Token(subscribers.PurposeConfirm, pending.ID, time.Now().Add(time.Hour))
	before := s.snapshot()
	for _, path := range []string{
		"/confirm/" + confirm, "/preferences/" + prefs, "/unsubscribe/" + prefs, "/preferences/" + prefs + "/delete",
		"/preferences/" + prefs + "/data", "/confirm/" + confirm + "/resend", "/subscribe",
	} {
		r := s.get(path)
		if r.status >= 500 {
			t.Errorf("GET %s: %d", path, r.status)
		}
		if r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", path, r.header.Get("Referrer-Policy"))
		}
	}
	if after := s.snapshot(); after != before {
		t.Errorf("GET requests changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// RFC 8058: the one-click POST, form-encoded or multipart, without cookies
// or Origin, answers 200 with no redirect and unsubscribes; a changed token
// answers 4xx and changes nothing.
func TestOneClickUnsubscribe(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ctx := context.Background()

	a, tokenA := s.confirmed("a@example.org")
	r := s.do("POST", "/unsubscribe/"+tokenA, strings.NewReader("List-Unsubscribe=One-Click"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != http.StatusOK || r.header.Get("Location") != "" {
		t.Errorf("one-click POST: %d, Location %q; want 200 and no redirect", r.status, r.header.Get("Location"))
	}
	if got, _ := s.store.Get(ctx, a.ID); got.Status != subscribers.StatusUnsubscribed {
		t.Errorf("status after one-click = %s", got.Status)
	}

	b, tokenB := s.confirmed("b@example.org")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("List-Unsubscribe", "One-Click")
	mw.Close()
	// A cross-site browser request is still one-click (webmail clients).
	r = s.do("POST", "/unsubscribe/"+tokenB, &body, map[string]string{
		"Content-Type": mw.FormDataContentType(), "Sec-Fetch-Site": "cross-site", "Origin": "https://mail.example.com"})
	if r.status != http.StatusOK {
		t.Errorf("multipart one-click POST: %d", r.status)
	}
	if got, _ := s.store.Get(ctx, b.ID); got.Status != subscribers.StatusUnsubscribed {
		t.Errorf("status after multipart one-click = %s", got.Status)
	}

	c, tokenC := s.confirmed("c@example.org")
	before := s.snapshot()
	for i := range tokenC {
		forged := []byte(tokenC)
		forged[i] = flip(forged[i])
		r := s.do("POST", "/unsubscribe/"+string(forged), strings.NewReader("List-Unsubscribe=One-Click"),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("token with byte %d changed: %d, want 4xx", i, r.status)
		}
	}
	if s.snapshot() != before {
		t.Error("forged tokens changed the database")
	}
	if got, _ := s.store.Get(ctx, c.ID); got.Status != subscribers.StatusConfirmed {
		t.Errorf("status of c = %s", got.Status)
	}
	if strings.Contains(s.logs.String(), tokenA) || strings.Contains(s.logs.String(), tokenC[:20]) {
		t.Error("a token reached the log")
	}
}

func flip(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// Cross-site POSTs to the preferences and delete forms are refused; the
// tokens of one purpose do not work for another.
func TestCrossSiteAndWrongPurpose(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	sub, prefs := s.confirmed("x@example.org")
	before := s.snapshot()
	cross := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
	for _, path := range []string{"/preferences/" + prefs, "/preferences/" + prefs + "/delete", "/preferences/" + prefs + "/data"} {
		r := s.do("POST", path, strings.NewReader("name=Evil&kind=other"), cross)
		if r.status != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, r.status)
		}
	}
	r := s.do("POST", "/subscribe", strings.NewReader(subscribeForm("v@example.org").Encode()), cross)
	if r.status != http.StatusForbidden {
		t.Errorf("cross-site subscribe: %d, want 403", r.status)
	}
	confirmToken := s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(time.Hour))
	for _, path := range []string{"/confirm/" + prefs, "/preferences/" + confirmToken, "/unsubscribe/" + confirmToken} {
		if r := s.post(path, nil); r.status != http.StatusNotFound {
			t.Errorf("POST %s with a token of another purpose: %d, want 404", path, r.status)
		}
	}
	// One subscriber's token on another's URL is the other's token: the
	// token alone names the subscriber, the URL holds no ID to swap.
	if s.snapshot() != before {
		t.Error("refused requests changed the database")
	}
}

// The confirm page has one button; only the POST confirms. An expired link
// explains and offers a new mail; a used one offers the preferences link.
func TestConfirmFlow(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ctx := context.Background()
	s.post("/subscribe", subscribeForm("c@example.org"))
	sub := s.mustGet("c@example.org")

	expired := s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(-time.Minute))
	r := s.get("/confirm/" + expired)
	if r.status != http.StatusGone || !strings.Contains(r.body, "abgelaufen") || !strings.Contains(r.body, `action="/confirm/`+expired+`/resend"`) {
		t.Errorf("expired link: %d %s", r.status, r.body)
	}
	if r := s.post("/confirm/"+expired, nil); r.status != http.StatusGone {
		t.Errorf("POST with an expired link: %d, want 410", r.status)
	}
	if got, _ := s.store.Get(ctx, sub.ID); got.Status != subscribers.StatusPending {
		t.Fatalf("an expired link confirmed")
	}
	before := len(s.queue.queued())
	if r := s.post("/confirm/"+expired+"/resend", nil); r.status != http.StatusOK || len(s.queue.queued()) != before+1 {
		t.Errorf("resend: %d, %d mails queued", r.status, len(s.queue.queued())-before)
	}

	token := s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(time.Hour))
	r = s.get("/confirm/" + token)
	if r.status != http.StatusOK || strings.Count(r.body, "<button") != 1 || !strings.Contains(r.body, "Abonnement bestätigen") {
		t.Errorf("confirm page: %d %s", r.status, r.body)
	}
	r = s.post("/confirm/"+token, nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Ihr Abonnement ist bestätigt") {
		t.Errorf("confirm POST: %d %s", r.status, r.body)
	}
	got, _ := s.store.Get(ctx, sub.ID)
	if got.Status != subscribers.StatusConfirmed || got.ConfirmedAt == nil {
		t.Errorf("after confirm: %+v", got)
	}
	if q := s.queue.queued(); q[len(q)-1].Kind != subscribers.MailWelcome {
		t.Errorf("no welcome mail queued: %v", q)
	}
	if r := s.post("/confirm/"+token, nil); r.status != http.StatusOK {
		t.Errorf("second confirm POST: %d", r.status)
	}
	r = s.get("/confirm/" + token)
	if !strings.Contains(r.body, "bereits bestätigt") || !strings.Contains(r.body, "/resend") {
		t.Errorf("used link: %d %s", r.status, r.body)
	}
	log, _ := s.store.ConsentLog(ctx, sub.ID)
	if n := countAction(log, "confirmed"); n != 1 {
		t.Errorf("%d confirmations in the consent log, want 1", n)
	}
}

func countAction(log []subscribers.ConsentEntry, action string) int {
	n := 0
	for _, e := range log {
		if string(e.Action) == action {
			n++
		}
	}
	return n
}

// Preferences: change details and topics (logged), download the data,
// delete; afterwards no table holds the address and an import reports it
// as suppressed.
func TestPreferencesDataAndErase(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(c *web.Config) { c.RecordIP = true })
	ctx := context.Background()
	sub, token := s.confirmed("Ida.Loesch@example.org")

	r := s.get("/preferences/" + token)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Ida.Loesch@example.org") || !strings.Contains(r.body, `value="jugend" checked`) {
		t.Fatalf("preferences page: %d %s", r.status, r.body)
	}
	// "Alle Veranstaltungen" says what it means, as the audiences treat
	// it (issue 15, point 1).
	if !strings.Contains(r.body, "Einladungen zu jeder Veranstaltung für Ihre Gruppe") {
		t.Errorf("preferences page does not explain „Alle Veranstaltungen“")
	}
	r = s.post("/preferences/"+token, url.Values{"name": {"Ida Lösch"}, "organisation": {"Löschverein"},
		"kind": {"family"}, "topics": {"kinderbetreuung", "oepnv"}, "language": {"en"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "Your changes have been saved") {
		t.Errorf("save: %d %s", r.status, r.body)
	}
	got, _ := s.store.Get(ctx, sub.ID)
	if got.Name != "Ida Lösch" || got.Language != i18n.English || strings.Join(got.Topics, ",") != "kinderbetreuung,oepnv" {
		t.Errorf("after save: %+v", got)
	}
	r = s.post("/preferences/"+token, url.Values{"name": {"x"}, "kind": {"alien"}, "language": {"de"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="kind-error"`) {
		t.Errorf("bad kind: %d", r.status)
	}

	// A newsletter is planned for the person: the download lists it.
	camps := campaigns.NewStore(s.db, s.store, events.NewStore(s.db))
	nl, err := camps.Create(ctx, campaigns.Spec{Kind: campaigns.KindNewsletter, Subject: "Rundbrief Dezember", Body: "Hallo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := camps.Start(ctx, nl.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	r = s.post("/preferences/"+token+"/data", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") ||
		!strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("data: %d %v", r.status, r.header)
	}
	var data struct {
		Email      string `json:"email"`
		Controller string `json:"controller"`
		ConsentLog []struct {
			Action string `json:"action"`
			IP     string `json:"ip"`
		} `json:"consent_log"`
		Campaigns []struct {
			Kind    string `json:"kind"`
			Subject string `json:"subject"`
			Status  string `json:"status"`
		} `json:"campaigns"`
	}
	if err := json.Unmarshal([]byte(r.body), &data); err != nil {
		t.Fatal(err)
	}
	if data.Email != "Ida.Loesch@example.org" || !strings.Contains(data.Controller, "Landratsamt") || len(data.ConsentLog) < 3 ||
		data.ConsentLog[len(data.ConsentLog)-1].Action != "topics_changed" || data.ConsentLog[len(data.ConsentLog)-1].IP != "127.0.0.1" ||
		len(data.Campaigns) != 1 || data.Campaigns[0].Kind != "newsletter" || data.Campaigns[0].Subject != "Rundbrief Dezember" || data.Campaigns[0].Status != "queued" {
		t.Errorf("data = %+v", data)
	}

	if r := s.get("/preferences/" + token + "/delete"); r.status != http.StatusOK || !strings.Contains(r.body, `class="danger"`) {
		t.Errorf("delete page: %d", r.status)
	}
	if r := s.post("/preferences/"+token+"/delete", nil); r.status != http.StatusOK || !strings.Contains(r.body, "deleted") {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if hits := testenv.TablesMatching(t, s.db, "ida|lösch"); len(hits) > 0 {
		t.Errorf("after deletion, tables still hold the person: %v", hits)
	}
	if r := s.get("/preferences/" + token); r.status != http.StatusGone {
		t.Errorf("preferences after deletion: %d, want 410", r.status)
	}
	file, err := subscribers.ParseImport(strings.NewReader("E-Mail;Art\nida.loesch@example.org;Familie\n"), subscribers.ImportOptions{})
	if err != nil || len(file.Problems) > 0 || len(file.Rows) != 1 {
		t.Fatalf("ParseImport = %+v, %v", file, err)
	}
	rep, err := s.store.Import(ctx, subscribers.RowsOf(file.Rows), subscribers.Consent{Source: subscribers.SourceImport}, false)
	if err != nil || rep.Suppressed.Total != 1 || rep.Added != 0 {
		t.Errorf("import after deletion: %+v, %v; want the address reported as suppressed", rep, err)
	}
}
