-- One mail log (package maillog): the three tables of outgoing mail
-- (subscription_mails, registration_mails, deliveries) share one set of
-- statements to claim, lease and record a mail, so they share its
-- columns. Only deliveries had retry_at; the others get it, empty until a
-- worker defers a mail to a time of its own.

-- +goose Up
ALTER TABLE subscription_mails ADD COLUMN retry_at timestamptz;
ALTER TABLE registration_mails ADD COLUMN retry_at timestamptz;

-- +goose Down
ALTER TABLE registration_mails DROP COLUMN retry_at;
ALTER TABLE subscription_mails DROP COLUMN retry_at;
