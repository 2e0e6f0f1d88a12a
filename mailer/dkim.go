package mailer

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// DKIM signs outgoing messages (DomainKeys Identified Mail, RFC 6376) with
// go-mail's signer: RSA (rsa-sha256, 2048 bits or more) and Ed25519
// (ed25519-sha256, RFC 8463), one signature per key, so that a domain
// may publish both and receivers pick the one they verify. Headers and
// body are canonicalized "relaxed". The signature covers the fields a
// receiver judges a mail by, the list fields of RFC 2369 and RFC 8058
// among them, and names From, Subject and the List-Unsubscribe fields
// once more than they occur, so that none can be added on the way
// (oversigning, RFC 6376 section 8.15). A DKIM is safe for concurrent use.
type DKIM struct {
	signers []*gomail.DKIMSigner
}

// DKIMKey is one signing key and the selector it is published under, as
// SELECTOR._domainkey.DOMAIN.
type DKIMKey struct {
	Selector string
	Key      crypto.Signer
}

// signedHeaders are the fields the signature covers; oversigned are
// named once more.
var (
	signedHeaders = []string{"From", "Reply-To", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
		"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"}
	oversigned = []string{"From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"}
)

// NewDKIM returns the signer for domain with keys. An RSA key needs at
// least 2048 bits (RFC 8301).
func NewDKIM(domain string, keys ...DKIMKey) (*DKIM, error) {
	if domain == "" || strings.ContainsAny(domain, " ;=\r\n") {
		return nil, fmt.Errorf("mailer: DKIM: domain %q", domain)
	}
	if len(keys) == 0 {
		return nil, errors.New("mailer: DKIM: no key")
	}
	d := &DKIM{}
	for _, k := range keys {
		if k.Selector == "" || strings.ContainsAny(k.Selector, " ;=\r\n") {
			return nil, fmt.Errorf("mailer: DKIM: selector %q", k.Selector)
		}
		if bits := rsaBits(k.Key); bits != 0 && bits < 2048 {
			return nil, fmt.Errorf("mailer: DKIM: the RSA key of selector %s has %d bits; at least 2048 are needed (RFC 8301)", k.Selector, bits)
		}
		s := gomail.NewDKIMSigner(domain, k.Selector, k.Key)
		s.SignHeaders(signedHeaders...)
		s.OversignHeaders(oversigned...)
		if err := s.ValidateConfig(); err != nil {
			return nil, fmt.Errorf("mailer: DKIM: selector %s: %w", k.Selector, err)
		}
		// The signer learns its algorithm on its first signature; sign
		// once now, so that concurrent signatures only read it.
		if _, err := s.Sign([]byte("From: a@b.example\r\n"), []byte("\r\n")); err != nil {
			return nil, fmt.Errorf("mailer: DKIM: selector %s: %w", k.Selector, err)
		}
		d.signers = append(d.signers, s)
	}
	return d, nil
}

// ReadDKIMKey reads a private key in PEM (PKCS #1 or PKCS #8; RSA or
// Ed25519) from path.
func ReadDKIMKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mailer: DKIM key: %w", err)
	}
	k, err := gomail.PrivKeyFromPEM(b)
	if err != nil {
		return nil, fmt.Errorf("mailer: DKIM key %s: %w", path, err)
	}
	return k, nil
}

// sign returns data, an encoded message with lines ending in CRLF, with
// one DKIM-Signature field per key before it; data itself when d is nil.
func (d *DKIM) sign(data []byte) ([]byte, error) {
	if d == nil {
		return data, nil
	}
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, errors.New("mailer: DKIM: the message has no body")
	}
	head, body := data[:end+2], data[end+4:]
	var sigs []string
	for _, s := range d.signers {
		sig, err := s.Sign(head, body)
		if err != nil {
			return nil, fmt.Errorf("mailer: DKIM: %w", err)
		}
		sigs = append(sigs, unfoldTags(sig))
	}
	n := len(data)
	for _, s := range sigs {
		n += len(s)
	}
	out := make([]byte, 0, n)
	for _, s := range sigs {
		out = append(out, s...)
	}
	return append(out, data...), nil
}

// unfoldTags undoes the folds go-mail (v0.8.1) puts inside a tag's
// value to keep lines under 78 characters. It signs the value unfolded,
// and a fold inside h= turns into a space under relaxed canonicalization
// (RFC 6376, section 3.4.2), so a signature over more fields than fit on
// one line would never verify. Folds after "; ", between tags, stay; a
// line may then be longer than 78 characters, well within the 998 of
// RFC 5322.
func unfoldTags(sig string) string {
	var b strings.Builder
	b.Grow(len(sig))
	for i := 0; i < len(sig); i++ {
		if strings.HasPrefix(sig[i:], "\r\n ") && i > 0 && sig[i-1] != ' ' && i+3 < len(sig) {
			i += 2
			continue
		}
		b.WriteByte(sig[i])
	}
	return b.String()
}

func rsaBits(k crypto.Signer) int {
	if r, ok := k.(interface{ Size() int }); ok {
		return r.Size() * 8
	}
	return 0
}

// DKIMRecord is the DNS TXT record that publishes one key: at Name
// (SELECTOR._domainkey.DOMAIN), the text Value (RFC 6376, section 3.6.1).
type DKIMRecord struct {
	Selector, Name, Value string
	// PublicKey is the value of the record's p= tag.
	PublicKey string
}

// Records are the DNS records to publish for d's keys.
func (d *DKIM) Records() []DKIMRecord {
	var out []DKIMRecord
	for _, s := range d.signers {
		kind, p := "rsa", ""
		switch k := s.Signer.Public().(type) {
		case ed25519.PublicKey:
			kind, p = "ed25519", base64.StdEncoding.EncodeToString(k)
		default:
			der, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				continue
			}
			p = base64.StdEncoding.EncodeToString(der)
		}
		out = append(out, DKIMRecord{Selector: s.Selector, Name: s.Selector + "._domainkey." + s.Domain,
			Value: "v=DKIM1; k=" + kind + "; p=" + p, PublicKey: p})
	}
	return out
}
