-- Staff correct a subscriber from the CLI (rundbrief subscribers update):
-- the consent log records that, and what changed, by the fields' names
-- (not their values, which the subscriber row holds): 'details_changed'
-- for name, organisation, kind, language or phone, 'email_changed' for a
-- new address, which needs a new confirmation unless staff attest it.

-- +goose Up
ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired', 'details_changed', 'email_changed'));

-- +goose Down
DELETE FROM consent_log WHERE action IN ('details_changed', 'email_changed');
ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired'));
