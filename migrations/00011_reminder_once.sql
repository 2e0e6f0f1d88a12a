-- A reminder of an event becomes one campaign, however often the sweep
-- looks: the reminders (owned by events) and the campaigns are written by
-- two packages now, each in its own transaction, so the campaigns table
-- itself refuses a second reminder campaign for the same event and
-- offset, and a sweep after a crash finds the first one again.

-- +goose Up
CREATE UNIQUE INDEX campaigns_reminder_once ON campaigns (event_id, reminder_hours) WHERE kind = 'reminder';

-- +goose Down
DROP INDEX campaigns_reminder_once;
