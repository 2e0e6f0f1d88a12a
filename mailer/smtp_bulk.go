package mailer

import (
	"bytes"
	"errors"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// sendRaw runs one mail transaction (RFC 5321, section 3.3) for data, a
// complete message ending in CRLF: MAIL, RCPT, DATA and the text. It
// returns the relay's reply to the text, or an *Error. To a relay that
// offers PIPELINING (RFC 2920) the three commands go in one write and the
// text with its final dot in another, so a message costs two round trips
// instead of four.
func (pc *pooledConn) sendRaw(from, to string, data []byte, timeout time.Duration) (string, error) {
	sc := pc.smtp
	if err := sc.UpdateDeadline(timeout); err != nil {
		return "", &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	if ok, _ := sc.Extension("PIPELINING"); ok {
		return pc.sendPipelined(from, to, data)
	}
	if err := sc.Mail(from); err != nil {
		e := replyError(StageMailFrom, err)
		if e.Code == 0 {
			// No reply to the first command of a message: the connection
			// is gone (the relay dropped it while idle), nothing was sent.
			e.Stage = StageConnect
		} else {
			sc.Reset()
		}
		return "", e
	}
	if err := sc.Rcpt(to); err != nil {
		e := replyError(StageRcptTo, err)
		if e.Code != 0 {
			sc.Reset()
		}
		return "", e
	}
	w, err := sc.Data()
	if err != nil {
		return "", replyError(StageData, err)
	}
	// The text goes to the connection's buffer dot-stuffed here, a search
	// per line that starts with a dot rather than a look at every byte;
	// the final CRLF goes through the data writer, so that it knows the
	// text ended at the start of a line and its Close adds only ".\r\n".
	// The client's Text connection is exported for such extensions.
	pc.wire = appendDotStuffed(pc.wire[:0], data[:len(data)-2])
	if _, err := sc.Text.W.Write(pc.wire); err != nil {
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	if _, err := w.Write(data[len(data)-2:]); err != nil {
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	if err := w.Close(); err != nil {
		return "", replyError(StageData, err)
	}
	reply := ""
	if dc, ok := w.(*smtp.DataCloser); ok {
		reply = strings.TrimSpace(dc.ServerResponse())
	}
	return reply, nil
}

// sendPipelined is sendRaw with MAIL, RCPT and DATA sent as one group
// (RFC 2920, section 3.1). Every reply of the group is read, whatever the
// first ones said, so that the session stays in step; after a refusal the
// transaction is reset, and a connection whose state is unknown is marked
// broken.
func (pc *pooledConn) sendPipelined(from, to string, data []byte) (string, error) {
	tp := pc.smtp.Text
	mailCmd := "MAIL FROM:" + from
	if !isASCII(from) || !isASCII(to) {
		if ok, _ := pc.smtp.Extension("SMTPUTF8"); ok {
			mailCmd += " SMTPUTF8"
		}
	}
	tp.W.WriteString(mailCmd + "\r\nRCPT TO:" + to + "\r\nDATA\r\n")
	if err := tp.W.Flush(); err != nil {
		return "", &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	var errs [3]*Error
	for i, step := range []struct {
		stage  Stage
		expect int
	}{{StageMailFrom, 250}, {StageRcptTo, 25}, {StageData, 354}} {
		if _, _, err := tp.ReadResponse(step.expect); err != nil {
			errs[i] = replyError(step.stage, err)
			if errs[i].Code == 0 {
				// No reply: the connection is gone. Before the first reply
				// nothing can have been taken, so the message may go again
				// on a fresh connection.
				pc.broken = true
				if i == 0 {
					errs[i].Stage = StageConnect
				}
				return "", errs[i]
			}
		}
	}
	if errs[0] != nil || errs[1] != nil {
		if errs[2] == nil {
			// The relay said 354 to a DATA without a recipient (RFC 2920,
			// section 3.1, asks it not to): end the empty text.
			tp.W.WriteString(".\r\n")
			if tp.W.Flush() != nil {
				pc.broken = true
			} else if _, _, err := tp.ReadResponse(0); err != nil && replyError(StageData, err).Code == 0 {
				pc.broken = true
			}
		}
		if !pc.broken && pc.smtp.Reset() != nil {
			pc.broken = true
		}
		if errs[0] != nil {
			return "", errs[0]
		}
		return "", errs[1]
	}
	if errs[2] != nil {
		if pc.smtp.Reset() != nil {
			pc.broken = true
		}
		return "", errs[2]
	}
	pc.wire = appendDotStuffed(pc.wire[:0], data)
	pc.wire = append(pc.wire, ".\r\n"...)
	if _, err := tp.W.Write(pc.wire); err != nil {
		pc.broken = true
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	if err := tp.W.Flush(); err != nil {
		pc.broken = true
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		e := replyError(StageData, err)
		pc.broken = e.Code == 0
		return "", e
	}
	return strings.TrimSpace(msg), nil // as go-mail gives it: the text after the code
}

// appendDotStuffed appends data with a dot added before every line that
// starts with one (RFC 5321, section 4.5.2). data starts at the start of
// a line.
func appendDotStuffed(dst, data []byte) []byte {
	if len(data) > 0 && data[0] == '.' {
		dst = append(dst, '.')
	}
	for {
		i := bytes.Index(data, []byte("\n."))
		if i < 0 {
			return append(dst, data...)
		}
		dst = append(dst, data[:i+1]...)
		dst = append(dst, '.')
		data = data[i+1:]
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// replyError is the *Error of a failed command: with the relay's reply
// code and enhanced status code when it replied, else a temporary
// failure of the connection.
func replyError(stage Stage, err error) *Error {
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code < 400 || te.Code > 599 {
		return &Error{Temporary: true, Stage: stage, Err: err}
	}
	return &Error{
		Temporary: te.Code < 500,
		Code:      te.Code,
		Enhanced:  enhancedCode.FindString(te.Msg),
		Stage:     stage,
		Err:       te,
	}
}

// bareAddress is a as it goes into MAIL FROM and RCPT TO: <local@domain>.
func bareAddress(a mail.Address) string {
	a.Name = ""
	return a.String()
}
