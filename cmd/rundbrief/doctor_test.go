package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/internal/dnstest"
	"github.com/knf-nordhausen/rundbrief/internal/imaptest"
	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

// rundbrief doctor against a DNS server on loopback: with the records
// IT should set, everything is OK; with none, an open SPF or an old
// DKIM key, each is a FEHLER that says what to publish, and the exit
// code is 1.
func TestDoctor(t *testing.T) {
	t.Parallel()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "dkim.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	dkimRecord := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	relay := smtptest.Start(t, smtptest.Options{Username: "knf", Password: "relay-pass"})
	box := imaptest.Start(t)
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL=smtp://knf:relay-pass@"+relay.Host+":"+strconv.Itoa(relay.Port)+"?tls=none",
		"RUNDBRIEF_FROM=knf@lra-nordhausen.example.org", "RUNDBRIEF_BOUNCE_ADDRESS=bounces@lra-nordhausen.example.org",
		"RUNDBRIEF_BOUNCE_IMAP_URL="+box.URL(""), "RUNDBRIEF_DKIM_KEY="+keyFile, "RUNDBRIEF_DKIM_SELECTOR=rb2026")
	e.ok(t, "migrate")

	good := dnstest.Start(t, map[string][]string{
		"lra-nordhausen.example.org":                   {"v=spf1 ip4:127.0.0.1 -all"},
		"rb2026._domainkey.lra-nordhausen.example.org": {dkimRecord},
		"_dmarc.lra-nordhausen.example.org":            {"v=DMARC1; p=quarantine"},
	})
	r := e.run(t, "", "doctor", "--dns", good)
	if r.code != 0 {
		t.Fatalf("doctor with good records: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"OK       Datenbank: erreichbar, Schema aktuell",
		"OK       Warteschlange (Redis): erreichbar.",
		"OK       Mailserver 127.0.0.1:",
		"OK       SPF für lra-nordhausen.example.org: v=spf1 ip4:127.0.0.1 -all",
		"OK       DKIM: der Schlüssel steht richtig im DNS (rb2026._domainkey.lra-nordhausen.example.org).",
		"OK       DMARC für lra-nordhausen.example.org: vorhanden (Richtlinie p=quarantine).",
		"OK       Postfach für Meldungen imap://",
		"Ergebnis: bereit",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "relay-pass") || strings.Contains(r.stdout, imaptest.Password) {
		t.Errorf("doctor shows a password:\n%s", r.stdout)
	}

	_, old, _ := ed25519.GenerateKey(rand.Reader)
	bad := dnstest.Start(t, map[string][]string{
		"lra-nordhausen.example.org":                   {"v=spf1 +all"},
		"rb2026._domainkey.lra-nordhausen.example.org": {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(old.Public().(ed25519.PublicKey))},
	})
	r = e.with("RUNDBRIEF_BOUNCE_IMAP_URL=imap://bounces:falsch@"+box.Addr+"/INBOX").run(t, "", "doctor", "--dns", bad)
	if r.code != 1 {
		t.Fatalf("doctor with bad records: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"FEHLER   SPF für lra-nordhausen.example.org: „v=spf1 +all“ erlaubt jedem Server auf der Welt",
		"FEHLER   DKIM: unter rb2026._domainkey.lra-nordhausen.example.org steht ein anderer Schlüssel",
		"Richtig ist: " + dkimRecord,
		"FEHLER   DMARC für lra-nordhausen.example.org: kein Eintrag.",
		"FEHLER   Postfach für Meldungen imap://bounces@",
		"Ergebnis: 4 FEHLER",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor lacks %q:\n%s", want, r.stdout)
		}
	}
}
