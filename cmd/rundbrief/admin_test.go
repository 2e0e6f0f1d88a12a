package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// rundbrief run with RUNDBRIEF_ADMIN_LISTEN: a campaign and a page
// request show in /metrics, scraped as Prometheus would, with the
// password.
func TestMetricsOfARunningInstallation(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{})
	web, adm := freeAddr(t), freeAddr(t)
	const pass = "prometheus-liest-hier-mit"
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org",
		"RUNDBRIEF_LISTEN="+web, "RUNDBRIEF_ADMIN_LISTEN="+adm, "RUNDBRIEF_ADMIN_PASSWORD="+pass)
	e.importConfirmed(t, contacts(t, 7))
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief April", "--body", writeFile(t, "a.md", "Neues im April."))
	e.ok(t, "campaigns", "send", "1", "--yes")

	cmd := exec.Command(os.Args[0], "run")
	cmd.Env = append(append(os.Environ(), e.vars...), "RUNDBRIEF_TEST_RUN_MAIN=1")
	var logs testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })

	scrape := func() string {
		req, _ := http.NewRequest("GET", "http://"+adm+"/metrics", nil)
		req.SetBasicAuth("admin", pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if body = scrape(); strings.Contains(body, `rundbrief_mails_total{kind="campaign",status="sent"} 7`) {
			break
		}
	}
	if !strings.Contains(body, `rundbrief_mails_total{kind="campaign",status="sent"} 7`) {
		t.Fatalf("/metrics after the campaign:\n%s\nlog:\n%s", body, logs.String())
	}
	if resp, err := http.Get("http://" + web + "/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	// The request is counted once its answer is out; wait for it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if body = scrape(); strings.Contains(body, `rundbrief_http_requests_total{code="200",route="GET /{$}"} 1`) {
			break
		}
	}
	for _, want := range []string{`rundbrief_smtp_replies_total{class="2xx"} 7`, `rundbrief_http_requests_total{code="200",route="GET /{$}"} 1`,
		`rundbrief_queue_tasks{queue=`, `rundbrief_send_seconds_bucket{kind="campaign"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if resp, err := http.Get("http://" + adm + "/metrics"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/metrics without the password: %v %v", resp, err)
	}
	if !strings.Contains(logs.String(), "Überwachung: http://"+adm+"/metrics und http://"+adm+"/queues/") {
		t.Errorf("run does not say where the metrics are:\n%s", logs.String())
	}
}
