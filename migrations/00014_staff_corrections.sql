-- Staff correct a subscriber from the CLI (rundbrief subscribers update):
-- the consent log records that, and what changed, by the fields' names
-- (not their values, which the subscriber row holds): 'details_changed'
-- for name, organisation, kind, language or phone, 'email_changed' for a
-- new address, which needs a new confirmation unless staff attest it.

-- The office asking contacts it knows for consent (an import or an entry
-- by staff without attested consent) is its own source, 'request': their
-- opt-in mail is a request for permission, worded for them.

-- +goose Up
ALTER TABLE consent_log DROP CONSTRAINT consent_log_source_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_source_valid CHECK (source IN ('web', 'import', 'staff', 'system', 'request'));
ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired', 'details_changed', 'email_changed'));

-- +goose Down
UPDATE consent_log SET source = 'import' WHERE source = 'request';
ALTER TABLE consent_log DROP CONSTRAINT consent_log_source_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_source_valid CHECK (source IN ('web', 'import', 'staff', 'system'));
DELETE FROM consent_log WHERE action IN ('details_changed', 'email_changed');
ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired'));
