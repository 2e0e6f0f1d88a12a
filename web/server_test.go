package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/subscribers"
	"github.com/knf-nordhausen/rundbrief/web"
)

var filterAll = subscribers.Filter{}

// Every answer carries the security headers; pages are in German unless
// ?lang=en or the browser asks for English; unknown paths and methods get
// friendly 4xx pages.
func TestHeadersLanguagesAndErrors(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
		want               []string
	}{
		{"German by default", "GET", "/", nil, 200, []string{`<html lang="de">`, "Rundbrief abonnieren", `href="https://www.landratsamt-nordhausen.de/impressum">Impressum</a>`, `href="/?lang=en"`}},
		{"English by Accept-Language", "GET", "/", map[string]string{"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}, 200, []string{`<html lang="en">`, "Subscribe to the newsletter", "Legal notice"}},
		{"German for a German browser", "GET", "/", map[string]string{"Accept-Language": "de-AT"}, 200, []string{`<html lang="de">`}},
		{"?lang=en wins", "GET", "/?lang=en", map[string]string{"Accept-Language": "de"}, 200, []string{`<html lang="en">`, `action="/subscribe?lang=en"`}},
		{"unknown path", "GET", "/wp-admin/setup.php", nil, 404, []string{"Diese Seite gibt es nicht"}},
		{"path traversal is cleaned", "GET", "/static/../../etc/passwd", nil, 307, nil},
		{"bad method", "DELETE", "/subscribe", nil, 405, []string{"nicht möglich"}},
		{"truncated token", "GET", "/confirm/AAAA", nil, 404, nil},
		{"stylesheet", "GET", "/static/style.css", nil, 200, []string{"focus-visible"}},
		{"health", "GET", "/healthz", nil, 200, []string{"ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(tt.method, tt.path, nil, tt.header)
			if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
			} {
				if got := r.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}

// Bodies over the limit are refused with 413 and change nothing.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s := newSite(t, nil)
	f := subscribeForm("gross@example.org")
	f.Set("name", strings.Repeat("x", web.MaxBodyBytes))
	if r := s.post("/subscribe", f); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", r.status)
	}
	if n, _ := s.store.Count(context.Background(), filterAll); n != 0 {
		t.Errorf("%d subscribers stored", n)
	}
}

// The subscription form is limited per client address: after the burst,
// 429 with a page that says to wait. Behind a trusted proxy the address is
// the one the proxy reports, and it is what the consent log records.
func TestSubscribeRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	s := newSite(t, func(c *web.Config) { c.SubscribeBurst = 3; c.TrustProxy = true; c.RecordIP = true })
	post := func(ip, email string) response {
		return s.do("POST", "/subscribe", strings.NewReader(subscribeForm(email).Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "203.0.113.99, " + ip})
	}
	for i := range 3 {
		if r := post("198.51.100.1", "a"+string(rune('0'+i))+"@example.org"); r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	r := post("198.51.100.1", "a9@example.org")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Zu viele Anfragen") {
		t.Errorf("4th request: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	if r := post("198.51.100.2", "b@example.org"); r.status != http.StatusOK {
		t.Errorf("another address: %d", r.status)
	}
	log, _ := s.store.ConsentLog(context.Background(), s.mustGet("b@example.org").ID)
	if len(log) == 0 || log[0].IP != "198.51.100.2" {
		t.Errorf("recorded IP %+v, want the proxy's last entry 198.51.100.2", log)
	}
}
