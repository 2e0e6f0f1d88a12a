package subscribers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// MinSecretLength is the least number of bytes RUNDBRIEF_SECRET must have.
const MinSecretLength = 32

// Purpose is what a link token may be used for. A token made for one
// purpose is refused for every other.
type Purpose byte

// The purposes of link tokens.
const (
	// PurposeConfirm is the opt-in confirmation link; it expires.
	PurposeConfirm Purpose = 1
	// PurposePreferences is the preferences and unsubscribe link in every
	// mail; it does not expire, so an unsubscribe link in an old mail works.
	PurposePreferences Purpose = 2
	// PurposeRegister is the link in an invitation to register for the
	// event named in the link's path; it does not expire (the event's
	// deadline closes registration).
	PurposeRegister Purpose = 3
)

// Errors from Keyring.Verify. Both mean the link must not be acted on.
var (
	ErrTokenInvalid = errors.New("subscribers: link token is invalid")
	ErrTokenExpired = errors.New("subscribers: link token has expired")
)

// Token layout, before base64url encoding (34 bytes, 46 characters):
//
//	version(1) purpose(1) subscriber(8) expiry-unix(8, 0 = never) mac(16)
//
// The MAC is HMAC-SHA-256 over the first 18 bytes, truncated to 128 bits.
const (
	tokenVersion = 1
	tokenBody    = 1 + 1 + 8 + 8
	tokenMAC     = 16
)

// Keyring holds the keys derived from RUNDBRIEF_SECRET: one for link tokens
// and one for the keyed address hashes of the suppression list. Deriving
// separate keys means a token can never be mistaken for a hash or the other
// way round.
//
// Changing the secret invalidates every link in mail already sent and makes
// the suppression list unreadable; keep it as long as the installation.
type Keyring struct {
	tokenKey   []byte
	addressKey []byte
	// Keyed hashes to reuse: a reset one starts from its key's state
	// without hashing the key again (crypto/hmac keeps that state).
	tokenMACs, addressMACs sync.Pool
}

// NewKeyring derives the keys from secret, which must have at least
// MinSecretLength bytes.
func NewKeyring(secret []byte) (*Keyring, error) {
	if len(secret) < MinSecretLength {
		return nil, fmt.Errorf("subscribers: the secret has %d bytes, at least %d are needed", len(secret), MinSecretLength)
	}
	k := &Keyring{
		tokenKey:   derive(secret, "rundbrief link tokens v1"),
		addressKey: derive(secret, "rundbrief address hashes v1"),
	}
	k.tokenMACs.New = func() any { return hmac.New(sha256.New, k.tokenKey) }
	k.addressMACs.New = func() any { return hmac.New(sha256.New, k.addressKey) }
	return k, nil
}

// sum is the HMAC of data under the key of pool's hashes.
func sum(pool *sync.Pool, data []byte) []byte {
	m := pool.Get().(hash.Hash)
	m.Write(data)
	out := m.Sum(make([]byte, 0, sha256.Size))
	m.Reset()
	pool.Put(m)
	return out
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Token returns a link token for purpose and subscriber. A zero expires
// makes a token that never expires.
func (k *Keyring) Token(p Purpose, subscriberID int64, expires time.Time) string {
	var b [tokenBody + tokenMAC]byte
	b[0] = tokenVersion
	b[1] = byte(p)
	binary.BigEndian.PutUint64(b[2:10], uint64(subscriberID))
	if !expires.IsZero() {
		binary.BigEndian.PutUint64(b[10:18], uint64(expires.Unix()))
	}
	copy(b[tokenBody:], k.mac(b[:tokenBody]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Verify checks that token was made by this keyring for purpose and has not
// expired at now, and returns the subscriber it was made for. Any change to
// the token makes it invalid.
func (k *Keyring) Verify(token string, p Purpose, now time.Time) (int64, error) {
	b, ok := decodeToken(token)
	if !ok {
		return 0, ErrTokenInvalid
	}
	if !hmac.Equal(b[tokenBody:], k.mac(b[:tokenBody])) {
		return 0, ErrTokenInvalid
	}
	if b[0] != tokenVersion || Purpose(b[1]) != p {
		return 0, ErrTokenInvalid
	}
	id := int64(binary.BigEndian.Uint64(b[2:10]))
	if id <= 0 {
		return 0, ErrTokenInvalid
	}
	if exp := int64(binary.BigEndian.Uint64(b[10:18])); exp != 0 && now.Unix() >= exp {
		return id, ErrTokenExpired
	}
	return id, nil
}

// decodeToken decodes token as exactly one spelling of an issued token
// allows: its length is that of the encoding (the decoder would skip line
// breaks in it), and the unused bits of its last character are zero
// (Strict).
func decodeToken(token string) ([]byte, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBody+tokenMAC) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return b, err == nil && len(b) == tokenBody+tokenMAC
}

// Expires returns the expiry written into token, zero for a token that
// never expires or that cannot be read. It does not verify the token:
// call it after Verify.
func (k *Keyring) Expires(token string) time.Time {
	b, ok := decodeToken(token)
	if !ok {
		return time.Time{}
	}
	if exp := int64(binary.BigEndian.Uint64(b[10:18])); exp != 0 {
		return time.Unix(exp, 0)
	}
	return time.Time{}
}

func (k *Keyring) mac(body []byte) []byte {
	return sum(&k.tokenMACs, body)[:tokenMAC]
}

// AddressHash is the keyed hash under which an address is kept on the
// suppression list: HMAC-SHA-256 of its lower-cased form. Without the secret,
// the list cannot be checked against guessed addresses.
func (k *Keyring) AddressHash(email string) []byte {
	return sum(&k.addressMACs, []byte(EmailKey(email)))
}
