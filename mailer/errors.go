package mailer

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
)

// Stage is the step of delivery at which a message failed.
type Stage string

// The stages of delivery.
const (
	StageBuild    Stage = "build"     // the message itself is invalid
	StageConnect  Stage = "connect"   // dial, TLS, AUTH, or the connection died
	StageMailFrom Stage = "MAIL FROM" // the relay refused the sender
	StageRcptTo   Stage = "RCPT TO"   // the relay refused the recipient
	StageData     Stage = "DATA"      // the relay refused the content
	StageOutbox   Stage = "outbox"    // writing the outbox file failed
)

// Error is a failed delivery. Its text names no recipient: a relay's reply
// is kept with every address in it, and the recipient's local part,
// removed, so that it may be logged and stored beyond the person's
// erasure.
type Error struct {
	// Temporary failures (4xx replies, network and TLS trouble) may succeed
	// later; permanent ones (5xx replies, invalid messages) will not.
	Temporary bool
	Code      int    // SMTP reply code; 0 when there was no reply
	Enhanced  string // enhanced status code such as "5.1.1"; "" if the relay sent none
	Stage     Stage
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("mailer: %s failure at %s: %v", kind, e.Stage, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// RecipientRejected reports whether the receiving side refused the
// recipient's address for good, so that it should not be mailed again: a
// permanent reply to RCPT TO, or a permanent reply after DATA whose enhanced
// code blames the mailbox (5.1.x address, 5.2.x mailbox). Policy rejections
// (x.7.x: spam filter, missing authentication, relaying denied) are the
// sender's problem and do not count against the address.
func (e *Error) RecipientRejected() bool {
	if e.Temporary || e.Code < 500 || e.Code > 599 {
		return false
	}
	if strings.HasPrefix(e.Enhanced, "5.7.") {
		return false
	}
	switch e.Stage {
	case StageRcptTo:
		return true
	case StageData:
		return strings.HasPrefix(e.Enhanced, "5.1.") || strings.HasPrefix(e.Enhanced, "5.2.")
	}
	return false
}

// Reply is the relay's reply ("550 5.1.1 <…>: Recipient address
// rejected"), or the error text, for the delivery log.
func (e *Error) Reply() string {
	var te *textproto.Error
	if e.Code != 0 && errors.As(e.Err, &te) {
		return strings.TrimSpace(fmt.Sprintf("%03d %s", te.Code, te.Msg))
	}
	if e.Code != 0 && e.Err != nil {
		return strings.TrimSpace(e.Err.Error())
	}
	return e.Error()
}

// AsError returns err as an *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
