-- A follow-up invitation reaches only those the earlier invitations to
-- the same event have not reached: people who confirmed since, or who
-- joined the audience. A failed, bounced or skipped delivery did not
-- reach its recipient; a queued, sending or sent one did (or will).

-- +goose Up
ALTER TABLE campaigns ADD COLUMN new_only boolean NOT NULL DEFAULT false;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_new_only_invitation CHECK (NOT new_only OR kind = 'invitation');

-- +goose Down
ALTER TABLE campaigns DROP COLUMN new_only;
