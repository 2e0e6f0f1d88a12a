package mailer

import (
	"bufio"
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
// returns the relay's reply to the text, or an *Error.
func (pc *pooledConn) sendRaw(from, to string, data []byte, timeout time.Duration) (string, error) {
	sc := pc.smtp
	if err := sc.UpdateDeadline(timeout); err != nil {
		return "", &Error{Temporary: true, Stage: StageConnect, Err: err}
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
	if err := writeDotStuffed(sc.Text.W, data[:len(data)-2]); err != nil {
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

// writeDotStuffed writes data with a dot added before every line that
// starts with one (RFC 5321, section 4.5.2). data starts at the start of a
// line.
func writeDotStuffed(w *bufio.Writer, data []byte) error {
	if len(data) > 0 && data[0] == '.' {
		w.WriteByte('.')
	}
	for {
		i := bytes.Index(data, []byte("\n."))
		if i < 0 {
			_, err := w.Write(data)
			return err
		}
		w.Write(data[:i+1])
		w.WriteByte('.')
		data = data[i+1:]
	}
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
