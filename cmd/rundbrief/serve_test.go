package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freeAddr is a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitForFiles waits until dir holds n .eml files and returns their names,
// oldest first.
func waitForFiles(t *testing.T, dir string, n int, log *bytes.Buffer) []string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(files) >= n {
			return files
		}
	}
	t.Fatalf("fewer than %d mails in the outbox after 30s; log:\n%s", n, log)
	return nil
}

// `rundbrief run` serves the pages and sends the mail in one process: a
// subscription through the form gets its opt-in, the confirm button its
// welcome mail; `subscribers show --consent` proves it; SIGTERM stops both.
func TestRunServesAndSends(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	base := "http://" + addr
	e := newCLI(t).with("RUNDBRIEF_LISTEN="+addr, "RUNDBRIEF_BASE_URL="+base, "RUNDBRIEF_LOG_LEVEL=info")

	cmd := exec.Command(os.Args[0], "run")
	cmd.Env = append(append(os.Environ(), e.vars...), "RUNDBRIEF_TEST_RUN_MAIN=1")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never answered:\n%s", &log)
		}
	}

	// A second server on the same address fails with a clear message.
	if r := e.run(t, "", "serve"); r.code != 1 || !strings.Contains(r.stderr, addr) {
		t.Errorf("serve on a taken address: exit %d, %s", r.code, r.stderr)
	}

	res, err := http.PostForm(base+"/subscribe", url.Values{
		"email": {"formular@example.org"}, "kind": {"family"}, "age": {"yes"}, "consent": {"yes"}, "topics": {"jugend"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("subscribe: %d", res.StatusCode)
	}
	files := waitForFiles(t, e.outbox, 1, &log)
	eml, _ := os.ReadFile(files[0])
	confirm := regexp.MustCompile(regexp.QuoteMeta(base) + `/confirm/[A-Za-z0-9_-]+`).Find(bytes.ReplaceAll(eml, []byte("=\r\n"), nil))
	if confirm == nil {
		t.Fatalf("no confirm link in the opt-in mail:\n%s", eml)
	}
	res, err = http.Post(string(confirm), "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "bestätigt") {
		t.Fatalf("confirm: %d %s", res.StatusCode, body)
	}
	waitForFiles(t, e.outbox, 2, &log)

	out := e.ok(t, "subscribers", "show", "formular@example.org", "--consent")
	for _, want := range []string{"Einwilligungsnachweis für formular@example.org", "1. ", "Abonnement beantragt", "Webformular",
		"Version des Einwilligungstextes", "Bestätigungsmail versandt", "Message-ID", "bestätigt"} {
		if !strings.Contains(out, want) {
			t.Errorf("show --consent lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "IP-Adresse") {
		t.Errorf("an IP address was recorded without RUNDBRIEF_RECORD_IP:\n%s", out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run exited with %v:\n%s", err, &log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run did not stop after SIGTERM:\n%s", &log)
	}
	for _, want := range []string{"web server stopped", "worker stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, &log)
		}
	}
	if strings.Contains(log.String(), string(confirm[len(base)+len("/confirm/"):])) {
		t.Error("a token reached the log")
	}
}
