-- Subscribers, their topics, the consent log, the suppression list and the
-- mails about a subscription (opt-in, welcome). Constraints live here, not
-- only in Go: whatever writes to these tables, the rules hold.

-- +goose Up
CREATE TABLE topics (
    slug       text PRIMARY KEY
               CONSTRAINT topics_slug_format CHECK (slug ~ '^[a-z][a-z0-9-]{1,39}$'),
    title_de   text NOT NULL
               CONSTRAINT topics_title_de_set CHECK (btrim(title_de) <> '' AND title_de !~ '[[:cntrl:]]'),
    title_en   text NOT NULL
               CONSTRAINT topics_title_en_set CHECK (btrim(title_en) <> '' AND title_en !~ '[[:cntrl:]]'),
    created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO topics (slug, title_de, title_en) VALUES
    ('ausbildung',      'Berufsausbildung',                      'Vocational training'),
    ('kinderbetreuung', 'Kinderbetreuung',                       'Childcare'),
    ('oepnv',           'Nahverkehr und Jobticket',              'Public transport and job ticket'),
    ('fachkraefte',     'Fachkräfte gewinnen und halten',        'Recruiting and keeping skilled workers'),
    ('jugend',          'Angebote für Kinder und Jugendliche',   'Offers for children and young people'),
    ('veranstaltungen', 'Alle Veranstaltungen',                  'All events');

CREATE TABLE subscribers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The address as it is sent to: local part as given, domain in lower case.
    email           text NOT NULL
                    CONSTRAINT subscribers_email_format
                    CHECK (email ~ '^[^@[:space:][:cntrl:]]{1,64}@[^@[:space:][:cntrl:]]+\.[^@[:space:][:cntrl:]]+$'
                           AND length(email) <= 254),
    -- The address as it is matched: case-insensitive, one subscriber per address.
    email_key       text GENERATED ALWAYS AS (lower(email)) STORED
                    CONSTRAINT subscribers_email_unique UNIQUE,
    name            text NOT NULL DEFAULT ''
                    CONSTRAINT subscribers_name_clean CHECK (length(name) <= 200 AND name !~ '[[:cntrl:]]'),
    organisation    text NOT NULL DEFAULT ''
                    CONSTRAINT subscribers_organisation_clean CHECK (length(organisation) <= 200 AND organisation !~ '[[:cntrl:]]'),
    kind            text NOT NULL
                    CONSTRAINT subscribers_kind_valid CHECK (kind IN ('company', 'school', 'family', 'other')),
    language        text NOT NULL DEFAULT 'de'
                    CONSTRAINT subscribers_language_valid CHECK (language IN ('de', 'en')),
    status          text NOT NULL DEFAULT 'pending'
                    CONSTRAINT subscribers_status_valid CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    unsubscribed_at timestamptz,
    bounced_at      timestamptz,
    CONSTRAINT subscribers_confirmed_at_set CHECK (status <> 'confirmed' OR confirmed_at IS NOT NULL)
);

CREATE INDEX subscribers_status_kind ON subscribers (status, kind);

CREATE TABLE subscriber_topics (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    topic         text   NOT NULL REFERENCES topics (slug) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, topic)
);

CREATE INDEX subscriber_topics_topic ON subscriber_topics (topic, subscriber_id);

-- Proof of consent (DSGVO Art. 7(1)): who subscribed when, how, and what
-- became of it. Rows go when their subscriber is erased.
CREATE TABLE consent_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id   bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    at              timestamptz NOT NULL DEFAULT now(),
    action          text NOT NULL
                    CONSTRAINT consent_log_action_valid
                    CHECK (action IN ('subscribed', 'optin_sent', 'confirmed', 'topics_changed', 'unsubscribed', 'bounced')),
    source          text NOT NULL
                    CONSTRAINT consent_log_source_valid CHECK (source IN ('web', 'import', 'staff', 'system')),
    wording_version text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '' CONSTRAINT consent_log_note_length CHECK (length(note) <= 1000),
    message_id      text NOT NULL DEFAULT '',
    ip              inet,
    user_agent      text
);

CREATE INDEX consent_log_subscriber ON consent_log (subscriber_id, at);

-- Addresses that must never be mailed or imported again, kept only as a keyed
-- hash (HMAC-SHA-256 of the lower-cased address with a key derived from
-- RUNDBRIEF_SECRET), so the list holds no address in clear.
CREATE TABLE suppressions (
    address_hash bytea PRIMARY KEY
                 CONSTRAINT suppressions_hash_length CHECK (length(address_hash) = 32),
    reason       text NOT NULL
                 CONSTRAINT suppressions_reason_valid CHECK (reason IN ('bounced', 'complaint', 'erased', 'staff')),
    detail       text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Mails about a subscription (opt-in confirmation, welcome). A row exists
-- before its task is queued; the worker claims it with a conditional UPDATE,
-- so a lost queue is rebuilt from here and a retried task never sends twice.
CREATE TABLE subscription_mails (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          text NOT NULL
                  CONSTRAINT subscription_mails_kind_valid CHECK (kind IN ('optin', 'welcome')),
    status        text NOT NULL DEFAULT 'queued'
                  CONSTRAINT subscription_mails_status_valid
                  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')),
    attempts      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    claimed_at    timestamptz,
    finished_at   timestamptz,
    message_id    text NOT NULL DEFAULT '',
    reply         text NOT NULL DEFAULT '',
    CONSTRAINT subscription_mails_claimed CHECK (status <> 'sending' OR claimed_at IS NOT NULL)
);

-- At most one open mail of a kind per subscriber.
CREATE UNIQUE INDEX subscription_mails_one_open
    ON subscription_mails (subscriber_id, kind) WHERE status IN ('queued', 'sending');
CREATE INDEX subscription_mails_open
    ON subscription_mails (created_at) WHERE status IN ('queued', 'sending');

-- +goose Down
DROP TABLE subscription_mails;
DROP TABLE suppressions;
DROP TABLE consent_log;
DROP TABLE subscriber_topics;
DROP TABLE subscribers;
DROP TABLE topics;
