package admin_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/admin"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

const password = "ein-langes-passwort-fuer-tests"

// get fetches path from srv as user with pass ("" for none) and returns
// the status and body.
func get(t *testing.T, srv *httptest.Server, path, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The metrics say what was counted and how deep the queues are; every
// path asks for the password, which is compared for user and password
// alike; without a password, the dashboard is off.
func TestMetricsAndPassword(t *testing.T) {
	t.Parallel()
	redis := testenv.Redis(t)
	ns := testenv.Namespace(t, redis)
	c := asynq.NewClient(redis)
	defer c.Close()
	for range 3 {
		if _, err := c.Enqueue(asynq.NewTask("email:deliver", nil), asynq.Queue(ns+":mail"), asynq.ProcessIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	m := admin.New()
	insp := asynq.NewInspector(redis)
	defer insp.Close()
	if err := m.Register(admin.NewQueues(insp, ns+":mail", ns+":campaigns")); err != nil {
		t.Fatal(err)
	}
	m.Mail(admin.KindCampaign, "sent")
	m.Mail(admin.KindCampaign, "sent")
	m.Mail(admin.KindRegistration, "bounced")
	m.Send(admin.KindCampaign, 3*time.Millisecond, 250)
	m.Send(admin.KindCampaign, time.Millisecond, 0)
	m.Bounce("hard")
	m.Request("GET /{$}", 200, time.Millisecond)
	var none *admin.Metrics // a nil Metrics counts nothing and does not fail
	none.Mail(admin.KindCampaign, "sent")

	// Every metric the Grafana dashboard queries exists.
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range families {
		have[f.GetName()] = true
	}
	dash, err := os.ReadFile("../docs/monitoring/grafana/dashboards/rundbrief.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`rundbrief_[a-z_]+`).FindAllString(string(dash), -1) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		if !have[base] {
			t.Errorf("the dashboard queries %s, which no metric provides", name)
		}
	}

	srv := httptest.NewServer(admin.Handler(m, redis, password))
	defer srv.Close()
	for _, cred := range [][2]string{{"", ""}, {admin.User, "falsch"}, {"root", password}} {
		if code, _ := get(t, srv, "/metrics", cred[0], cred[1]); code != http.StatusUnauthorized {
			t.Errorf("/metrics as %q/%q: %d, want 401", cred[0], cred[1], code)
		}
	}
	code, body := get(t, srv, "/metrics", admin.User, password)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`rundbrief_mails_total{kind="campaign",status="sent"} 2`,
		`rundbrief_mails_total{kind="registration",status="bounced"} 1`,
		`rundbrief_smtp_replies_total{class="2xx"} 1`,
		`rundbrief_smtp_replies_total{class="none"} 1`,
		`rundbrief_send_seconds_count{kind="campaign"} 2`,
		`rundbrief_bounces_total{class="hard"} 1`,
		`rundbrief_http_requests_total{code="200",route="GET /{$}"} 1`,
		`rundbrief_queue_tasks{queue="` + ns + `:mail",state="scheduled"} 3`,
		`rundbrief_queue_tasks{queue="` + ns + `:campaigns",state="pending"} 0`,
		`rundbrief_queue_up 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, body := get(t, srv, "/queues/", admin.User, password); code != 200 || !strings.Contains(body, "<html") {
		t.Errorf("/queues/: %d %.200s", code, body)
	}

	open := httptest.NewServer(admin.Handler(m, redis, ""))
	defer open.Close()
	if code, _ := get(t, open, "/metrics", "", ""); code != 200 {
		t.Errorf("/metrics without a password set: %d", code)
	}
	if code, body := get(t, open, "/queues/", "", ""); code != 404 || !strings.Contains(body, "RUNDBRIEF_ADMIN_PASSWORD") {
		t.Errorf("/queues/ without a password set: %d %s", code, body)
	}
}

// The queue dashboard in a browser: refused without the password, shown
// with it, listing the installation's queue.
func TestDashboardInBrowser(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("chromium")
	if err != nil {
		err = errors.New("no chromium on PATH (apt-get install chromium)")
	}
	testenv.Require(t, "chromium", err)
	redis := testenv.Redis(t)
	ns := testenv.Namespace(t, redis)
	c := asynq.NewClient(redis)
	defer c.Close()
	if _, err := c.Enqueue(asynq.NewTask("campaign:batch", nil), asynq.Queue(ns+":campaigns"), asynq.ProcessIn(time.Hour)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(admin.Handler(admin.New(), redis, password))
	defer srv.Close()

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// Without the password the browser is challenged; headless, it
	// cannot ask and gives up.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/queues/"))
	switch {
	case err != nil && strings.Contains(err.Error(), "ERR_INVALID_AUTH_CREDENTIALS"):
	case err != nil:
		t.Fatal(err)
	case resp.Status != http.StatusUnauthorized:
		t.Errorf("the dashboard without the password: %d, want 401", resp.Status)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(admin.User+":"+password))
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/queues/")); err != nil {
		t.Fatal(err)
	}
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		body, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if strings.Contains(body, ns+":campaigns") {
			return
		}
	}
	t.Errorf("the dashboard does not list the queue %s:campaigns:\n%.2000s", ns, body)
}
