// Package doctor checks what an installation needs before its first
// campaign: the database and the queue, the relay (connection, STARTTLS,
// AUTH, and the EHLO keywords PIPELINING, SMTPUTF8 and SIZE of RFC 5321,
// RFC 2920, RFC 6531 and RFC 1870), the sender domain's DNS records that
// Gmail, Yahoo, GMX, web.de and t-online require of bulk senders (SPF,
// RFC 7208; DKIM, RFC 6376; DMARC, RFC 7489), and the login to the bounce
// mailbox.
//
// Each check gives a Finding with a level and a code with values; the
// words for staff live at the edge (cmd).
package doctor

import (
	"context"
	"net"
	"strconv"
	"strings"

	"github.com/knf-nordhausen/rundbrief/mailer"
)

// Level is how a finding stands.
type Level int

// The levels of findings.
const (
	OK   Level = iota // as it should be
	Warn              // works, but will cost deliverability or needs a look
	Fail              // must be mended before sending
)

// Code names what a finding says. Its values are in Finding.Values, in
// the order the constant's comment gives.
type Code string

// The codes of findings.
const (
	DatabaseOK          Code = "database_ok"         // applied migrations
	DatabaseDown        Code = "database_down"       // error
	DatabaseBehind      Code = "database_behind"     // applied, known
	QueueOK             Code = "queue_ok"            //
	QueueDown           Code = "queue_down"          // error
	RelayNone           Code = "relay_none"          // outbox folder
	RelayDown           Code = "relay_down"          // relay, error
	RelayOK             Code = "relay_ok"            // relay, greeting
	RelayPlain          Code = "relay_plain"         // relay
	RelayNoAuth         Code = "relay_no_auth"       // relay
	RelayNoPipelining   Code = "relay_no_pipelining" // relay
	RelayNoSMTPUTF8     Code = "relay_no_smtputf8"   // relay
	RelaySizeOK         Code = "relay_size_ok"       // limit in bytes, biggest mail in bytes
	RelaySizeSmall      Code = "relay_size_small"    // limit in bytes, biggest mail in bytes
	RelaySizeUnknown    Code = "relay_size_unknown"  // biggest mail in bytes
	SPFOK               Code = "spf_ok"              // domain, record
	SPFMissing          Code = "spf_missing"         // domain
	SPFMany             Code = "spf_many"            // domain, count
	SPFOpen             Code = "spf_open"            // domain, record
	SPFNeutral          Code = "spf_neutral"         // domain, record
	SPFUnaligned        Code = "spf_unaligned"       // envelope domain, From domain
	DKIMOK              Code = "dkim_ok"             // record name
	DKIMOff             Code = "dkim_off"            // From domain
	DKIMMissing         Code = "dkim_missing"        // record name, record to publish
	DKIMMismatch        Code = "dkim_mismatch"       // record name, record to publish
	DMARCOK             Code = "dmarc_ok"            // domain, policy
	DMARCMissing        Code = "dmarc_missing"       // domain
	DMARCInvalid        Code = "dmarc_invalid"       // domain, record
	DNSDown             Code = "dns_down"            // name, error
	BounceOff           Code = "bounce_off"          //
	BounceNoMailbox     Code = "bounce_no_mailbox"   // bounce address
	BounceMailboxOK     Code = "bounce_mailbox_ok"   // mailbox
	BounceMailboxFailed Code = "bounce_mailbox_down" // mailbox, error
)

// Finding is the outcome of one check.
type Finding struct {
	Level  Level
	Code   Code
	Values []string
}

func found(l Level, c Code, values ...string) Finding {
	return Finding{Level: l, Code: c, Values: values}
}

// Doctor holds what the checks need; a check whose part is nil is left
// out, or says that the part is not set up.
type Doctor struct {
	// Database reports the migrations applied and known.
	Database func(ctx context.Context) (applied, known int, err error)
	Queue    func(ctx context.Context) error
	// Relay probes the relay; nil when mail goes to the outbox Outbox.
	Relay     func(ctx context.Context) (mailer.Capabilities, error)
	RelayName string
	Outbox    string
	// BiggestMail is the size in bytes of the biggest mail to be sent.
	BiggestMail int64
	// Resolver looks up the DNS records; nil is the system's.
	Resolver *net.Resolver
	// FromDomain is the domain of RUNDBRIEF_FROM, EnvelopeDomain that of
	// the envelope sender (the bounce address, or From).
	FromDomain, EnvelopeDomain string
	// DKIM are the records of rundbrief's keys; none when it does not
	// sign.
	DKIM []mailer.DKIMRecord
	// BounceAddress and Mailbox: the bounce address, and the login to the
	// bounce mailbox (nil when none is set).
	BounceAddress string
	Mailbox       func(ctx context.Context) error
	MailboxName   string
}

// Run runs every check, in the order staff read them.
func (d *Doctor) Run(ctx context.Context) []Finding {
	var out []Finding
	out = append(out, d.database(ctx)...)
	out = append(out, d.queue(ctx)...)
	out = append(out, d.relay(ctx)...)
	out = append(out, d.spf(ctx)...)
	out = append(out, d.dkim(ctx)...)
	out = append(out, d.dmarc(ctx)...)
	out = append(out, d.bounces(ctx)...)
	return out
}

// Worst is the worst level among fs.
func Worst(fs []Finding) Level {
	w := OK
	for _, f := range fs {
		w = max(w, f.Level)
	}
	return w
}

func (d *Doctor) database(ctx context.Context) []Finding {
	if d.Database == nil {
		return nil
	}
	applied, known, err := d.Database(ctx)
	switch {
	case err != nil:
		return []Finding{found(Fail, DatabaseDown, err.Error())}
	case applied < known:
		return []Finding{found(Fail, DatabaseBehind, strconv.Itoa(applied), strconv.Itoa(known))}
	}
	return []Finding{found(OK, DatabaseOK, strconv.Itoa(applied))}
}

func (d *Doctor) queue(ctx context.Context) []Finding {
	if d.Queue == nil {
		return nil
	}
	if err := d.Queue(ctx); err != nil {
		return []Finding{found(Fail, QueueDown, err.Error())}
	}
	return []Finding{found(OK, QueueOK)}
}

func (d *Doctor) relay(ctx context.Context) []Finding {
	if d.Relay == nil {
		return []Finding{found(Warn, RelayNone, d.Outbox)}
	}
	c, err := d.Relay(ctx)
	if err != nil {
		return []Finding{found(Fail, RelayDown, d.RelayName, err.Error())}
	}
	out := []Finding{found(OK, RelayOK, d.RelayName, firstLine(c.Greeting))}
	host, _, _ := net.SplitHostPort(d.RelayName)
	if !c.Encrypted && !isLoopback(host) {
		out = append(out, found(Fail, RelayPlain, d.RelayName))
	}
	if !c.LoggedIn {
		out = append(out, found(Warn, RelayNoAuth, d.RelayName))
	}
	if !c.Pipelining {
		out = append(out, found(Warn, RelayNoPipelining, d.RelayName))
	}
	if !c.SMTPUTF8 {
		out = append(out, found(Warn, RelayNoSMTPUTF8, d.RelayName))
	}
	biggest := strconv.FormatInt(d.BiggestMail, 10)
	switch {
	case c.Size == 0:
		out = append(out, found(Warn, RelaySizeUnknown, biggest))
	case c.Size < d.BiggestMail:
		out = append(out, found(Fail, RelaySizeSmall, strconv.FormatInt(c.Size, 10), biggest))
	default:
		out = append(out, found(OK, RelaySizeOK, strconv.FormatInt(c.Size, 10), biggest))
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}
