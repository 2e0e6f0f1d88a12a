package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

// With RUNDBRIEF_DKIM_KEY set to an RSA and an Ed25519 key, every mail the
// worker sends carries both signatures and an independent verifier
// accepts them: the opt-in mail (one mail built on its own) and a
// campaign's copies (built once, filled in per person).
func TestDKIMOnEveryPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	var paths []string
	for _, k := range []struct {
		name string
		key  any
	}{{"rsa.pem", rsaKey}, {"ed.pem", edKey}} {
		der, err := x509.MarshalPKCS8PrivateKey(k.key)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, k.name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	rsaDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	dns := map[string]string{
		"rsa2026._domainkey.lra-nordhausen.example.org": "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rsaDER),
		"ed2026._domainkey.lra-nordhausen.example.org":  "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(edPub),
	}
	lookup := func(name string) ([]string, error) {
		if v, ok := dns[name]; ok {
			return []string{v}, nil
		}
		return nil, errors.New("NXDOMAIN")
	}

	relay := smtptest.Start(t, smtptest.Options{})
	e := newCLI(t).with("RUNDBRIEF_SMTP_URL="+relay.URL(), "RUNDBRIEF_FROM=knf@lra-nordhausen.example.org",
		"RUNDBRIEF_DKIM_KEY="+paths[0]+","+paths[1], "RUNDBRIEF_DKIM_SELECTOR=rsa2026,ed2026")
	e.importConfirmed(t, contacts(t, 3))
	e.ok(t, "subscribers", "add", "neu@schule.example", "--kind", "Schule")
	e.ok(t, "campaigns", "create", "newsletter", "--subject", "Rundbrief März", "--body", writeFile(t, "m.md", "Neues im **März**."))
	e.ok(t, "campaigns", "send", "1", "--yes")
	e.ok(t, "worker", "--until-empty")

	msgs := relay.Messages()
	if len(msgs) != 4 {
		t.Fatalf("%d mails, want the opt-in and 3 campaign copies", len(msgs))
	}
	for _, m := range msgs {
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 {
			t.Errorf("mail to %s: %d signatures, want 2", m.To[0], len(vs))
		}
		for _, v := range vs {
			if v.Err != nil || v.Domain != "lra-nordhausen.example.org" {
				t.Errorf("mail to %s: signature of %q: %v", m.To[0], v.Domain, v.Err)
			}
		}
	}
}
