-- "Anmeldeschluss naht" sent by rundbrief itself when the event file asks
-- for it (last_call: 3d): a reminder row of the kind 'deadline', due that
-- long before the registration deadline, becomes one last-call campaign
-- however often the sweep looks.

-- +goose Up
ALTER TABLE events ADD COLUMN last_call_hours integer
    CONSTRAINT events_last_call_positive CHECK (last_call_hours IS NULL OR last_call_hours > 0);
ALTER TABLE reminders ADD COLUMN kind text NOT NULL DEFAULT 'start'
    CONSTRAINT reminders_kind_valid CHECK (kind IN ('start', 'deadline'));
ALTER TABLE reminders DROP CONSTRAINT reminders_once;
ALTER TABLE reminders ADD CONSTRAINT reminders_once UNIQUE (event_id, kind, hours);
CREATE UNIQUE INDEX campaigns_last_call_once ON campaigns (event_id, reminder_hours)
    WHERE kind = 'last_call' AND reminder_hours IS NOT NULL;

-- +goose Down
DROP INDEX campaigns_last_call_once;
DELETE FROM reminders WHERE kind = 'deadline';
ALTER TABLE reminders DROP CONSTRAINT reminders_once;
ALTER TABLE reminders ADD CONSTRAINT reminders_once UNIQUE (event_id, hours);
ALTER TABLE reminders DROP COLUMN kind;
ALTER TABLE events DROP COLUMN last_call_hours;
