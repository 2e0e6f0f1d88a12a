-- The mails about a registration (confirmation, waitlist, moved up,
-- cancellation received). As with every mail, the row exists before its
-- task; a worker claims it with a conditional UPDATE. A newer mail about
-- the same registration replaces one still waiting.

-- +goose Up
CREATE TABLE registration_mails (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    registration_id bigint NOT NULL REFERENCES registrations (id) ON DELETE CASCADE,
    kind            text NOT NULL
                    CONSTRAINT registration_mails_kind_valid CHECK (kind IN ('registered', 'waiting', 'moved_up', 'cancelled')),
    status          text NOT NULL DEFAULT 'queued'
                    CONSTRAINT registration_mails_status_valid
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')),
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,
    finished_at     timestamptz,
    message_id      text NOT NULL DEFAULT '',
    reply           text NOT NULL DEFAULT '',
    CONSTRAINT registration_mails_claimed CHECK (status <> 'sending' OR claimed_at IS NOT NULL)
);

-- At most one waiting mail per registration: the newest state wins.
CREATE UNIQUE INDEX registration_mails_one_queued ON registration_mails (registration_id) WHERE status = 'queued';
CREATE INDEX registration_mails_open ON registration_mails (created_at) WHERE status IN ('queued', 'sending');

-- +goose Down
DROP TABLE registration_mails;
