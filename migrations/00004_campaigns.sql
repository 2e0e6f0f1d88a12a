-- Campaigns (an invitation to an event, a newsletter) and their delivery
-- log: one row per campaign and recipient, written before any task exists,
-- claimed with a conditional UPDATE before the mail is sent and closed with
-- the relay's reply. Redis only carries work; this table is the truth.

-- +goose Up
CREATE TABLE campaigns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL
                    CONSTRAINT campaigns_kind_valid CHECK (kind IN ('invitation', 'newsletter')),
    event_id        bigint REFERENCES events (id) ON DELETE RESTRICT,
    -- A newsletter's own subject and Markdown body, German and (optionally)
    -- English. An invitation takes its words from its event.
    subject         text NOT NULL DEFAULT ''
                    CONSTRAINT campaigns_subject_clean CHECK (length(subject) <= 200 AND subject !~ '[[:cntrl:]]'),
    body            text NOT NULL DEFAULT ''
                    CONSTRAINT campaigns_body_length CHECK (length(body) <= 100000),
    subject_en      text NOT NULL DEFAULT ''
                    CONSTRAINT campaigns_subject_en_clean CHECK (length(subject_en) <= 200 AND subject_en !~ '[[:cntrl:]]'),
    body_en         text NOT NULL DEFAULT ''
                    CONSTRAINT campaigns_body_en_length CHECK (length(body_en) <= 100000),
    -- The audience: kinds × topics; an empty list means all.
    audience_kinds  text[] NOT NULL DEFAULT '{}'
                    CONSTRAINT campaigns_audience_kinds_valid CHECK (audience_kinds <@ ARRAY['company', 'school', 'family', 'other']),
    audience_topics text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'draft'
                    CONSTRAINT campaigns_status_valid
                    CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled')),
    send_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    CONSTRAINT campaigns_invitation_event CHECK ((kind = 'invitation') = (event_id IS NOT NULL)),
    CONSTRAINT campaigns_newsletter_content CHECK (kind <> 'newsletter' OR (btrim(subject) <> '' AND btrim(body) <> '')),
    CONSTRAINT campaigns_scheduled_at CHECK (status <> 'scheduled' OR send_at IS NOT NULL)
);

CREATE INDEX campaigns_scheduled ON campaigns (send_at) WHERE status = 'scheduled';

CREATE TABLE deliveries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id    bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    -- Erasing a subscriber erases their deliveries too.
    subscriber_id  bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    -- The task that carries this delivery: deliveries of one batch share a
    -- task, so a lost task is re-created under the same ID.
    batch          integer NOT NULL,
    -- Why this person got the campaign: their kind and the topics they
    -- shared with the audience when it was sent.
    matched_kind   text NOT NULL,
    matched_topics text[] NOT NULL DEFAULT '{}',
    status         text NOT NULL DEFAULT 'queued'
                   CONSTRAINT deliveries_status_valid
                   CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped', 'cancelled')),
    -- Claims so far; the fencing token of the current claim.
    attempts       integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- A delivery that failed for now waits until then.
    retry_at       timestamptz,
    claimed_at     timestamptz,
    finished_at    timestamptz,
    message_id     text NOT NULL DEFAULT '',
    reply          text NOT NULL DEFAULT '',
    CONSTRAINT deliveries_once UNIQUE (campaign_id, subscriber_id),
    CONSTRAINT deliveries_claimed CHECK (status <> 'sending' OR claimed_at IS NOT NULL)
);

-- Progress counts and "is the campaign done?" read this index.
CREATE INDEX deliveries_campaign_status ON deliveries (campaign_id, status);
-- The requeue of lost tasks reads the open deliveries only.
CREATE INDEX deliveries_open ON deliveries (campaign_id, batch) WHERE status IN ('queued', 'sending');
-- "Why did I get this?" and erasure read a subscriber's deliveries.
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE campaigns;
