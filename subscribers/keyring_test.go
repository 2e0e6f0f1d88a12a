package subscribers

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

func testKeyring(t testing.TB, secret string) *Keyring {
	t.Helper()
	k, err := NewKeyring([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const testSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"

func TestNewKeyringRefusesShortSecret(t *testing.T) {
	if _, err := NewKeyring([]byte("too short")); err == nil {
		t.Fatal("NewKeyring accepted a 9-byte secret")
	}
}

func TestTokenRoundTrip(t *testing.T) {
	k := testKeyring(t, testSecret)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		purpose Purpose
		id      int64
		expires time.Time
		check   Purpose
		at      time.Time
		wantID  int64
		wantErr error
	}{
		{"confirm in time", PurposeConfirm, 42, now.Add(7 * 24 * time.Hour), PurposeConfirm, now, 42, nil},
		{"confirm expired", PurposeConfirm, 42, now.Add(time.Hour), PurposeConfirm, now.Add(time.Hour), 42, ErrTokenExpired},
		{"preferences never expire", PurposePreferences, 7, time.Time{}, PurposePreferences, now.AddDate(10, 0, 0), 7, nil},
		{"confirm token used for preferences", PurposeConfirm, 42, time.Time{}, PurposePreferences, now, 0, ErrTokenInvalid},
		{"preferences token used to confirm", PurposePreferences, 42, time.Time{}, PurposeConfirm, now, 0, ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := k.Token(tt.purpose, tt.id, tt.expires)
			id, err := k.Verify(tok, tt.check, tt.at)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if id != tt.wantID {
				t.Errorf("Verify id = %d, want %d", id, tt.wantID)
			}
		})
	}
}

// Changing any single byte of a token, or using another secret, makes it
// invalid.
func TestTokenTamperEvident(t *testing.T) {
	k := testKeyring(t, testSecret)
	now := time.Now()
	tok := k.Token(PurposePreferences, 1234, time.Time{})
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		for _, flip := range []byte{0x01, 0x80} {
			b := bytes.Clone(raw)
			b[i] ^= flip
			if _, err := k.Verify(base64.RawURLEncoding.EncodeToString(b), PurposePreferences, now); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("byte %d ^ %#x: Verify error = %v, want ErrTokenInvalid", i, flip, err)
			}
		}
	}
	other := testKeyring(t, testSecret+"-other")
	if _, err := other.Verify(tok, PurposePreferences, now); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token from another secret: error = %v, want ErrTokenInvalid", err)
	}
	for _, bad := range []string{"", "abc", tok + "A", tok[:len(tok)-1], "!!!!"} {
		if _, err := k.Verify(bad, PurposePreferences, now); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("Verify(%q) error = %v, want ErrTokenInvalid", bad, err)
		}
	}
}

func TestAddressHash(t *testing.T) {
	k := testKeyring(t, testSecret)
	a := k.AddressHash("Anna.Beispiel@example.org")
	if len(a) != 32 {
		t.Fatalf("hash length = %d, want 32", len(a))
	}
	if !bytes.Equal(a, k.AddressHash(" anna.beispiel@EXAMPLE.org ")) {
		t.Error("hash depends on case or surrounding space")
	}
	if bytes.Equal(a, k.AddressHash("anna.beispiel@example.com")) {
		t.Error("different addresses hash alike")
	}
	if bytes.Equal(a, testKeyring(t, testSecret+"x").AddressHash("anna.beispiel@example.org")) {
		t.Error("hash does not depend on the secret")
	}
}

// No input makes Verify panic, and whatever it accepts was made by Token.
// FuzzVerifyToken: no string is accepted that the keyring did not issue,
// byte for byte — not another spelling of the same bytes, not a token for
// another purpose.
func FuzzVerifyToken(f *testing.F) {
	k := testKeyring(f, testSecret)
	issued := k.Token(PurposeConfirm, 1, time.Time{})
	f.Add(issued)
	// The same bytes, spelt with a padding bit of the last character set.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	f.Add(issued[:len(issued)-1] + string(alphabet[strings.IndexByte(alphabet, issued[len(issued)-1])^1]))
	f.Add(k.Token(PurposeConfirm, 42, time.Unix(1<<40, 0)))
	f.Add(k.Token(PurposePreferences, 1, time.Time{}))
	f.Add(issued + "=")
	f.Add("AQEAAAAAAAAAAQAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := k.Verify(s, PurposeConfirm, time.Unix(0, 0))
		if err != nil {
			return
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		if len(raw) != tokenBody+tokenMAC {
			t.Fatalf("accepted a token of %d bytes", len(raw))
		}
		var expires time.Time
		if exp := int64(binary.BigEndian.Uint64(raw[10:18])); exp != 0 {
			expires = time.Unix(exp, 0)
		}
		if want := k.Token(PurposeConfirm, id, expires); s != want {
			t.Fatalf("accepted %q, which was never issued (the issued token is %q)", s, want)
		}
	})
}
