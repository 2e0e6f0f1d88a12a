package mailer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/knf-nordhausen/rundbrief/internal/smtptest"
)

var (
	dkimKeysOnce sync.Once
	dkimRSA      *rsa.PrivateKey
	dkimEd       ed25519.PrivateKey
)

// dkimKeys are an RSA-2048 and an Ed25519 key, made once per test run.
func dkimKeys(t testing.TB) (*rsa.PrivateKey, ed25519.PrivateKey) {
	dkimKeysOnce.Do(func() {
		var err error
		if dkimRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		_, dkimEd, _ = ed25519.GenerateKey(rand.Reader)
	})
	return dkimRSA, dkimEd
}

// dnsOf answers the TXT lookups of an independent verifier with the
// public keys published as rsa._domainkey.knf.example and
// ed._domainkey.knf.example.
func dnsOf(t testing.TB) func(string) ([]string, error) {
	r, e := dkimKeys(t)
	der, err := x509.MarshalPKIXPublicKey(&r.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]string{
		"rsa._domainkey.knf.example": "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der),
		"ed._domainkey.knf.example":  "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(e.Public().(ed25519.PublicKey)),
	}
	return func(name string) ([]string, error) {
		if v, ok := records[name]; ok {
			return []string{v}, nil
		}
		return nil, errors.New("no such record")
	}
}

func testDKIM(t testing.TB) *DKIM {
	r, e := dkimKeys(t)
	d, err := NewDKIM("knf.example", DKIMKey{Selector: "rsa", Key: r}, DKIMKey{Selector: "ed", Key: e})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// verified checks raw with go-msgauth's verifier, which knows nothing of
// go-mail: both signatures must hold, for the sender's domain.
func verified(t *testing.T, what string, raw []byte) {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: dnsOf(t)})
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if len(vs) != 2 {
		t.Fatalf("%s: %d signatures, want 2", what, len(vs))
	}
	for _, v := range vs {
		if v.Err != nil || v.Domain != "knf.example" {
			t.Errorf("%s: signature of %s: %v", what, v.Domain, v.Err)
		}
		for _, h := range []string{"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} {
			if !containsFold(v.HeaderKeys, h) {
				t.Errorf("%s: the signature does not cover %s: %v", what, h, v.HeaderKeys)
			}
		}
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// A signed mail verifies with an independent verifier on the single-mail
// path, the campaign path and in the outbox; a changed subject or an added
// List-Unsubscribe breaks both signatures.
func TestDKIMSignaturesVerify(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	cfg, err := ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DKIM = testDKIM(t)
	s, err := NewSMTPSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Send(ctx, testMessage()); err != nil {
		t.Fatal(err)
	}
	tmpl := testMessage()
	tmpl.Text = "Guten Tag " + Blank("name") + ",\n\nhier ist der Rundbrief.\n"
	tmpl.Headers = ListHeaders(tmpl.From, Blank("unsub"))
	b, err := NewBulk(tmpl, "name", "unsub")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Anna", "Jörg Müller"} {
		if _, err := s.SendBulk(ctx, b, &Letter{To: mail.Address{Address: "a@example.org"},
			Values: map[string]string{"name": name, "unsub": "https://rundbrief.example/u/" + name[:1]}}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	verified(t, "single", msgs[0].Data)
	verified(t, "campaign copy 1", msgs[1].Data)
	verified(t, "campaign copy 2", msgs[2].Data)

	for name, tamper := range map[string]func([]byte) []byte{
		"subject changed": func(b []byte) []byte {
			return bytes.Replace(b, []byte("?q?Bitte_"), []byte("?q?Gewinn_"), 1)
		},
		"List-Unsubscribe added": func(b []byte) []byte {
			i := bytes.Index(b, []byte("\r\n\r\n"))
			return append(append(append([]byte{}, b[:i+2]...), "List-Unsubscribe: <https://evil.example/>\r\n"...), b[i+2:]...)
		},
	} {
		changed := tamper(msgs[1].Data)
		if bytes.Equal(changed, msgs[1].Data) {
			t.Fatalf("%s: nothing changed", name)
		}
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(changed), &dkim.VerifyOptions{LookupTXT: dnsOf(t)})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.Err == nil {
				t.Errorf("%s: the signature with %s still verifies", name, v.Domain)
			}
		}
	}

	o, err := NewOutbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o.DKIM = testDKIM(t)
	for _, send := range []func() (Receipt, error){
		func() (Receipt, error) { return o.Send(ctx, testMessage()) },
		func() (Receipt, error) {
			return o.SendBulk(ctx, b, &Letter{To: mail.Address{Address: "b@example.org"}, Values: map[string]string{"name": "B", "unsub": "https://x.example/"}})
		},
	} {
		r, err := send()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(strings.TrimPrefix(r.Reply, "250 written to "))
		if err != nil {
			t.Fatal(err)
		}
		verified(t, "outbox", raw)
	}
}

func TestNewDKIMRefusesWeakKeys(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, e := dkimKeys(t)
	for name, keys := range map[string][]DKIMKey{
		"RSA-1024":      {{Selector: "alt", Key: weak}},
		"no selector":   {{Selector: "", Key: e}},
		"selector ; x":  {{Selector: "a;b", Key: e}},
		"no key at all": nil,
	} {
		if _, err := NewDKIM("knf.example", keys...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var _ crypto.Signer = e
}

// BenchmarkDKIM is the cost of one campaign copy (~15 KB) with and without
// each signature: the figure README's "Zustellbarkeit" names.
func BenchmarkDKIM(b *testing.B) {
	r, e := dkimKeys(b)
	tmpl := testMessage()
	tmpl.Text = "Guten Tag " + Blank("name") + ",\n\n" + strings.Repeat("Neues aus der Netzwerkstelle Fachkräftesicherung. ", 150) + "\n"
	tmpl.HTML = "<p>" + strings.Repeat("Neues aus der Netzwerkstelle Fachkräftesicherung. ", 150) + "</p>"
	bulk, err := NewBulk(tmpl, "name")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		keys []DKIMKey
	}{
		{"none", nil},
		{"rsa2048", []DKIMKey{{Selector: "rsa", Key: r}}},
		{"ed25519", []DKIMKey{{Selector: "ed", Key: e}}},
		{"both", []DKIMKey{{Selector: "rsa", Key: r}, {Selector: "ed", Key: e}}},
	} {
		var d *DKIM
		if c.keys != nil {
			if d, err = NewDKIM("knf.example", c.keys...); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			var buf []byte
			l := &Letter{To: mail.Address{Address: "a@example.org"}, Values: map[string]string{"name": "Anna"}}
			for b.Loop() {
				l.MessageID = ""
				if buf, err = bulk.AppendLetter(buf[:0], l); err != nil {
					b.Fatal(err)
				}
				out, err := d.sign(buf)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}
