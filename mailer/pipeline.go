package mailer

import (
	"context"
	"errors"
)

// A Pipeline sends letters one after another over one connection, for a
// worker that sends a batch of copies. To a relay that offers PIPELINING
// (RFC 2920) the text of each message goes in one write with the MAIL,
// RCPT and DATA of the next (section 3.1 lets a message's text open a
// group), so a message costs one write and one wait for the relay instead
// of two of each.
//
// The price is that a letter's fate is known only when the next one is
// given, or on Flush or Close: the done function the Pipeline was made
// with is called exactly once for every letter given to Send, in the
// order given, from within Send, Flush or Close, with the receipt or an
// *Error. done must not call the Pipeline. A Pipeline is not safe for
// concurrent use; it holds one of the sender's connections from its first
// Send until Close.
type Pipeline interface {
	// Send sends l's copy of b, or starts it and sends its text with the
	// next letter's envelope.
	Send(b *Bulk, l *Letter)
	// Flush sends the text of the letter started last, waits for the
	// relay's reply and reports it; for a pause longer than a relay
	// waits for the text of a message (RFC 5321, section 4.5.3.2.6).
	Flush()
	// Close flushes and gives the connection back.
	Close()
}

// Pipeline returns a pipeline of letters over one of s's connections;
// done learns the fate of each.
func (s *SMTPSender) Pipeline(ctx context.Context, done func(*Letter, Receipt, error)) Pipeline {
	return &smtpPipeline{s: s, ctx: ctx, done: done}
}

// SendBulk delivers l's copy of b over a pooled connection, like Send.
func (s *SMTPSender) SendBulk(ctx context.Context, b *Bulk, l *Letter) (Receipt, error) {
	var r Receipt
	var err error
	p := s.Pipeline(ctx, func(_ *Letter, rr Receipt, e error) { r, err = rr, e })
	p.Send(b, l)
	p.Close()
	return r, err
}

type smtpPipeline struct {
	s    *SMTPSender
	ctx  context.Context
	done func(*Letter, Receipt, error)

	slot bool        // one of s.slots is held
	pc   *pooledConn // nil until the first Send and after a failure
	used bool        // pc carried a message before: a failure before the relay took anything of the next may be a connection that was dropped meanwhile

	// pending is the letter whose DATA the relay accepted; its text goes
	// with the next letter's envelope, or on Flush or Close. Whenever
	// pending is set, pc is usable.
	pending *Letter
	penv    envelope
	ptext   []byte    // on the wire: dot-stuffed, without the final dot
	texts   [2][]byte // where the pending letter's text and the next one's are built
	pbuf    int       // which of texts is the pending letter's
	plain   []byte    // a text to be signed is built here
}

// Send builds l's copy and offers its envelope, behind the pending
// letter's text. A connection that turns out dead before the relay took
// anything of l (no reply to MAIL, or 421) is replaced once, as transact
// does for a single message.
func (p *smtpPipeline) Send(b *Bulk, l *Letter) {
	fail := func(e *Error) { p.done(l, Receipt{}, e) }
	env, err := newEnvelope(b.from, l.To, l.ReturnPath)
	if err != nil {
		fail(&Error{Stage: StageBuild, Err: err})
		return
	}
	free := 1 - p.pbuf
	text, err := p.build(p.texts[free][:0], b, l)
	p.texts[free] = text
	if err != nil {
		fail(&Error{Stage: StageBuild, Err: err})
		return
	}
	if err := p.ctx.Err(); err != nil {
		fail(&Error{Temporary: true, Stage: StageConnect, Err: err})
		return
	}
	for retried := false; ; retried = true {
		if p.pc == nil {
			if e := p.connect(); e != nil {
				fail(e)
				return
			}
		}
		used := p.used
		e := p.offer(l, env, text)
		if p.pc.broken {
			p.pc.drop()
			p.pc = nil
		}
		if e == nil {
			p.pbuf = free
			return
		}
		if !retried && used && (e.Stage == StageConnect || (e.Stage == StageMailFrom && e.Code == 421)) {
			continue
		}
		fail(e)
		return
	}
}

// build appends l's copy of b to dst as it goes on the wire: signed, when
// the sender signs, and dot-stuffed.
func (p *smtpPipeline) build(dst []byte, b *Bulk, l *Letter) ([]byte, error) {
	if p.s.cfg.DKIM == nil {
		return b.appendWire(dst, l)
	}
	var err error
	if p.plain, err = b.AppendLetter(p.plain[:0], l); err != nil {
		return dst, err
	}
	signed, err := p.s.cfg.DKIM.sign(p.plain)
	if err != nil {
		return dst, err
	}
	return appendDotStuffed(dst, signed), nil
}

// connect takes one of the sender's slots, once, and an idle connection
// or a new one.
func (p *smtpPipeline) connect() *Error {
	if !p.slot {
		select {
		case p.s.slots <- struct{}{}:
			p.slot = true
		case <-p.ctx.Done():
			return &Error{Temporary: true, Stage: StageConnect, Err: p.ctx.Err()}
		}
	}
	if pc := p.s.takeIdle(); pc != nil {
		p.pc, p.used = pc, true
		return nil
	}
	pc, err := p.s.dial(p.ctx)
	if err != nil {
		return &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	p.pc, p.used = pc, false
	return nil
}

// errEndedBehind is the error of a letter whose envelope went behind a
// text after which the relay closed the connection.
var errEndedBehind = errors.New("mailer: the relay closed the connection after the previous message")

// offer sends l's envelope on p.pc, behind the pending letter's text, and
// reports the pending letter. It returns nil when l is now pending, or,
// from a relay without PIPELINING, sent and reported; otherwise the
// *Error that ends l on this connection.
func (p *smtpPipeline) offer(l *Letter, env envelope, text []byte) *Error {
	pc := p.pc
	if env.utf8 {
		if ok, _ := pc.smtp.Extension("SMTPUTF8"); !ok {
			return &Error{Stage: StageRcptTo, Err: ErrNoSMTPUTF8}
		}
	}
	if ok, _ := pc.smtp.Extension("PIPELINING"); !ok {
		var reply string
		err := pc.smtp.UpdateDeadline(p.s.cfg.Timeout)
		if err != nil {
			pc.broken = true
			err = &Error{Temporary: true, Stage: StageConnect, Err: err}
		} else {
			reply, err = pc.sendOneByOne(env, text)
		}
		p.used = true
		if err != nil {
			e, _ := AsError(err)
			return e
		}
		p.done(l, Receipt{MessageID: l.MessageID, Reply: reply}, nil)
		return nil
	}
	err := pc.smtp.UpdateDeadline(p.s.cfg.Timeout)
	if err != nil {
		pc.broken = true
	} else if p.pending != nil {
		err = pc.write(appendGroup(p.ptext, true, &env))
	} else {
		pc.wire = appendGroup(pc.wire[:0], false, &env)
		err = pc.write(pc.wire)
	}
	if err != nil {
		p.report("", &Error{Temporary: true, Stage: StageData, Err: err})
		return &Error{Temporary: true, Stage: StageConnect, Err: err}
	}
	if p.pending != nil {
		reply, e := pc.readText(p.penv)
		p.report(reply, e)
		if pc.broken {
			// Nothing of l was taken: it may go on a fresh connection.
			return &Error{Temporary: true, Stage: StageConnect, Err: errEndedBehind}
		}
	}
	p.used = true
	if e := pc.readEnvelope(env); e != nil {
		return e
	}
	p.pending, p.penv, p.ptext = l, env, text
	return nil
}

// report ends the pending letter with the relay's reply to its text, or
// with e.
func (p *smtpPipeline) report(reply string, e *Error) {
	l := p.pending
	if l == nil {
		return
	}
	p.pending, p.ptext = nil, nil
	if e != nil {
		p.done(l, Receipt{}, e)
		return
	}
	p.done(l, Receipt{MessageID: l.MessageID, Reply: reply}, nil)
}

func (p *smtpPipeline) Flush() {
	if p.pending == nil {
		return
	}
	pc := p.pc
	err := pc.smtp.UpdateDeadline(p.s.cfg.Timeout)
	if err != nil {
		pc.broken = true
	} else {
		err = pc.write(appendGroup(p.ptext, true, nil))
	}
	if err != nil {
		p.report("", &Error{Temporary: true, Stage: StageData, Err: err})
	} else {
		p.report(pc.readText(p.penv))
	}
	if pc.broken {
		pc.drop()
		p.pc = nil
	}
}

func (p *smtpPipeline) Close() {
	p.Flush()
	if p.pc != nil {
		p.s.putIdle(p.pc)
		p.pc = nil
	}
	if p.slot {
		<-p.s.slots
		p.slot = false
	}
}
