// Package maillog is the one log every outgoing mail goes through, of
// whatever kind: the subscription mails (opt-in, welcome, preferences
// link), the mails about a registration and the deliveries of a campaign.
//
// A mail's row exists before its task. A worker claims it with a
// conditional UPDATE that counts the claim in attempts (the fencing token)
// and holds it for a lease; when the lease runs out, another worker may
// claim it again. An outcome is recorded only while the claim still holds
// (same attempts, still sending), so a worker that lost its claim never
// overwrites the outcome of the worker that took over. A queued mail whose
// task was lost (Redis lost its data, a worker died) is found again by
// LostSQL and queued again by the worker's sweep.
//
// A campaign's deliveries are claimed by batch instead (campaigns,
// delivery_batches): the lease and the fencing token are the batch's, the
// deliveries stay queued while it is held, and a ClaimedRecorder writes
// each outcome once, fenced by its batch's claim.
// A delivery is so written twice in its life, not three times, and the
// second write is in place (a HOT update).
//
// The log is one set of statements over tables of the same shape, not one
// table: each kind of mail stays in the table of the package that owns its
// subject (subscription_mails in subscribers, registration_mails in
// events, deliveries in campaigns), with its own keys, foreign keys and
// uniqueness rule, so that erasing a subscriber or a registration cascades
// as before. Every such table has these columns:
//
//	id bigint, status text, attempts integer, created_at, retry_at,
//	claimed_at, finished_at timestamptz, message_id text, reply text
//
// This package owns no table; the owner names its table in a Table and
// passes its own transaction or pool.
package maillog

import (
	"errors"
	"time"
)

// Status is where an outgoing mail stands. Queued and Sending are open;
// the others are final.
type Status string

// The statuses of an outgoing mail.
const (
	Queued  Status = "queued"  // waits for its task (or for RetryAt)
	Sending Status = "sending" // claimed by a worker
	Sent    Status = "sent"    // the relay accepted it
	Failed  Status = "failed"  // gave up: retries used up, or a fault that is not the recipient's
	Bounced Status = "bounced" // the recipient's server refused the address for good
	Skipped Status = "skipped" // no longer needed (unsubscribed, replaced, changed meanwhile)
	// Cancelled: the campaign was cancelled before the mail was sent.
	Cancelled Status = "cancelled"
)

// Open reports whether s is not final yet.
func (s Status) Open() bool { return s == Queued || s == Sending }

// ErrClaimLost means another worker took a mail over after this worker's
// lease ran out: that worker records the outcome, this one must not.
var ErrClaimLost = errors.New("maillog: the claim on this mail was lost to another worker")

// Claim is a worker's hold on one mail: the mail's ID and its attempts
// when claimed, the fencing token that Record checks.
type Claim struct {
	ID       int64 `db:"id" json:"id"`
	Attempts int   `db:"attempts" json:"attempts"`
}

// Outcome is how one claimed mail ended, or that it waits for another try.
type Outcome struct {
	Claim
	Status    Status // a final status, or Queued for another try
	MessageID string // with Sent
	// Reply is the relay's reply (with Sent, Failed, Bounced, a deferral)
	// or the reason a mail was skipped; at most 1000 characters are kept.
	Reply   string
	RetryAt *time.Time // with Queued: not before then; nil for at once
}

// Sent is the outcome of claim c accepted by the relay.
func (c Claim) Sent(messageID, reply string) Outcome {
	return Outcome{Claim: c, Status: Sent, MessageID: messageID, Reply: reply}
}

// Skipped is the outcome of claim c not sent because it is no longer
// needed, saying why.
func (c Claim) Skipped(reason string) Outcome {
	return Outcome{Claim: c, Status: Skipped, Reply: reason}
}

// Failed is the outcome of claim c given up, with the reason.
func (c Claim) Failed(reason string) Outcome {
	return Outcome{Claim: c, Status: Failed, Reply: reason}
}

// Log names one of the logs: the table of one kind of outgoing mail.
type Log byte

// The logs, by the letter that names them in a bounce address.
const (
	Deliveries        Log = 'd' // a campaign's deliveries (campaigns)
	RegistrationMails Log = 'r' // the mails about a registration (events)
	SubscriptionMails Log = 's' // opt-in, welcome and preferences link (subscribers)
)

// Valid reports whether l is one of the logs.
func (l Log) Valid() bool { return l == Deliveries || l == RegistrationMails || l == SubscriptionMails }

// Ref names one outgoing mail: the log it is in and its ID there.
type Ref struct {
	Log Log
	ID  int64
}
