package mailer

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"golang.org/x/net/idna"
)

// ErrNoSMTPUTF8 is the error of a message to an address with non-ASCII
// characters before the @ (jörg@example.org) through a relay that does not
// offer SMTPUTF8 (RFC 6531, section 3.2): such an address cannot be spelt
// in ASCII, and the relay cannot take it. The address may well be good;
// the mail fails without counting against it.
var ErrNoSMTPUTF8 = errors.New("mailer: the address has non-ASCII characters before the @ and the relay does not offer SMTPUTF8 (RFC 6531)")

// envelope is a message's sender and recipient as they go into MAIL FROM
// and RCPT TO.
type envelope struct {
	from, to string // <local@domain>, domains as A-labels
	utf8     bool   // a local part is not ASCII: the relay must offer SMTPUTF8
	rcpt     string // the recipient as given, kept out of error texts
}

// newEnvelope is the envelope of a message from from to to. The
// envelope sender, where bounces go, is returnPath when it is set (a
// bounce address that names the mail, VERP), else from.
func newEnvelope(from, to mail.Address, returnPath string) (envelope, error) {
	sender := from.Address
	if returnPath != "" {
		if err := checkAddress(mail.Address{Address: returnPath}); err != nil {
			return envelope{}, fmt.Errorf("%w: return path: %v", ErrInvalidMessage, err)
		}
		sender = returnPath
	}
	f, fu, err := wireAddress(sender)
	if err != nil {
		return envelope{}, fmt.Errorf("%w: From: %v", ErrInvalidMessage, err)
	}
	t, tu, err := wireAddress(to.Address)
	if err != nil {
		return envelope{}, fmt.Errorf("%w: To: %v", ErrInvalidMessage, err)
	}
	return envelope{from: "<" + f + ">", to: "<" + t + ">", utf8: fu || tu, rcpt: to.Address}, nil
}

// wireAddress returns addr as it is written on the wire: a domain with
// non-ASCII characters as its A-labels ("müller.example" becomes
// "xn--mller-kva.example", IDNA 2008 as UTS #46 maps it, RFC 5890), which
// every relay takes; the local part as it is. utf8 reports that the local
// part holds non-ASCII characters, which only a relay that offers SMTPUTF8
// takes.
func wireAddress(addr string) (wire string, utf8 bool, err error) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", false, errors.New("the address has no @")
	}
	local, domain := addr[:at], addr[at+1:]
	if !isASCII(domain) {
		if domain, err = idna.Lookup.ToASCII(domain); err != nil {
			return "", false, errors.New("the domain is not a valid international domain name")
		}
	}
	return local + "@" + domain, !isASCII(local), nil
}

// headerAddress is a as it goes into the From or To header: the domain
// as A-labels, so that an address with an ASCII local part is plain ASCII
// (RFC 5322) whatever the relay; a non-ASCII local part stays UTF-8
// (RFC 6532) and goes only to a relay that offers SMTPUTF8.
func headerAddress(a mail.Address) (mail.Address, error) {
	wire, _, err := wireAddress(a.Address)
	if err != nil {
		return a, err
	}
	a.Address = wire
	return a, nil
}

// addressLike matches what may be an e-mail address in a relay's reply,
// with the angle brackets around it.
var addressLike = regexp.MustCompile(`<?[^\s<>"'(),;\[\]]*@[^\s<>"'(),;\[\]]*>?`)

// redact removes from a relay's reply text whatever may name the
// recipient: every address (Postfix and Exchange write the refused one,
// "<anna@example.org>: Recipient address rejected"), and the recipient's
// local part on its own ("User anna unknown"). What stays is the reason,
// which the mail log keeps and the logs show; the address is erased with
// the person and must not survive them in a reply text.
func redact(text, rcpt string) string {
	text = addressLike.ReplaceAllString(text, "<…>")
	if at := strings.LastIndexByte(rcpt, '@'); at >= 3 {
		local := regexp.QuoteMeta(rcpt[:at])
		text = regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}])`+local+`($|[^\p{L}\p{N}])`).ReplaceAllString(text, "${1}…${2}")
	}
	return text
}
