-- Bounces and complaints that came back by mail: a delivery status
-- notification (RFC 3464) or a complaint (ARF, RFC 5965) read from the
-- bounce mailbox or handed over by the relay, matched to the mail it is
-- about by the signed envelope sender (VERP). Only the class and the
-- status code are kept, never the report's text, which names addresses.

-- +goose Up
CREATE TABLE bounces (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    -- The mail it is about: 'd' a campaign's delivery, 'r' a registration
    -- mail, 's' a subscription mail; and its ID in that log.
    mail_kind     text NOT NULL CONSTRAINT bounces_mail_kind_valid CHECK (mail_kind IN ('d', 'r', 's')),
    mail_id       bigint NOT NULL,
    class         text NOT NULL CONSTRAINT bounces_class_valid CHECK (class IN ('hard', 'soft', 'policy', 'complaint')),
    -- The enhanced status code (RFC 3463) such as 5.1.1; '' for a complaint.
    status        text NOT NULL DEFAULT '' CONSTRAINT bounces_status_format CHECK (status ~ '^([245]\.[0-9]{1,3}\.[0-9]{1,3})?$'),
    received_at   timestamptz NOT NULL DEFAULT now(),
    -- A report read twice (a relay that sends it again, a mailbox read
    -- by two workers) counts once.
    CONSTRAINT bounces_once UNIQUE (mail_kind, mail_id, class)
);

CREATE INDEX bounces_subscriber ON bounces (subscriber_id, received_at);
CREATE INDEX bounces_received ON bounces (received_at);

ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired', 'details_changed', 'email_changed', 'complained'));

-- +goose Down
DELETE FROM consent_log WHERE action = 'complained';
ALTER TABLE consent_log DROP CONSTRAINT consent_log_action_valid;
ALTER TABLE consent_log ADD CONSTRAINT consent_log_action_valid
    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced',
                      'contact', 'optin_expired', 'details_changed', 'email_changed'));
DROP TABLE bounces;
