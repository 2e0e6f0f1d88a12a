package config

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const secret = "0123456789abcdef0123456789abcdef-secret"

func TestDefaults(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"database", c.DatabaseURL, "postgres://127.0.0.1:5432/rundbrief?sslmode=disable"},
		{"redis", c.RedisURL, "redis://127.0.0.1:6379/0"},
		{"outbox", c.Outbox, "./outbox"},
		{"base", c.BaseURL, "http://127.0.0.1:8080"},
		{"from", c.FromAddress().Address, "rundbrief@nordhausen.example"},
		{"opt-in ttl", c.OptInTTL.String(), "7d"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.SMTP() != nil || c.Redis() == nil || c.Concurrency != 4 {
		t.Errorf("smtp %v, redis %v, concurrency %d", c.SMTP(), c.Redis(), c.Concurrency)
	}
	if _, err := c.RequireSecret(); !errors.Is(err, ErrNoSecret) {
		t.Errorf("RequireSecret without secret: %v", err)
	}
}

// A bad value fails with a message naming its variable.
func TestBadValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		env  string
		want string // the variable named in the error
	}{
		{"RUNDBRIEF_DATABASE_URL=mysql://x/y", "RUNDBRIEF_DATABASE_URL"},
		{"RUNDBRIEF_DATABASE_URL=postgres://127.0.0.1:5432", "RUNDBRIEF_DATABASE_URL"},
		{"RUNDBRIEF_REDIS_URL=http://x", "RUNDBRIEF_REDIS_URL"},
		{"RUNDBRIEF_QUEUE_NAMESPACE=Mein Verteiler", "RUNDBRIEF_QUEUE_NAMESPACE"},
		{"RUNDBRIEF_SMTP_URL=smtp://relay?tls=vielleicht", "RUNDBRIEF_SMTP_URL"},
		{"RUNDBRIEF_FROM=keine adresse", "RUNDBRIEF_FROM"},
		{"RUNDBRIEF_BASE_URL=rundbrief.example", "RUNDBRIEF_BASE_URL"},
		{"RUNDBRIEF_SECRET=kurz", "RUNDBRIEF_SECRET"},
		{"RUNDBRIEF_OPTIN_TTL=eine Woche", "RUNDBRIEF_OPTIN_TTL"},
		{"RUNDBRIEF_OPTIN_TTL=10m", "RUNDBRIEF_OPTIN_TTL"},
		{"RUNDBRIEF_PENDING_TTL=3d", "RUNDBRIEF_PENDING_TTL"},
		{"RUNDBRIEF_LISTEN=8080", "RUNDBRIEF_LISTEN"},
		{"RUNDBRIEF_LISTEN=irgendwo:80", "RUNDBRIEF_LISTEN"},
		{"RUNDBRIEF_RECORD_IP=ja", "RUNDBRIEF_RECORD_IP"},
		{"RUNDBRIEF_NAME= ", "RUNDBRIEF_NAME"},
		{"RUNDBRIEF_CONCURRENCY=viele", "RUNDBRIEF_CONCURRENCY"},
		{"RUNDBRIEF_CONCURRENCY=0", "RUNDBRIEF_CONCURRENCY"},
		{"RUNDBRIEF_RATE=-1", "RUNDBRIEF_RATE"},
		{"RUNDBRIEF_RATE=schnell", "RUNDBRIEF_RATE"},
		{"RUNDBRIEF_LEASE=0s", "RUNDBRIEF_LEASE"},
		{"RUNDBRIEF_LEASE=2d", "RUNDBRIEF_LEASE"},
		{"RUNDBRIEF_REQUEUE_EVERY=10ms", "RUNDBRIEF_REQUEUE_EVERY"},
		{"RUNDBRIEF_RETRY_DELAY=bald", "RUNDBRIEF_RETRY_DELAY"},
		{"RUNDBRIEF_RETRY_DELAY=2h", "RUNDBRIEF_RETRY_DELAY"},
		{"RUNDBRIEF_LOG_LEVEL=laut", "RUNDBRIEF_LOG_LEVEL"},
		{"RUNDBRIEF_IMPRESSUM_URL=https://lra.example/impressum", "RUNDBRIEF_PRIVACY_URL"},
		{"RUNDBRIEF_BOUNCE_ADDRESS=Bounces <bounces@lra.example>", "RUNDBRIEF_BOUNCE_ADDRESS"},
		{"RUNDBRIEF_BOUNCE_ADDRESS=rundbrief+bounces@lra.example", "RUNDBRIEF_BOUNCE_ADDRESS"},
		{"RUNDBRIEF_BOUNCE_ADDRESS=unzustellbarkeitsmeldungen-der-netzwerkstelle@lra.example", "RUNDBRIEF_BOUNCE_ADDRESS"},
		{"RUNDBRIEF_BOUNCE_IMAP_URL=pop3://u:p@mail.lra.example", "RUNDBRIEF_BOUNCE_IMAP_URL"},
		{"RUNDBRIEF_BOUNCE_IMAP_URL=imaps://u:p@mail.lra.example", "RUNDBRIEF_BOUNCE_IMAP_URL"}, // without the address
		{"RUNDBRIEF_BOUNCE_POLL=1s", "RUNDBRIEF_BOUNCE_POLL"},
		{"RUNDBRIEF_ADMIN_LISTEN=9090", "RUNDBRIEF_ADMIN_LISTEN"},
		{"RUNDBRIEF_ADMIN_PASSWORD=lang-genug-aber-ohne-adresse", "RUNDBRIEF_ADMIN_LISTEN"},
		{"RUNDBRIEF_ADMIN_LISTEN=:9090", "RUNDBRIEF_ADMIN_PASSWORD"}, // all interfaces, no password
		{"RUNDBRIEF_ADMIN_LISTEN=127.0.0.1:9090\x00RUNDBRIEF_ADMIN_PASSWORD=kurz", "RUNDBRIEF_ADMIN_PASSWORD"},
	}
	for _, tt := range tests {
		_, err := Load(strings.Split(tt.env, "\x00")) // NUL separates two variables
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != tt.want || !strings.HasPrefix(err.Error(), tt.want+": ") {
			t.Errorf("Load(%s) = %v, want an error naming %s", tt.env, err, tt.want)
		}
	}
}

// Sending through a relay from the placeholder sender would fail at the
// relay; the configuration refuses it up front.
func TestRelayNeedsRealSender(t *testing.T) {
	if _, err := Load([]string{"RUNDBRIEF_SMTP_URL=smtp://relay.example.org"}); err == nil || !strings.Contains(err.Error(), "RUNDBRIEF_FROM") {
		t.Errorf("relay with placeholder sender: %v", err)
	}
	c, err := Load([]string{"RUNDBRIEF_SMTP_URL=smtp://knf:geheim@relay.example.org", "RUNDBRIEF_FROM=KNF <knf@lra-nordhausen.example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP().Host != "relay.example.org" || c.SMTP().Password != "geheim" {
		t.Errorf("smtp = %+v", c.SMTP())
	}
}

func TestEntriesMaskSecrets(t *testing.T) {
	c, err := Load([]string{
		"RUNDBRIEF_SECRET=" + secret,
		"RUNDBRIEF_DATABASE_URL=postgres://knf:dbpass@db:5432/rundbrief?sslmode=disable",
		"RUNDBRIEF_REDIS_URL=redis://:redispass@redis:6379/0",
		"RUNDBRIEF_SMTP_URL=smtp://knf:smtppass@relay.example.org",
		"RUNDBRIEF_FROM=knf@lra.example.org",
		"RUNDBRIEF_BASE_URL=https://rundbrief.example.org/",
	})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	set := map[string]bool{}
	for _, e := range c.Entries() {
		all.WriteString(e.Var + "=" + e.Value + "\n")
		set[e.Var] = e.Set
	}
	for _, s := range []string{secret, "dbpass", "redispass", "smtppass"} {
		if strings.Contains(all.String(), s) {
			t.Errorf("config shows %q:\n%s", s, all.String())
		}
	}
	if !strings.Contains(all.String(), "RUNDBRIEF_SECRET=******** (39 Bytes)") || !strings.Contains(all.String(), "RUNDBRIEF_BASE_URL=https://rundbrief.example.org\n") {
		t.Errorf("entries:\n%s", all.String())
	}
	if !set["RUNDBRIEF_SECRET"] || set["RUNDBRIEF_OUTBOX"] {
		t.Errorf("set flags: %v", set)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"7d", 7 * 24 * time.Hour, "7d"},
		{"36h", 36 * time.Hour, "36h0m0s"},
		{"1d12h", 36 * time.Hour, "36h0m0s"},
		{"90m", 90 * time.Minute, "1h30m0s"},
	}
	for _, tt := range tests {
		var d Duration
		if err := d.UnmarshalText([]byte(tt.in)); err != nil || time.Duration(d) != tt.want || d.String() != tt.str {
			t.Errorf("Duration(%q) = %v (%s), %v; want %v (%s)", tt.in, time.Duration(d), d, err, tt.want, tt.str)
		}
	}
	for _, bad := range []string{"", "d", "7 Tage", "-1d", "1.5d"} {
		var d Duration
		if err := d.UnmarshalText([]byte(bad)); err == nil && bad != "" {
			t.Errorf("Duration(%q) accepted", bad)
		}
	}
}

func TestDKIMKeys(t *testing.T) {
	dir := t.TempDir()
	pemFile := func(name string, key any) string {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	edPath, weakPath := pemFile("ed.pem", ed), pemFile("weak.pem", weak)

	c, err := Load([]string{"RUNDBRIEF_DKIM_KEY=" + edPath, "RUNDBRIEF_DKIM_SELECTOR=ed2026", "RUNDBRIEF_FROM=KNF <knf@lra-nordhausen.de>"})
	if err != nil {
		t.Fatal(err)
	}
	if domain, sels := c.DKIMSelectors(); c.DKIM() == nil || domain != "lra-nordhausen.de" || len(sels) != 1 || sels[0] != "ed2026" {
		t.Errorf("DKIM %v, domain %q, selectors %v", c.DKIM(), domain, sels)
	}
	for _, env := range [][]string{
		{"RUNDBRIEF_DKIM_KEY=" + edPath},
		{"RUNDBRIEF_DKIM_KEY=" + edPath + "," + edPath, "RUNDBRIEF_DKIM_SELECTOR=a"},
		{"RUNDBRIEF_DKIM_KEY=" + filepath.Join(dir, "fehlt.pem"), "RUNDBRIEF_DKIM_SELECTOR=a"},
		{"RUNDBRIEF_DKIM_KEY=" + weakPath, "RUNDBRIEF_DKIM_SELECTOR=a"},
		{"RUNDBRIEF_DKIM_SELECTOR=a"},
	} {
		if _, err := Load(env); err == nil || !strings.Contains(err.Error(), "RUNDBRIEF_DKIM_") {
			t.Errorf("Load(%v) = %v, want an error naming a DKIM variable", env, err)
		}
	}
}
