// Package worker does rundbrief's background work on asynq, a task queue on
// Redis: it sends every mail — the subscription mails (opt-in, welcome,
// preferences link), the mails about registrations and the batches of
// campaigns — starts scheduled campaigns and reminders, and keeps the
// queue in step with PostgreSQL.
//
// PostgreSQL is the truth, Redis only carries work. Every mail is a row in
// the one mail log (package maillog) before its task exists; a handler
// claims the row before it sends and records the outcome after, so a
// retried or duplicated task never sends twice. What becomes of a failed
// send is decided by one failure policy (decide, in policy.go) for every
// kind of mail. The sweep (sweep.go) re-creates the tasks of rows that
// waited too long, so a Redis that lost its data loses no mail.
//
// The handlers only orchestrate: they load the facts from the stores, let
// package compose make the message and let package mailer send it.
//
// Scaling out is running more workers on the same Redis and PostgreSQL.
package worker

import (
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/subscribers"
)

// Task types.
const (
	// TypeOptIn sends the opt-in confirmation request owed to a subscriber.
	TypeOptIn = "email:optin"
	// TypeWelcome sends the welcome mail owed to a confirmed subscriber.
	TypeWelcome = "email:welcome"
	// TypePreferences sends a confirmed subscriber their preferences link
	// again.
	TypePreferences = "email:preferences"
	// TypePurgePending deletes the subscribers who did not confirm within
	// the pending TTL. The worker's scheduler runs it every hour.
	TypePurgePending = "subscribers:purge"
	// TypeSweep runs the sweep's steps (see sweepSteps): it re-creates the
	// tasks of mails whose task was lost and starts the campaigns and
	// reminders whose time has come. The worker's scheduler runs it every
	// minute. Its wire name is the one it had as the requeue, so that a
	// queue that holds one still finds a handler.
	TypeSweep = "mail:requeue"
	// TypeDeliver sends the due deliveries of one batch of a campaign. Its
	// payload is a campaigns.BatchRef: the campaign and the batch number.
	TypeDeliver = "campaign:deliver"
	// TypeStartCampaign starts a scheduled campaign: it writes the
	// deliveries and queues their batches.
	TypeStartCampaign = "campaign:start"
)

// CampaignPayload is the payload of TypeStartCampaign.
type CampaignPayload struct {
	CampaignID int64 `json:"campaign_id"`
}

// NewDeliverTask returns the task that sends the due deliveries of b.
func NewDeliverTask(b campaigns.BatchRef) (*asynq.Task, error) {
	if b.CampaignID <= 0 || b.Batch < 0 {
		return nil, fmt.Errorf("worker: %s task for campaign %d batch %d", TypeDeliver, b.CampaignID, b.Batch)
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return asynq.NewTask(TypeDeliver, payload), nil
}

// NewStartCampaignTask returns the task that starts campaign id.
func NewStartCampaignTask(id int64) (*asynq.Task, error) {
	if id <= 0 {
		return nil, fmt.Errorf("worker: %s task for campaign %d", TypeStartCampaign, id)
	}
	payload, err := json.Marshal(CampaignPayload{CampaignID: id})
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return asynq.NewTask(TypeStartCampaign, payload), nil
}

// batchTaskID makes the task of a batch unique in the queue, so that
// re-queueing a batch whose task still waits is a no-op.
func batchTaskID(b campaigns.BatchRef) string {
	return fmt.Sprintf("campaign:%d:batch:%d", b.CampaignID, b.Batch)
}

// CampaignQueue is the asynq queue of campaign work in namespace. It runs
// after the subscription mail queue, so that an opt-in mail does not wait
// behind a campaign of thousands.
func CampaignQueue(namespace string) string { return namespace + ":campaigns" }

// SubscriberPayload is the payload of the mail tasks: an ID, nothing more.
// Everything else is read from PostgreSQL when the task runs, so a task
// never sends stale data.
type SubscriberPayload struct {
	SubscriberID int64 `json:"subscriber_id"`
}

// NewOptInTask returns the task that sends subscriber id their opt-in mail.
func NewOptInTask(id int64) (*asynq.Task, error) { return newSubscriberTask(TypeOptIn, id) }

// NewWelcomeTask returns the task that sends subscriber id their welcome
// mail.
func NewWelcomeTask(id int64) (*asynq.Task, error) { return newSubscriberTask(TypeWelcome, id) }

func newSubscriberTask(typ string, id int64) (*asynq.Task, error) {
	if id <= 0 {
		return nil, fmt.Errorf("worker: %s task for subscriber %d", typ, id)
	}
	payload, err := json.Marshal(SubscriberPayload{SubscriberID: id})
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return asynq.NewTask(typ, payload), nil
}

// taskType is the task that sends a subscription mail of kind.
func taskType(kind subscribers.MailKind) (string, error) {
	switch kind {
	case subscribers.MailOptIn:
		return TypeOptIn, nil
	case subscribers.MailWelcome:
		return TypeWelcome, nil
	case subscribers.MailPreferences:
		return TypePreferences, nil
	}
	return "", fmt.Errorf("worker: no task for mail kind %q", kind)
}

// mailKind is the kind of subscription mail a task type sends.
func mailKind(typ string) (subscribers.MailKind, bool) {
	switch typ {
	case TypeOptIn:
		return subscribers.MailOptIn, true
	case TypeWelcome:
		return subscribers.MailWelcome, true
	case TypePreferences:
		return subscribers.MailPreferences, true
	}
	return "", false
}

// taskID makes the task of one mail row unique in the queue: enqueueing it
// again while it waits or retries is a no-op.
func taskID(ref subscribers.MailRef) string {
	return fmt.Sprintf("%s:%d", ref.Kind, ref.ID)
}

// MailQueue is the asynq queue of subscription mail in namespace.
func MailQueue(namespace string) string { return namespace + ":mail" }
