-- Reminders, updates and cancellations of events, sent as campaigns; and
-- the reminders due per event, kept here so that a restart or a lost Redis
-- neither loses nor doubles one.

-- +goose Up
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_valid;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_valid
    CHECK (kind IN ('invitation', 'newsletter', 'reminder', 'update', 'cancellation'));
ALTER TABLE campaigns DROP CONSTRAINT campaigns_invitation_event;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_event CHECK ((kind = 'newsletter') = (event_id IS NULL));
-- A reminder says how long before the start it goes out; an update or a
-- cancellation carries what changed, or the reason.
ALTER TABLE campaigns ADD COLUMN reminder_hours integer;
ALTER TABLE campaigns ADD COLUMN note text NOT NULL DEFAULT ''
    CONSTRAINT campaigns_note_length CHECK (length(note) <= 2000);
-- Who a campaign about an event goes to: the registered people, or the
-- event's audience.
ALTER TABLE campaigns ADD COLUMN to_registered boolean NOT NULL DEFAULT false;

CREATE TABLE reminders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    hours       integer NOT NULL CONSTRAINT reminders_hours_positive CHECK (hours > 0),
    due_at      timestamptz NOT NULL,
    -- pending: not yet due or not yet started; sent: its campaign exists;
    -- skipped: the event was cancelled or the time had passed.
    status      text NOT NULL DEFAULT 'pending'
                CONSTRAINT reminders_status_valid CHECK (status IN ('pending', 'sent', 'skipped')),
    campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reminders_once UNIQUE (event_id, hours)
);

CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE reminders;
ALTER TABLE campaigns DROP COLUMN to_registered;
ALTER TABLE campaigns DROP COLUMN note;
ALTER TABLE campaigns DROP COLUMN reminder_hours;
DELETE FROM campaigns WHERE kind NOT IN ('invitation', 'newsletter');
ALTER TABLE campaigns DROP CONSTRAINT campaigns_event;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_invitation_event CHECK ((kind = 'invitation') = (event_id IS NOT NULL));
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_valid;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_valid CHECK (kind IN ('invitation', 'newsletter'));
