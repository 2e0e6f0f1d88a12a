// Package bounces reads what comes back after the relay accepted a mail:
// delivery status notifications (RFC 3464, in a multipart/report of
// RFC 6522), the common reports that do not follow it (older Exchange,
// qmail), complaints of mailbox providers (ARF, RFC 5965) and
// auto-replies (RFC 3834), which it recognises and leaves alone.
//
// Each mail leaves with its own envelope sender (VERP): the bounce
// address with a signed token that names the mail in its log,
// bounces+d1234-5f0e…@example.org. A report reaches that address, or
// carries it in the copy of the mail it returns, so it maps to the
// mail, and through it to the subscriber, even when the relay rewrites
// or leaves out the recipient. Only a report with a valid token acts;
// the mailbox may hold other mail.
package bounces

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/maillog"
)

// macLength is the length of a token's MAC in bytes: 64 bits, written as
// 16 lower-case hex digits, which survive relays that change the case of
// a local part.
const macLength = 8

// VERP makes and reads the envelope senders of outgoing mail. It is safe
// for concurrent use.
type VERP struct {
	local, domain string // of the bounce address, in lower case
	key           []byte
	find          *regexp.Regexp
}

// NewVERP returns the VERP of the bounce address address (bounces@example.org,
// RUNDBRIEF_BOUNCE_ADDRESS), signing with a key derived from secret
// (RUNDBRIEF_SECRET). The local part may not hold '+', which separates
// the token.
func NewVERP(address string, secret []byte) (*VERP, error) {
	a, err := mail.ParseAddress(address)
	if err != nil || a.Name != "" || a.Address != address {
		return nil, fmt.Errorf("bounces: the bounce address %q is not a bare e-mail address", address)
	}
	at := strings.LastIndexByte(address, '@')
	local, domain := strings.ToLower(address[:at]), strings.ToLower(address[at+1:])
	if strings.ContainsAny(local, "+\"\\ ") || len(local) > 32 {
		return nil, fmt.Errorf("bounces: the local part of the bounce address %q may have at most 32 characters and no '+'", address)
	}
	if len(secret) == 0 {
		return nil, errors.New("bounces: no secret to sign bounce addresses with")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("rundbrief bounce addresses v1"))
	return &VERP{
		local: local, domain: domain, key: m.Sum(nil),
		find: regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(local) + `\+([drs])([1-9][0-9]{0,18})-([0-9a-f]{16})@` + regexp.QuoteMeta(domain) + `\b`),
	}, nil
}

// Address is the envelope sender of the mail ref: the bounce address with
// the token of ref after a '+'.
func (v *VERP) Address(ref maillog.Ref) string {
	body := string(rune(ref.Log)) + strconv.FormatInt(ref.ID, 10)
	return v.local + "+" + body + "-" + hex.EncodeToString(v.mac(body)) + "@" + v.domain
}

// Mail returns the mail whose envelope sender addr is, if addr is one
// this VERP made (the case of its letters aside).
func (v *VERP) Mail(addr string) (maillog.Ref, bool) {
	m := v.find.FindStringSubmatch(addr)
	if m == nil || len(m[0]) != len(strings.Trim(addr, "<> \t")) {
		return maillog.Ref{}, false
	}
	return v.check(m)
}

// Find returns the first mail named by a valid bounce address in text.
func (v *VERP) Find(text []byte) (maillog.Ref, bool) {
	for _, m := range v.find.FindAllSubmatch(text, 20) {
		if ref, ok := v.check([]string{string(m[0]), string(m[1]), string(m[2]), string(m[3])}); ok {
			return ref, true
		}
	}
	return maillog.Ref{}, false
}

func (v *VERP) check(m []string) (maillog.Ref, bool) {
	log, digits, mac := strings.ToLower(m[1]), m[2], strings.ToLower(m[3])
	got, err := hex.DecodeString(mac)
	if err != nil || !hmac.Equal(got, v.mac(log+digits)) {
		return maillog.Ref{}, false
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 {
		return maillog.Ref{}, false
	}
	return maillog.Ref{Log: maillog.Log(log[0]), ID: id}, true
}

func (v *VERP) mac(body string) []byte {
	m := hmac.New(sha256.New, v.key)
	m.Write([]byte(body))
	return m.Sum(nil)[:macLength]
}
