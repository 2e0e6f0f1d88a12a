-- Contacts who only registered for an event (by phone, by staff, later on
-- the public page) are not subscribers: an event registration is a
-- contract for that event, not consent to the newsletter. They get the
-- status 'contact', which no audience selects, so they receive only the
-- mails about their registration. A pending subscriber whose opt-in
-- expired while they hold a registration becomes a contact instead of
-- being deleted with it. Staff may keep a phone number, for the sign-in
-- sheet and for calling back.
--
-- Registrations go RUNDBRIEF_REGISTRATION_TTL after their event ends; the
-- event keeps the figures (registered parties and people, and those who
-- waited) for the office's reports.

-- +goose Up
ALTER TABLE subscribers DROP CONSTRAINT subscribers_status_valid;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_status_valid
    CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'contact'));
ALTER TABLE subscribers ADD COLUMN phone text NOT NULL DEFAULT ''
    CONSTRAINT subscribers_phone_clean CHECK (length(phone) <= 40 AND phone !~ '[[:cntrl:]]');

ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired'));

CREATE INDEX subscribers_contact_updated ON subscribers (updated_at) WHERE status = 'contact';

ALTER TABLE events ADD COLUMN registrations_purged_at timestamptz;
ALTER TABLE events ADD COLUMN figures_registrations integer;
ALTER TABLE events ADD COLUMN figures_people integer;
ALTER TABLE events ADD COLUMN figures_waiting integer;

-- +goose Down
ALTER TABLE events DROP COLUMN figures_waiting;
ALTER TABLE events DROP COLUMN figures_people;
ALTER TABLE events DROP COLUMN figures_registrations;
ALTER TABLE events DROP COLUMN registrations_purged_at;
DROP INDEX subscribers_contact_updated;
DELETE FROM consent_log WHERE action IN ('contact', 'optin_expired');
ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced'));
ALTER TABLE subscribers DROP COLUMN phone;
UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = now() WHERE status = 'contact';
ALTER TABLE subscribers DROP CONSTRAINT subscribers_status_valid;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_status_valid
    CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced'));
