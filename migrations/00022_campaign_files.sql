-- The files a campaign carries: attachments (a programme PDF, a flyer)
-- and the pictures of a newsletter, which its HTML shows by Content-ID
-- (inline, RFC 2392) so that nothing is fetched from a server when the
-- mail is opened. Checked when they are added (types, sizes, pictures
-- scaled down); stored once and encoded once per campaign and language.

-- +goose Up
CREATE TABLE campaign_files (
    campaign_id  bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    name         text NOT NULL
                 CONSTRAINT campaign_files_name_valid CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    content_type text NOT NULL
                 CONSTRAINT campaign_files_type_valid
                 CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png', 'text/calendar')),
    -- A picture the HTML shows: its Content-ID without angle brackets;
    -- '' for an attachment.
    content_id   text NOT NULL DEFAULT '',
    alt          text NOT NULL DEFAULT '',
    width        integer NOT NULL DEFAULT 0,
    height       integer NOT NULL DEFAULT 0,
    data         bytea NOT NULL
                 CONSTRAINT campaign_files_size CHECK (length(data) BETWEEN 1 AND 5242880),
    PRIMARY KEY (campaign_id, position),
    CONSTRAINT campaign_files_picture CHECK (content_id = '' OR content_type IN ('image/jpeg', 'image/png'))
);

-- +goose Down
DROP TABLE campaign_files;
