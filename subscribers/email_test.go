package subscribers

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"anna.beispiel@example.org", "anna.beispiel@example.org", nil},
		{"  Anna.Beispiel@Example.ORG\t", "Anna.Beispiel@example.org", nil},
		{"personal+knf@schule-nordhausen.example", "personal+knf@schule-nordhausen.example", nil},
		{"jörg.müller@bäckerei.example", "jörg.müller@bäckerei.example", nil},
		{"user@xn--mller-kva.example", "user@müller.example", nil},
		{"user@MÜLLER.Example", "user@müller.example", nil},
		{"jo\u0308rg@example.org", "jörg@example.org", nil}, // o and a combining diaeresis: one spelling of ö
		{"user@xn--bad--.example", "", ErrEmailDomain},
		{"user@xn--zz.example", "", ErrEmailDomain},
		{"", "", ErrEmailEmpty},
		{"   ", "", ErrEmailEmpty},
		{"anna@example.org\r\nBcc: x@example.org", "", ErrEmailControl},
		{"anna@exa mple.org", "", ErrEmailControl},
		{"anna@example.org\x00", "", ErrEmailControl},
		{"Anna Beispiel <anna@example.org>", "", ErrEmailDisplayName},
		{"<anna@example.org>", "", ErrEmailDisplayName},
		{"anna@example.org (Büro)", "", ErrEmailDisplayName},
		{"anna@example.org(Büro)", "", ErrEmailDisplayName},
		{`"anna b"@example.org`, "", ErrEmailDisplayName},
		{`"anna"@example.org`, "", ErrEmailDisplayName},
		{"anna", "", ErrEmailSyntax},
		{"anna@", "", ErrEmailSyntax},
		{"@example.org", "", ErrEmailSyntax},
		{"anna@@example.org", "", ErrEmailSyntax},
		{"anna.@example.org", "", ErrEmailSyntax},
		{"anna@localhost", "", ErrEmailDomain},
		{"anna@-example.org", "", ErrEmailDomain},
		{"anna@example..org", "", ErrEmailSyntax},
		{"anna@[127.0.0.1]", "", ErrEmailDomain},
		{strings.Repeat("a", 65) + "@example.org", "", ErrEmailTooLong},
		{"a@" + strings.Repeat("b", 250) + ".org", "", ErrEmailTooLong},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("NormalizeEmail(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Whatever NormalizeEmail accepts is a bare address the database accepts too:
// no control characters or spaces, one @, a dot in the domain, the domain
// in its UTS #46 Unicode form, and normalising it again changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"anna@example.org", "A@B.DE", "x\r\n@y.z", "\"a\"@b.c", "a@b", "jörg@bäckerei.de", "a(b)@c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(got, "\r\n\t <>\"") {
			t.Fatalf("NormalizeEmail(%q) = %q contains a forbidden character", s, got)
		}
		if strings.Count(got, "@") != 1 {
			t.Fatalf("NormalizeEmail(%q) = %q has not exactly one @", s, got)
		}
		// The domain is in its one Unicode form, UTS #46's: lower case, but
		// for the few scripts whose capitals that form keeps (Cherokee:
		// "xn--bbe" is "Ꮘ", and "ꮘ" maps to it).
		domain := got[strings.IndexByte(got, '@')+1:]
		if u, err := idna.Lookup.ToUnicode(domain); err != nil || u != domain || !strings.Contains(domain, ".") {
			t.Fatalf("NormalizeEmail(%q) = %q: domain not normalised", s, got)
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, normalising again gives %q, %v", s, got, again, err)
		}
	})
}

// EmailKey's shortcut for plain ASCII addresses gives what normalising
// gives.
func FuzzEmailKeyPlain(f *testing.F) {
	for _, s := range []string{"anna@example.org", " A@B.DE ", "a@XN--MLLER-KVA.example", "a@b", "a@.b.c", "a@[127.0.0.1]",
		"a..b@c.de", "\"x y\"@c.de", "a@b-.de", "a@b_c.de", "a@-b.de", "a@b.de.", "a@xn--.de", "a@\x00.de", "A@B..DE", "@b.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainASCII(s) {
			return
		}
		if got, want := EmailKey(s), emailKey(s); got != want {
			t.Fatalf("EmailKey(%q) = %q, normalising gives %q", s, got, want)
		}
	})
}

func TestParseKind(t *testing.T) {
	tests := []struct {
		in   string
		want Kind
	}{
		{"Unternehmen", KindCompany}, {"company", KindCompany}, {" FIRMA ", KindCompany},
		{"Schule", KindSchool}, {"school", KindSchool},
		{"Familie", KindFamily}, {"family", KindFamily},
		{"Sonstige", KindOther}, {"other", KindOther},
	}
	for _, tt := range tests {
		if got, err := ParseKind(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseKind("Verein"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("ParseKind(Verein) error = %v, want ErrUnknownKind", err)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"  Südharz Metallbau GmbH ", "Südharz Metallbau GmbH", false},
		{"Anna\nBeispiel", "", true},
		{"Anna\rBcc:", "", true},
		{"Tab\there", "", true},
		{strings.Repeat("ä", MaxNameLength), strings.Repeat("ä", MaxNameLength), false},
		{strings.Repeat("ä", MaxNameLength+1), "", true},
	}
	for _, tt := range tests {
		got, err := CleanText(tt.in, MaxNameLength)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("CleanText(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
