-- The mailbox an address delivers to, for the limit on opt-in and link
-- mails a day: "bomb+1@example.org" and "bomb+2@example.org" are two
-- subscribers but one inbox, and the limit counts the inbox.

-- +goose Up
ALTER TABLE subscribers ADD COLUMN mailbox_key text
    GENERATED ALWAYS AS (regexp_replace(lower(email), '\+[^@]*@', '@')) STORED;
CREATE INDEX subscribers_mailbox_key ON subscribers (mailbox_key);

-- +goose Down
DROP INDEX subscribers_mailbox_key;
ALTER TABLE subscribers DROP COLUMN mailbox_key;
