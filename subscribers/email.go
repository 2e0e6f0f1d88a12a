package subscribers

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Reasons an address is refused. NormalizeEmail wraps one of them, so callers
// can explain the problem with Explain.
var (
	ErrEmailEmpty       = errors.New("subscribers: e-mail address is empty")
	ErrEmailControl     = errors.New("subscribers: e-mail address contains a line break, space or control character")
	ErrEmailDisplayName = errors.New("subscribers: e-mail address must be given without a name, comment or angle brackets")
	ErrEmailSyntax      = errors.New("subscribers: not a valid e-mail address")
	ErrEmailTooLong     = errors.New("subscribers: e-mail address is too long")
	ErrEmailDomain      = errors.New("subscribers: e-mail address has no valid domain")
)

// NormalizeEmail checks that s is a plain e-mail address (RFC 5322
// addr-spec, as net/mail reads it) and returns it normalised: surrounding
// space trimmed, the domain in lower case, the local part as given. Two
// addresses that differ only in case are the same subscriber (see
// EmailKey), but mail goes to the local part as the subscriber wrote it.
//
// The domain is written one way however it was given: an international
// domain as Unicode (U-labels, lower case), so "user@xn--mller-kva.example"
// and "user@MÜLLER.example" are both "user@müller.example" and one
// subscriber. The local part is put in Unicode normal form C (RFC 6532).
//
// Refused: display names ("Anna <a@b.de>"), comments, angle brackets, CR,
// LF and any other space or control character, quoted local parts, local
// parts over 64 and addresses over 254 octets (RFC 5321 4.5.3.1), and
// domains without a dot.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrEmailEmpty
	}
	if strings.ContainsAny(s, "<>()\"") {
		return "", fmt.Errorf("%w: %q", ErrEmailDisplayName, s)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", fmt.Errorf("%w: %q", ErrEmailControl, s)
		}
	}
	if len(s) > 254 {
		return "", fmt.Errorf("%w: %d octets, at most 254", ErrEmailTooLong, len(s))
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrEmailSyntax, s)
	}
	if addr.Name != "" || addr.Address != s {
		return "", fmt.Errorf("%w: %q", ErrEmailDisplayName, s)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := norm.NFC.String(s[:at]), strings.ToLower(s[at+1:])
	if len(local) > 64 {
		return "", fmt.Errorf("%w: the part before @ has %d octets, at most 64", ErrEmailTooLong, len(local))
	}
	// One spelling of an international domain: its Unicode form (U-labels,
	// lower case, NFC), whether it was written so or as A-labels
	// ("xn--mller-kva.example" is "müller.example"). The mailer writes the
	// A-labels on the wire.
	if u, err := idna.Lookup.ToUnicode(domain); err == nil {
		domain = u
	} else {
		return "", fmt.Errorf("%w: %q", ErrEmailDomain, domain)
	}
	if a, err := idna.Lookup.ToASCII(domain); err != nil || len(a) > 253 {
		return "", fmt.Errorf("%w: %q", ErrEmailDomain, domain)
	}
	if !validDomain(domain) {
		return "", fmt.Errorf("%w: %q", ErrEmailDomain, domain)
	}
	return local + "@" + domain, nil
}

// EmailKey is the form in which addresses are matched: the normalised
// address (see NormalizeEmail: one spelling of its domain), all lower case.
// It equals the email_key column of the subscribers table for every
// address stored.
func EmailKey(email string) string {
	if plainASCII(email) {
		// Normalising changes nothing but the case of such an address,
		// or fails, which leaves it as it is (FuzzEmailKeyPlain): most
		// addresses need no parsing to be matched.
		return strings.ToLower(strings.TrimSpace(email))
	}
	return emailKey(email)
}

// emailKey is EmailKey without its shortcut.
func emailKey(email string) string {
	if n, err := NormalizeEmail(email); err == nil {
		email = n
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// plainASCII says s is all ASCII and has no A-label ("xn--"), the only
// ASCII that a domain's Unicode form spells otherwise.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false
		}
		if (c == 'x' || c == 'X') && i+3 < len(s) && (s[i+1] == 'n' || s[i+1] == 'N') && s[i+2] == '-' && s[i+3] == '-' {
			return false
		}
	}
	return true
}

// validDomain accepts host names of at least two labels, each 1 to 63
// octets, not starting or ending with a hyphen. Address literals
// ([127.0.0.1]) are not accepted for subscribers.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return false
			}
		}
	}
	return true
}
