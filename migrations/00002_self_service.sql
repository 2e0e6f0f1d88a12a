-- Self-service on the web: the mail that sends a confirmed subscriber their
-- preferences link again, and the erasure of a subscriber recorded as a
-- suppression (the consent log goes with the subscriber; only the keyed hash
-- of the address and the time of erasure stay, in suppressions).

-- +goose Up
ALTER TABLE subscription_mails DROP CONSTRAINT subscription_mails_kind_valid;
ALTER TABLE subscription_mails ADD CONSTRAINT subscription_mails_kind_valid
    CHECK (kind IN ('optin', 'welcome', 'preferences'));

-- Counting the mails sent to one address in the last day (at most 3 opt-in
-- or link mails) reads this index.
CREATE INDEX subscription_mails_subscriber_created
    ON subscription_mails (subscriber_id, created_at);

-- The user agent is kept only with RUNDBRIEF_RECORD_IP=true, and then
-- shortened.
ALTER TABLE consent_log ADD CONSTRAINT consent_log_user_agent_length
    CHECK (user_agent IS NULL OR length(user_agent) <= 300);

-- Unconfirmed subscribers are deleted RUNDBRIEF_PENDING_TTL after their last
-- request.
CREATE INDEX subscribers_pending_updated ON subscribers (updated_at) WHERE status = 'pending';

-- +goose Down
DROP INDEX subscribers_pending_updated;
ALTER TABLE consent_log DROP CONSTRAINT consent_log_user_agent_length;
DROP INDEX subscription_mails_subscriber_created;
DELETE FROM subscription_mails WHERE kind = 'preferences';
ALTER TABLE subscription_mails DROP CONSTRAINT subscription_mails_kind_valid;
ALTER TABLE subscription_mails ADD CONSTRAINT subscription_mails_kind_valid
    CHECK (kind IN ('optin', 'welcome'));
