package mailer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Outbox writes each message as an .eml file into a folder instead of
// sending it: for the demo, for trying rundbrief without a relay, and for
// handing mail to another system. Files appear complete or not at all.
type Outbox struct {
	dir string
	// DKIM, when set before the first message, signs every message as
	// the relay path would.
	DKIM *DKIM
}

// NewOutbox returns an outbox writing into dir, which it creates if needed.
func NewOutbox(dir string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mailer: outbox: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("mailer: outbox: %w", err)
	}
	return &Outbox{dir: abs}, nil
}

// Dir is the outbox folder's absolute path.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m to DIR/TIME-ID.eml, where TIME is the Date in UTC and ID the
// Message-ID's local part.
func (o *Outbox) Send(ctx context.Context, m *Message) (Receipt, error) {
	if _, err := newEnvelope(m.From, m.To, m.ReturnPath); err != nil {
		return Receipt{}, &Error{Stage: StageBuild, Err: err}
	}
	if o.DKIM != nil {
		data, _, err := m.encode()
		if err == nil {
			data, err = o.DKIM.sign(data)
		}
		if err != nil {
			return Receipt{}, &Error{Stage: StageBuild, Err: err}
		}
		return o.write(m.MessageID, m.Date, returnPath(m.ReturnPath, bytes.NewReader(data)))
	}
	msg, err := m.build()
	if err != nil {
		return Receipt{}, &Error{Stage: StageBuild, Err: err}
	}
	return o.write(m.MessageID, m.Date, returnPath(m.ReturnPath, msg))
}

// SendBulk writes l's copy of b, named like Send's files.
func (o *Outbox) SendBulk(ctx context.Context, b *Bulk, l *Letter) (Receipt, error) {
	if _, err := newEnvelope(b.from, l.To, l.ReturnPath); err != nil {
		return Receipt{}, &Error{Stage: StageBuild, Err: err}
	}
	data, err := b.AppendLetter(nil, l)
	if err == nil {
		data, err = o.DKIM.sign(data)
	}
	if err != nil {
		return Receipt{}, &Error{Stage: StageBuild, Err: err}
	}
	return o.write(l.MessageID, l.Date, returnPath(l.ReturnPath, bytes.NewReader(data)))
}

// Pipeline returns a Pipeline that writes each letter as SendBulk does,
// at once.
func (o *Outbox) Pipeline(ctx context.Context, done func(*Letter, Receipt, error)) Pipeline {
	return outboxPipeline{o: o, ctx: ctx, done: done}
}

type outboxPipeline struct {
	o    *Outbox
	ctx  context.Context
	done func(*Letter, Receipt, error)
}

func (p outboxPipeline) Send(b *Bulk, l *Letter) {
	r, err := p.o.SendBulk(p.ctx, b, l)
	p.done(l, r, err)
}

func (outboxPipeline) Flush() {}
func (outboxPipeline) Close() {}

func (o *Outbox) write(messageID string, date time.Time, msg io.WriterTo) (Receipt, error) {
	id := messageID[:strings.LastIndexByte(messageID, '@')]
	name := date.UTC().Format("20060102T150405Z") + "-" + safeFileName(id) + ".eml"
	tmp, err := os.CreateTemp(o.dir, ".writing-*")
	if err != nil {
		return Receipt{}, &Error{Temporary: true, Stage: StageOutbox, Err: err}
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return Receipt{}, &Error{Temporary: true, Stage: StageOutbox, Err: err}
	}
	if err := tmp.Close(); err != nil {
		return Receipt{}, &Error{Temporary: true, Stage: StageOutbox, Err: err}
	}
	path := filepath.Join(o.dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Receipt{}, &Error{Temporary: true, Stage: StageOutbox, Err: err}
	}
	return Receipt{MessageID: messageID, Reply: "250 written to " + path}, nil
}

// returnPath puts the Return-Path field a delivering server would add
// (RFC 5321, section 4.4) before msg, when a return path is set, so that
// the outbox shows where bounces would go.
func returnPath(path string, msg io.WriterTo) io.WriterTo {
	if path == "" {
		return msg
	}
	return writers{strings.NewReader("Return-Path: <" + path + ">\r\n"), msg}
}

// writers writes each of its parts in turn.
type writers []io.WriterTo

func (ws writers) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, part := range ws {
		m, err := part.WriteTo(w)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Close does nothing; an outbox holds no connections.
func (o *Outbox) Close() error { return nil }

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, s)
}
