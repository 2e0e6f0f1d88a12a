package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/events"
	"github.com/knf-nordhausen/rundbrief/internal/htmltest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/web"
)

// A replayed opt-in changes nothing: pressing the button again sends no
// second welcome mail, and a link from before the person unsubscribed
// neither revives their subscription nor confirms a later request for the
// address, which may not be theirs. Only a new opt-in mail does.
func TestReplayedOptIn(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	ctx := context.Background()
	const ttl = 7 * 24 * time.Hour
	s.post("/subscribe", subscribeForm("replay@example.org"))
	sub := s.mustGet("replay@example.org")
	// The opt-in mail went out two seconds ago.
	old := s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(-2*time.Second).Add(ttl))
	welcomes := func() int {
		n := 0
		for _, ref := range s.queue.queued() {
			if ref.Kind == subscribers.MailWelcome {
				n++
			}
		}
		return n
	}
	status := func() subscribers.Status {
		got, err := s.store.Get(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}

	steps := []struct {
		name       string
		do         func() response
		wantCode   int
		wantStatus subscribers.Status
		welcomes   int
	}{
		{"confirm", func() response { return s.post("/confirm/"+old, nil) }, 200, subscribers.StatusConfirmed, 1},
		{"confirm again", func() response { return s.post("/confirm/"+old, nil) }, 200, subscribers.StatusConfirmed, 1},
		{"unsubscribe", func() response {
			return s.post("/unsubscribe/"+s.keys.Token(subscribers.PurposePreferences, sub.ID, time.Time{}), nil)
		}, 200, subscribers.StatusUnsubscribed, 1},
		{"replay after unsubscribing", func() response { return s.post("/confirm/"+old, nil) }, 410, subscribers.StatusUnsubscribed, 1},
		{"someone subscribes the address again", func() response { return s.post("/subscribe", subscribeForm("replay@example.org")) }, 200, subscribers.StatusPending, 1},
		{"replay of the old link", func() response { return s.post("/confirm/"+old, nil) }, 410, subscribers.StatusPending, 1},
		{"the new opt-in mail's link", func() response {
			return s.post("/confirm/"+s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(ttl)), nil)
		}, 200, subscribers.StatusConfirmed, 2},
	}
	for _, st := range steps {
		r := st.do()
		if r.status != st.wantCode || status() != st.wantStatus || welcomes() != st.welcomes {
			t.Fatalf("%s: answer %d, status %s, %d welcome mails; want %d, %s, %d", st.name, r.status, status(), welcomes(),
				st.wantCode, st.wantStatus, st.welcomes)
		}
	}
	log, _ := s.store.ConsentLog(ctx, sub.ID)
	if n := countAction(log, "confirmed"); n != 2 {
		t.Errorf("%d confirmations in the consent log, want 2: one per opt-in mail", n)
	}
}

// Subscription bombing: one address sent from forty client addresses gets
// at most three mails in a day, and every sender sees the same page.
func TestSubscriptionBombing(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(c *web.Config) { c.TrustProxy = true })
	var first string
	for i := range 40 {
		r := s.do("POST", "/subscribe", strings.NewReader(subscribeForm("opfer@example.org").Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i+1)})
		if r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
		if i == 0 {
			first = r.body
		} else if r.body != first {
			t.Fatalf("request %d got another page than the first: the answer must not tell how often the address was used", i+1)
		}
	}
	sub := s.mustGet("opfer@example.org")
	expired := s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(-time.Minute))
	for range 10 {
		s.post("/confirm/"+expired+"/resend", nil)
	}
	var mails int
	if err := s.db.Get(&mails, `SELECT count(*) FROM subscription_mails WHERE subscriber_id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	if mails > subscribers.MaxLinkMailsPerDay || mails == 0 {
		t.Errorf("%d mails for one address after 40 forms and 10 resends, want 1 to %d", mails, subscribers.MaxLinkMailsPerDay)
	}
}

// hostile is text an attacker would put into a name, an organisation, an
// event title or a description.
var hostile = []string{
	`<script>alert("name")</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(2)`,
	`<svg onload=alert(3)>`,
}

// Hostile text in a name, an organisation, an event's title and its
// Markdown is shown as text on every page that shows it.
func TestHostileTextEscapedInPages(t *testing.T) {
	t.Parallel()
	s, evs := eventSite(t)
	ctx := context.Background()
	sub, err := s.store.Add(ctx, subscribers.NewSubscriber{
		Email: "angriff@example.org", Name: hostile[0] + " Anna", Organisation: hostile[1], Kind: subscribers.KindCompany, Topics: []string{"ausbildung"},
	}, subscribers.Consent{Source: subscribers.SourceStaff, Confirmed: true, Note: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	spec := createEvent(t, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) {
		sp.Title = "Job-Speeddating " + hostile[0]
		sp.PlaceName = "Aula " + hostile[1]
		sp.Description = "Hallo " + hostile[1] + " " + hostile[3] + "\n\n[Anmeldung](" + hostile[2] + ") ![Pixel](https://tracker.example/p.gif)"
		sp.Deadline = nil
	})
	if _, err := evs.Publish(ctx, spec.Slug); err != nil {
		t.Fatal(err)
	}
	prefs := s.keys.Token(subscribers.PurposePreferences, sub.ID, time.Time{})
	register := s.keys.Token(subscribers.PurposeRegister, sub.ID, time.Time{})
	pages := []string{
		"/preferences/" + prefs,
		"/preferences/" + prefs + "/delete",
		"/unsubscribe/" + prefs,
		"/events/" + spec.Slug,
		"/events/" + spec.Slug + "/register/" + register,
		"/events/" + spec.Slug + "/cancel/" + register,
		"/confirm/" + s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(time.Hour)),
	}
	for _, p := range pages {
		r := s.get(p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d", p, r.status)
			continue
		}
		if bad := htmltest.Injected(r.body); bad != "" {
			t.Errorf("GET %s shows %q unescaped", strings.SplitN(p, "/", 3)[1], bad)
		}
	}
	// The page that shows the name shows it as text.
	if r := s.get("/preferences/" + prefs); !strings.Contains(r.body, "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;") {
		t.Errorf("preferences page does not show the name as text")
	}
	r := s.post("/events/"+spec.Slug+"/register/"+register, url.Values{"people": {"1"}})
	if r.status != http.StatusOK || htmltest.Injected(r.body) != "" {
		t.Errorf("registering: %d, unescaped %q", r.status, htmltest.Injected(r.body))
	}
}

// Line breaks and other control characters in a name, an organisation or
// an event title are refused where they come in, so they never reach a
// header field.
func TestLineBreaksRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(c *web.Config) { c.SubscribeBurst = 1 << 20 }) // the limiter is not what this test is about
	evs := events.NewStore(s.db)
	// Line breaks would start a header; bidirectional controls and
	// invisible characters make a name read other than it is, in the CLI,
	// the CSV and the greeting.
	hostile := map[string]string{
		"crlf": "Anna\r\nBcc: opfer@example.org",
		"rlo":  "Anna \u202eredienhcS",
		"lri":  "Anna \u2066Schneider\u2069",
		"zwsp": "An\u200bna",
		"tag":  "Anna\U000e0041",
	}
	for what, value := range hostile {
		for _, field := range []string{"name", "organisation"} {
			addr := what + "-" + field + "@example.org"
			form := subscribeForm(addr)
			form.Set(field, value)
			if r := s.post("/subscribe", form); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "unsichtbare Steuerzeichen") {
				t.Errorf("%s with %s: %d, want 422 naming the rule", field, what, r.status)
			}
			if _, err := s.store.GetByEmail(context.Background(), addr); err == nil {
				t.Errorf("%s with %s was stored", field, what)
			}
		}
		spec := testenv.ExampleEvent(t, "job-speeddating-2027.yaml")
		spec.Title = "Einladung " + value
		if _, err := evs.Create(context.Background(), spec); err == nil {
			t.Errorf("an event title with %s was stored", what)
		}
	}
	// Joiners that scripts and emoji need, and the soft hyphen, stay.
	form := subscribeForm("zwj@example.org")
	form.Set("name", "Fach\u00adkraft 👩\u200d👩\u200d👧")
	if r := s.post("/subscribe", form); r.status != http.StatusOK {
		t.Errorf("a name with a soft hyphen and an emoji sequence: %d, want 200", r.status)
	}
}

// A thousand malformed requests — wrong methods, paths that climb out,
// forged and overlong tokens, huge and broken bodies, broken encodings and
// broken HTTP — get 4xx answers, never 5xx, and the server keeps serving.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	logs := &testenv.SyncBuffer{}
	s := newSite(t, func(c *web.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		c.SubscribeBurst = 1 << 20 // the limiter is not what this test is about
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.server.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second}

	type req struct {
		method, path, ctype string
		body                []byte
		header              map[string]string
	}
	var reqs []req
	rng := rand.New(rand.NewPCG(1, 2))
	token := func(n int) string {
		const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_%.~"
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[rng.IntN(len(chars))]
		}
		return string(b)
	}
	for _, m := range []string{"PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "BREW"} {
		for _, p := range []string{"/", "/subscribe", "/confirm/x", "/preferences/x", "/unsubscribe/x", "/events/x", "/static/style.css", "/healthz"} {
			reqs = append(reqs, req{method: m, path: p})
		}
	}
	for _, p := range []string{
		"/static/../web.go", "/static/..%2fweb.go", "/static/%2e%2e/%2e%2e/etc/passwd", "/../../../../etc/passwd",
		"/events/../../etc/passwd", "/static//etc/passwd", "/static/.env", "/.git/config", "/%00", "/confirm/%00%0d%0a",
		"/preferences/" + strings.Repeat("A", 5000), "/events/%ff%fe/register/x", "/events/" + url.PathEscape(hostile[0]),
		"/unsubscribe/" + strings.Repeat("A", 46), "/confirm/", "/preferences//delete", "/events/x/register/", "/wp-login.php",
		"/static/", "/index.php?page=../../etc/passwd",
	} {
		reqs = append(reqs, req{method: "GET", path: p})
	}
	for i := range 600 {
		prefix := []string{"/confirm/", "/preferences/", "/unsubscribe/", "/events/talent-campus-2027/register/", "/events/x/cancel/", "/preferences/%s/data"}[i%6]
		tok := token(1 + rng.IntN(80))
		method := []string{"GET", "POST"}[i%2]
		path := prefix + tok
		if strings.Contains(prefix, "%s") {
			path = fmt.Sprintf(prefix, tok)
		}
		reqs = append(reqs, req{method: method, path: path, ctype: "application/x-www-form-urlencoded", body: []byte("List-Unsubscribe=One-Click")})
	}
	form := "application/x-www-form-urlencoded"
	bodies := []req{
		{ctype: form, body: bytes.Repeat([]byte("a"), 1<<20)},
		{ctype: form, body: []byte("email=%zz&name=%&consent=%")},
		{ctype: form, body: []byte("email=a@example.org&name=\xff\xfe\x00&kind=company")},
		{ctype: form, body: []byte(strings.Repeat("topics=x&", 10000))},
		{ctype: form, body: []byte("email=" + strings.Repeat("a", 60000) + "@example.org")},
		{ctype: "application/json", body: []byte(`{"email":"a@example.org","consent":"yes"}`)},
		{ctype: "multipart/form-data", body: []byte("--x\r\n")},
		{ctype: "multipart/form-data; boundary=x", body: []byte("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n")},
		{ctype: "text/plain; charset=utf-7", body: []byte("+ADw-script+AD4-")},
		{ctype: form, body: []byte("\x1f\x8b\x08garbage"), header: map[string]string{"Content-Encoding": "gzip"}},
		{ctype: "", body: []byte("email=a@example.org")},
		{ctype: form, body: []byte("email=a@example.org&email=b@example.org&kind=company&kind=school&consent=no")},
		{ctype: form, body: []byte("email=" + url.QueryEscape(hostile[0]) + "&consent=yes&kind=company")},
		{ctype: form, body: []byte("email=a%0d%0aBcc:%20x@example.org&consent=yes&kind=company")},
	}
	for len(reqs) < 1000 {
		b := bodies[len(reqs)%len(bodies)]
		b.method = "POST"
		b.path = []string{"/subscribe", "/preferences/" + token(46), "/confirm/" + token(46) + "/resend", "/events/x/register/" + token(46)}[len(reqs)%4]
		reqs = append(reqs, b)
	}

	var codes = map[int]int{}
	for _, rq := range reqs {
		r, err := http.NewRequest(rq.method, base+rq.path, bytes.NewReader(rq.body))
		if err != nil {
			codes[400]++ // a URL the client will not even send
			continue
		}
		if rq.ctype != "" {
			r.Header.Set("Content-Type", rq.ctype)
		}
		for k, v := range rq.header {
			r.Header.Set(k, v)
		}
		res, err := client.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", rq.method, rq.path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		codes[res.StatusCode]++
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("%s %.80s (%s): %d, want 4xx", rq.method, rq.path, rq.ctype, res.StatusCode)
		}
	}
	// Broken HTTP, written by hand.
	for _, raw := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
		"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 20<<10) + "\r\n\r\n",
		"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
		"GET / HTTP/1.1\r\nHo st: x\r\n\r\n",
		"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n",
	} {
		code := rawRequest(t, ln.Addr().String(), raw)
		codes[code]++
		if code < 400 || code >= 500 {
			t.Errorf("raw request %.60q: %d, want 4xx", raw, code)
		}
	}
	total := 0
	for _, n := range codes {
		total += n
	}
	if total < 1000 {
		t.Errorf("only %d malformed requests sent", total)
	}
	res, err := client.Get(base + "/")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("after the malformed requests the form answers %v %v", res, err)
	}
	res.Body.Close()
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the server logged a panic:\n%s", logs)
	}
	t.Logf("%d malformed requests, answers %v", total, codes)
}

// rawRequest writes raw to addr and returns the status code of the answer.
func rawRequest(t *testing.T, addr, raw string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, raw)
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(c, buf, 12)
	var code int
	if _, err := fmt.Sscanf(string(buf[:n]), "HTTP/1.1 %d", &code); err != nil {
		t.Fatalf("raw request %.40q: answer %q", raw, buf[:n])
	}
	return code
}

var tokenPattern = regexp.MustCompile(`[A-Za-z0-9_-]{40,}`)

// At info level the server logs no address, no name, no token and no
// secret, whatever the requests are.
func TestNoPersonalDataInLogs(t *testing.T) {
	t.Parallel()
	logs := &testenv.SyncBuffer{}
	s, evs := func() (*site, *events.Store) {
		s := newSite(t, func(c *web.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		})
		return s, events.NewStore(s.db)
	}()
	ctx := context.Background()
	spec := createEvent(t, evs, "job-speeddating-2027.yaml", func(sp *events.Spec) { sp.Deadline = nil })
	if _, err := evs.Publish(ctx, spec.Slug); err != nil {
		t.Fatal(err)
	}
	s.post("/subscribe", subscribeForm("geheim.person@example.org"))
	s.post("/subscribe", subscribeForm("geheim.person@example.org"))
	sub := s.mustGet("geheim.person@example.org")
	confirm := s.keys.Token(subscribers.PurposeConfirm, sub.ID, time.Now().Add(time.Hour))
	prefs := s.keys.Token(subscribers.PurposePreferences, sub.ID, time.Time{})
	register := s.keys.Token(subscribers.PurposeRegister, sub.ID, time.Time{})
	s.get("/confirm/" + confirm)
	s.post("/confirm/"+confirm, nil)
	s.post("/preferences/"+prefs, url.Values{"name": {"Anna Beispiel"}, "organisation": {"Beispiel GmbH"}, "kind": {"company"}, "topics": {"jugend"}, "language": {"de"}})
	s.post("/preferences/"+prefs+"/data", nil)
	s.post("/events/"+spec.Slug+"/register/"+register, url.Values{"people": {"2"}})
	s.post("/events/"+spec.Slug+"/cancel/"+register, nil)
	s.do("POST", "/unsubscribe/"+prefs, strings.NewReader("List-Unsubscribe=One-Click"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	s.post("/unsubscribe/"+prefs[:len(prefs)-2]+"xx", nil)
	s.post("/subscribe", url.Values{"email": {"kaputt@@example.org"}, "name": {"Zweite Person"}})
	s.post("/preferences/"+prefs+"/delete", nil)

	out := logs.String()
	if !strings.Contains(out, "level=INFO") {
		t.Fatalf("nothing logged at info level; the test would prove nothing:\n%s", out)
	}
	for _, secret := range []string{"geheim.person", "example.org", "Anna Beispiel", "Beispiel GmbH", "Zweite Person", "kaputt", confirm, prefs, register, testSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	if m := tokenPattern.FindString(out); m != "" {
		t.Errorf("the log holds something like a token: %q", m)
	}
}
