-- Registration from the public event page, the event's questions, and
-- groups:
--  * registrations.status 'requested': someone asked on the public page
--    and has not yet confirmed by the link mailed to them. A request holds
--    no place; places are given when it is confirmed, in the order of
--    confirmation. Requests not confirmed in time are deleted.
--  * registrations.answers: the answers to the event's questions (those
--    asked once, and per person the name and the answers asked of each),
--    one JSON object whose shape package events owns (Answers). Cleared
--    when the registration is cancelled, deleted with it.
--  * registration_mails.kind 'requested' (confirm your registration) and
--    'link' (you are registered already; here is your link).
--  * events.party_max up to 500: a school registers a class.

-- +goose Up
ALTER TABLE registrations ADD COLUMN answers jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT registrations_answers_object CHECK (jsonb_typeof(answers) = 'object' AND length(answers::text) <= 400000);
ALTER TABLE registrations DROP CONSTRAINT registrations_status_valid;
ALTER TABLE registrations ADD CONSTRAINT registrations_status_valid
    CHECK (status IN ('requested', 'registered', 'waiting', 'cancelled'));
CREATE INDEX registrations_requested ON registrations (updated_at) WHERE status = 'requested';
ALTER TABLE registration_mails DROP CONSTRAINT registration_mails_kind_valid;
ALTER TABLE registration_mails ADD CONSTRAINT registration_mails_kind_valid
    CHECK (kind IN ('requested', 'link', 'registered', 'waiting', 'moved_up', 'cancelled'));
ALTER TABLE events DROP CONSTRAINT events_party_max_range;
ALTER TABLE events ADD CONSTRAINT events_party_max_range CHECK (party_max BETWEEN 1 AND 500);

-- +goose Down
UPDATE events SET party_max = 50 WHERE party_max > 50;
ALTER TABLE events DROP CONSTRAINT events_party_max_range;
ALTER TABLE events ADD CONSTRAINT events_party_max_range CHECK (party_max BETWEEN 1 AND 50);
DELETE FROM registration_mails WHERE kind IN ('requested', 'link');
ALTER TABLE registration_mails DROP CONSTRAINT registration_mails_kind_valid;
ALTER TABLE registration_mails ADD CONSTRAINT registration_mails_kind_valid
    CHECK (kind IN ('registered', 'waiting', 'moved_up', 'cancelled'));
DROP INDEX registrations_requested;
DELETE FROM registrations WHERE status = 'requested';
ALTER TABLE registrations DROP CONSTRAINT registrations_status_valid;
ALTER TABLE registrations ADD CONSTRAINT registrations_status_valid
    CHECK (status IN ('registered', 'waiting', 'cancelled'));
ALTER TABLE registrations DROP COLUMN answers;
