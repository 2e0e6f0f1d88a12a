-- A calendar UID that is unique everywhere: a random value stored with the
-- event, not "event-<row id>@domain", which a second installation or a
-- restored database would repeat. Events that exist keep the UID their
-- invitations carried (uid empty: the old form), so that their updates and
-- cancellations still replace the entries in people's calendars.

-- +goose Up
ALTER TABLE events ADD COLUMN uid text NOT NULL DEFAULT '';
ALTER TABLE events ALTER COLUMN uid SET DEFAULT gen_random_uuid()::text;

-- +goose Down
ALTER TABLE events DROP COLUMN uid;
