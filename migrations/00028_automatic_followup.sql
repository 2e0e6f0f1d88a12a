-- The follow-up an event file asks for (nachbereitung:) is created by the
-- worker once the time after the event has come: a campaign of kind
-- 'followup' with reminder_hours set to the hours after the end. Only one
-- may exist per event, however many workers look; a follow-up staff
-- create by hand has no hours and is not limited.

-- +goose Up
CREATE UNIQUE INDEX campaigns_followup_once ON campaigns (event_id) WHERE kind = 'followup' AND reminder_hours IS NOT NULL;

-- +goose Down
DROP INDEX campaigns_followup_once;
