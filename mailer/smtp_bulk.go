package mailer

import (
	"bytes"
	"errors"
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
//
// sendRaw marks the connection broken whenever the session may be out of
// step (no reply, a failed write, 421 "closing"); after a refusal it
// resets the transaction, and the connection stays usable.
func (pc *pooledConn) sendRaw(env envelope, data []byte, timeout time.Duration) (string, error) {
	sc := pc.smtp
	if err := sc.UpdateDeadline(timeout); err != nil {
		pc.broken = true
		return "", &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	if env.utf8 {
		if ok, _ := sc.Extension("SMTPUTF8"); !ok {
			return "", &Error{Stage: StageRcptTo, Err: ErrNoSMTPUTF8}
		}
	}
	if ok, _ := sc.Extension("PIPELINING"); ok {
		return pc.sendPipelined(env, data)
	}
	pc.wire = appendDotStuffed(pc.wire[:0], data)
	return pc.sendOneByOne(env, pc.wire)
}

// sendOneByOne is sendRaw to a relay without PIPELINING, for a text
// already dot-stuffed: each command waits for its reply.
func (pc *pooledConn) sendOneByOne(env envelope, wire []byte) (string, error) {
	sc := pc.smtp
	sc.SkipSMTPUTF8(!env.utf8) // go-mail would ask for it whenever offered
	if err := sc.Mail(env.from); err != nil {
		e := pc.refused(StageMailFrom, err, env)
		if e.Code == 0 {
			// No reply to the first command of a message: the connection
			// is gone (the relay dropped it while idle), nothing was sent.
			e.Stage = StageConnect
		}
		return "", e
	}
	if err := sc.Rcpt(env.to); err != nil {
		return "", pc.refused(StageRcptTo, err, env)
	}
	w, err := sc.Data()
	if err != nil {
		return "", pc.refused(StageData, err, env)
	}
	// The text, dot-stuffed, goes to the connection's buffer directly
	// (the client's Text connection is exported for such extensions); its
	// final CRLF goes through the data writer, so that it knows the text
	// ended at the start of a line and its Close adds only ".\r\n".
	if _, err := sc.Text.W.Write(wire[:len(wire)-2]); err != nil {
		pc.broken = true
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	if _, err := w.Write(wire[len(wire)-2:]); err != nil {
		pc.broken = true
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	if err := w.Close(); err != nil {
		// The reply to the text ends the transaction, whatever it says.
		e := classifyReply(StageData, err, env.rcpt)
		pc.broken = e.Code == 0 || e.Code == 421
		return "", e
	}
	reply := ""
	if dc, ok := w.(*smtp.DataCloser); ok {
		reply = strings.TrimSpace(dc.ServerResponse())
	}
	return reply, nil
}

// refused classifies the error of a command within a transaction and
// puts the session back in step: after a refusal the transaction is reset
// (RSET); without a reply, or after RSET fails or 421, the connection is
// marked broken.
func (pc *pooledConn) refused(stage Stage, err error, env envelope) *Error {
	e := classifyReply(stage, err, env.rcpt)
	if e.Code == 0 || e.Code == 421 || pc.smtp.Reset() != nil {
		pc.broken = true
	}
	return e
}

// sendPipelined is sendRaw with MAIL, RCPT and DATA sent as one group
// (RFC 2920, section 3.1), and the text with its final dot in a second
// write.
func (pc *pooledConn) sendPipelined(env envelope, data []byte) (string, error) {
	pc.wire = appendGroup(pc.wire[:0], false, &env)
	if err := pc.write(pc.wire); err != nil {
		return "", &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	if e := pc.readEnvelope(env); e != nil {
		return "", e
	}
	pc.wire = appendGroup(appendDotStuffed(pc.wire[:0], data), true, nil)
	if err := pc.write(pc.wire); err != nil {
		return "", &Error{Temporary: true, Stage: StageData, Err: err}
	}
	reply, e := pc.readText(env)
	if e != nil {
		return "", e
	}
	return reply, nil
}

// appendGroup appends to buf, when endText, the final dot of a text that
// buf holds dot-stuffed; then the MAIL, RCPT and DATA commands of env's
// message, when env is not nil. The text of a message may open a group
// (RFC 2920, section 3.1), so a message sent behind another costs one
// write.
func appendGroup(buf []byte, endText bool, env *envelope) []byte {
	if endText {
		buf = append(buf, ".\r\n"...)
	}
	if env != nil {
		buf = append(buf, "MAIL FROM:"...)
		buf = append(buf, env.from...)
		if env.utf8 {
			buf = append(buf, " SMTPUTF8"...)
		}
		buf = append(buf, "\r\nRCPT TO:"...)
		buf = append(buf, env.to...)
		buf = append(buf, "\r\nDATA\r\n"...)
	}
	return buf
}

// write writes buf to the relay at once. A connection that fails to
// write is marked broken.
func (pc *pooledConn) write(buf []byte) error {
	tw := pc.smtp.Text.W
	_, err := tw.Write(buf)
	if err == nil {
		err = tw.Flush()
	}
	if err != nil {
		pc.broken = true
	}
	return err
}

// readEnvelope reads the replies to a group of MAIL, RCPT and DATA for
// env's message. Every reply of the group is read, whatever the first ones
// said, so that the session stays in step. The first refusal decides what
// became of the message: a relay that refuses a recipient and then hangs
// up has refused the recipient, and the hang-up only ends the connection.
// No reply to MAIL means the connection is gone before anything of the
// message was taken (StageConnect). After a refusal the transaction is
// reset, and a connection whose state is unknown is marked broken.
func (pc *pooledConn) readEnvelope(env envelope) *Error {
	tp := pc.smtp.Text
	var first *Error // the first refusal
	for i, step := range []struct {
		stage  Stage
		expect int
	}{{StageMailFrom, 250}, {StageRcptTo, 25}, {StageData, 354}} {
		_, _, err := tp.ReadResponse(step.expect)
		if err == nil {
			if step.stage == StageData && first != nil {
				// The relay said 354 to a DATA without a recipient (RFC
				// 2920, section 3.1, asks it not to): end the empty text.
				tp.W.WriteString(".\r\n")
				if tp.W.Flush() != nil {
					pc.broken = true
				} else if _, _, err := tp.ReadResponse(0); err != nil && classifyReply(StageData, err, env.rcpt).Code == 0 {
					pc.broken = true
				}
			}
			continue
		}
		e := classifyReply(step.stage, err, env.rcpt)
		if e.Code == 0 {
			// No reply: the connection is gone. Before the first reply
			// nothing can have been taken, so the message may go again
			// on a fresh connection.
			pc.broken = true
			if first != nil {
				return first
			}
			if i == 0 {
				e.Stage = StageConnect
			}
			return e
		}
		if e.Code == 421 {
			pc.broken = true
		}
		if first == nil {
			first = e
		}
	}
	if first != nil && !pc.broken && pc.smtp.Reset() != nil {
		pc.broken = true
	}
	return first
}

// readText reads the reply to the text of env's message: the relay's
// words after the code on success, else the *Error. A connection without
// a reply or closing (421) is marked broken.
func (pc *pooledConn) readText(env envelope) (string, *Error) {
	_, msg, err := pc.smtp.Text.ReadResponse(250)
	if err != nil {
		e := classifyReply(StageData, err, env.rcpt)
		if e.Code == 0 || e.Code == 421 {
			pc.broken = true
		}
		return "", e
	}
	return strings.TrimSpace(msg), nil // as go-mail gives it
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

// classifyReply is the *Error of a failed SMTP command, the one classifier
// of every SMTP path: with the relay's reply code and enhanced status code
// (RFC 3463) when it replied, temporary for 4xx and permanent for 5xx;
// without a reply (the connection failed) always temporary. The reply text
// is kept with any address in it removed (see redact), so that what is
// logged or stored names no one; rcpt is the recipient.
func classifyReply(stage Stage, err error, rcpt string) *Error {
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code < 400 || te.Code > 599 {
		return &Error{Temporary: true, Stage: stage, Err: err}
	}
	return &Error{
		Temporary: te.Code < 500,
		Code:      te.Code,
		Enhanced:  enhancedCode.FindString(te.Msg),
		Stage:     stage,
		Err:       &textproto.Error{Code: te.Code, Msg: redact(te.Msg, rcpt)},
	}
}
