package mailer

import (
	"context"
	"strconv"
	"strings"
)

// Capabilities are what a relay offers once connected, encrypted and
// logged in as the SMTPConfig says (RFC 5321 EHLO keywords).
type Capabilities struct {
	Encrypted  bool  // the session runs over TLS (implicit or STARTTLS)
	LoggedIn   bool  // AUTH succeeded (there were credentials)
	Pipelining bool  // RFC 2920: commands sent in one go
	SMTPUTF8   bool  // RFC 6531: addresses with non-ASCII local parts
	Size       int64 // RFC 1870: the largest message taken; 0 when not announced
	Greeting   string
}

// Probe connects to the relay as sending would, reads what it offers and
// quits without sending. An error says why a connection, STARTTLS or
// AUTH failed, as *Error.
func (s *SMTPSender) Probe(ctx context.Context) (Capabilities, error) {
	pc, err := s.dial(ctx)
	if err != nil {
		return Capabilities{}, &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	defer func() {
		pc.smtp.Quit()
		pc.smtp.Close()
	}()
	var c Capabilities
	_, c.Encrypted = pc.smtp.TLSConnectionState()
	c.LoggedIn = s.cfg.Username != ""
	c.Pipelining, _ = pc.smtp.Extension("PIPELINING")
	c.SMTPUTF8, _ = pc.smtp.Extension("SMTPUTF8")
	if ok, v := pc.smtp.Extension("SIZE"); ok {
		c.Size, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	}
	c.Greeting = pc.smtp.HelloResponse()
	return c, nil
}
