package bounces

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // reports in ISO-8859-1 and Windows-1252

	"github.com/knf-nordhausen/rundbrief/maillog"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Type is what kind of mail came back.
type Type string

// The types of mail that come back.
const (
	TypeBounce    Type = "bounce"     // a report of a failed or delayed delivery
	TypeComplaint Type = "complaint"  // a feedback report of a complaint (ARF)
	TypeAutoReply Type = "auto-reply" // an out-of-office or other automatic answer: ignored
	TypeDelivered Type = "delivered"  // a report of a successful delivery: ignored
	TypeOther     Type = "other"      // anything else: ignored
)

// Report is what a mail that came back says.
type Report struct {
	Type Type
	// Class and Status, for a bounce: hard, soft or policy, and the
	// enhanced status code (RFC 3463); Class is Complaint for a complaint.
	Class  subscribers.BounceClass
	Status string
	// Mail is the mail the report is about, named by a valid bounce
	// address in it; Matched is false when it names none.
	Mail    maillog.Ref
	Matched bool
}

// Acts reports whether r is a bounce or complaint about a known mail.
func (r Report) Acts() bool {
	return r.Matched && (r.Type == TypeBounce || r.Type == TypeComplaint)
}

// maxPart is the most bytes of one part that are read; a report's parts
// are small, and a returned mail's attachments do not matter.
const maxPart = 1 << 20

var (
	enhancedCode = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)
	// replyWithCode: an SMTP reply in a report's text, "550 5.1.1" or
	// "550-5.1.1", or Exchange's "#550 5.1.1".
	replyWithCode = regexp.MustCompile(`\b([245])\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b`)
	bounceSender  = regexp.MustCompile(`(?i)mailer-daemon|postmaster|mail delivery (sub)?system|microsoftexchange`)
	bounceSubject = regexp.MustCompile(`(?i)undeliver|undelivered mail|delivery status notification|delivery (has )?failed|failure notice|returned mail|mail delivery failed|unzustellbar|nicht zustellbar|zustellung fehlgeschlagen|non remis|delivery failure`)
	autoSubject   = regexp.MustCompile(`(?i)^(automatische antwort|automatic reply|auto:|autoreply|auto-reply|out of (the )?office|abwesenheit|abwesend|urlaub|vacation|réponse automatique)`)
	// Phrases of bounces without codes.
	permanentPhrase = regexp.MustCompile(`(?i)this is a permanent error|user unknown|no such user|mailbox unavailable|does not exist|unknown user|address rejected|empfänger unbekannt|existiert nicht`)
	temporaryPhrase = regexp.MustCompile(`(?i)this is a temporary error|mailbox (is )?full|over quota|quota exceeded|postfach (ist )?voll`)
)

// Read reads one mail that came back and says what it is, and which
// mail it is about when v finds a valid bounce address in it. A mail that
// cannot be read as MIME is TypeOther; Read fails only when r does.
func (v *VERP) Read(r io.Reader) (Report, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 32<<20))
	if err != nil {
		return Report{}, err
	}
	rep := Report{Type: TypeOther}
	e, err := message.Read(bytes.NewReader(raw))
	if e == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
		rep.Mail, rep.Matched = v.Find(raw)
		return rep, nil
	}
	p := &parsed{}
	p.walk(e, 0)
	rep.Mail, rep.Matched = v.findIn(e.Header, p.texts, raw)
	switch {
	case len(p.feedback) > 0:
		classifyFeedback(&rep, p.feedback)
	case len(p.status) > 0:
		classifyDSN(&rep, p.status)
	case isAutoReply(e.Header):
		rep.Type = TypeAutoReply
	case isBounce(e.Header):
		classifyText(&rep, p.texts)
	}
	return rep, nil
}

// findIn looks for a valid bounce address where a report carries it:
// the headers that name the address it was delivered to, then the
// returned mail or its headers (its Return-Path), then anywhere.
func (v *VERP) findIn(h message.Header, texts [][]byte, raw []byte) (maillog.Ref, bool) {
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "X-Failed-Recipients"} {
		for _, f := range h.Values(k) {
			if ref, ok := v.Find([]byte(f)); ok {
				return ref, true
			}
		}
	}
	for _, t := range texts {
		if ref, ok := v.Find(t); ok {
			return ref, true
		}
	}
	return v.Find(raw)
}

// parsed is what walking a mail's parts found.
type parsed struct {
	status   []textproto.MIMEHeader // message/delivery-status: per-message then per-recipient fields
	feedback []textproto.MIMEHeader // message/feedback-report
	texts    [][]byte               // every other leaf part, decoded
}

func (p *parsed) walk(e *message.Entity, depth int) {
	if depth > 10 {
		return
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			part, err := mr.NextPart()
			if part == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				return
			}
			p.walk(part, depth+1)
		}
	}
	t, _, _ := e.Header.ContentType()
	body, _ := io.ReadAll(io.LimitReader(e.Body, maxPart))
	switch strings.ToLower(t) {
	case "message/delivery-status", "message/global-delivery-status":
		p.status = append(p.status, fieldGroups(body)...)
	case "message/feedback-report":
		p.feedback = append(p.feedback, fieldGroups(body)...)
	default:
		p.texts = append(p.texts, body)
	}
}

// fieldGroups reads the groups of header-like fields of a
// delivery-status or feedback-report part (RFC 3464, section 2.1), which
// blank lines separate.
func fieldGroups(body []byte) []textproto.MIMEHeader {
	var out []textproto.MIMEHeader
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	for _, block := range bytes.Split(body, []byte("\n\n")) {
		block = bytes.TrimSpace(block)
		if len(block) == 0 {
			continue
		}
		r := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(block), strings.NewReader("\n\n"))))
		if h, err := r.ReadMIMEHeader(); len(h) > 0 {
			out = append(out, h)
		} else if err != nil {
			continue
		}
	}
	return out
}

// classifyDSN reads the per-recipient fields of a delivery status
// notification. A mail goes to one recipient, so the worst action
// counts: failed over delayed over delivered.
func classifyDSN(rep *Report, groups []textproto.MIMEHeader) {
	rep.Type = TypeDelivered
	for _, g := range groups {
		action := strings.ToLower(strings.TrimSpace(g.Get("Action")))
		status := enhancedCode.FindString(g.Get("Status"))
		if status == "" {
			status = enhancedCode.FindString(g.Get("Diagnostic-Code"))
		}
		switch action {
		case "failed":
			if status == "" || status[0] == '2' {
				status = "5.0.0"
			}
			rep.Type, rep.Status, rep.Class = TypeBounce, status, classOf(status)
			return
		case "delayed":
			if status == "" || status[0] != '4' {
				status = "4.0.0"
			}
			rep.Type, rep.Status, rep.Class = TypeBounce, status, subscribers.BounceSoft
		}
	}
}

// classOf is the class of a failure with the enhanced status code status.
func classOf(status string) subscribers.BounceClass {
	switch {
	case strings.HasPrefix(status, "4."):
		return subscribers.BounceSoft
	case strings.HasPrefix(status, "5.7."):
		return subscribers.BouncePolicy
	}
	return subscribers.BounceHard
}

// classifyFeedback reads an ARF report: a complaint about abuse or fraud
// counts; other feedback types (not-spam, virus) do not.
func classifyFeedback(rep *Report, groups []textproto.MIMEHeader) {
	rep.Type = TypeOther
	for _, g := range groups {
		switch strings.ToLower(strings.TrimSpace(g.Get("Feedback-Type"))) {
		case "abuse", "fraud":
			rep.Type, rep.Class = TypeComplaint, subscribers.Complaint
			return
		}
	}
}

// isAutoReply reports whether h is the header of an automatic answer
// (RFC 3834's Auto-Submitted, and what Exchange and others set instead)
// that is not a bounce.
func isAutoReply(h message.Header) bool {
	if bounceSender.MatchString(h.Get("From")) {
		return false
	}
	if a := strings.ToLower(h.Get("Auto-Submitted")); a != "" && a != "no" {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		return true
	}
	p := strings.ToLower(h.Get("Precedence"))
	return p == "auto_reply" || autoSubject.MatchString(subject(h))
}

// isBounce reports whether h is the header of a bounce that does not
// follow RFC 3464: sent by a mailer daemon, with a subject that says so.
func isBounce(h message.Header) bool {
	return bounceSender.MatchString(h.Get("From")) || bounceSubject.MatchString(subject(h))
}

func subject(h message.Header) string {
	s, err := h.Text("Subject")
	if err != nil {
		return h.Get("Subject")
	}
	return s
}

// classifyText reads a bounce without a delivery-status part (Exchange's
// older non-delivery reports, qmail's failure notice): the first SMTP
// reply with an enhanced code in its text, else the first enhanced code,
// else its words.
func classifyText(rep *Report, texts [][]byte) {
	for _, t := range texts {
		if m := replyWithCode.FindSubmatch(t); m != nil {
			rep.Type, rep.Status = TypeBounce, string(m[2])
			rep.Class = classOf(rep.Status)
			return
		}
	}
	for _, t := range texts {
		if s := enhancedCode.Find(t); s != nil && s[0] != '2' {
			rep.Type, rep.Status = TypeBounce, string(s)
			rep.Class = classOf(rep.Status)
			return
		}
	}
	for _, t := range texts {
		switch {
		case temporaryPhrase.Match(t):
			rep.Type, rep.Status, rep.Class = TypeBounce, "4.0.0", subscribers.BounceSoft
			return
		case permanentPhrase.Match(t):
			rep.Type, rep.Status, rep.Class = TypeBounce, "5.0.0", subscribers.BounceHard
			return
		}
	}
}
