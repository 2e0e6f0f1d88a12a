-- The newsletter archive (/rundbrief): staff choose per campaign whether
-- it is shown there once sent: newsletters are by default, invitations
-- may be (the archive then links to the event's page).

-- +goose Up
ALTER TABLE campaigns ADD COLUMN archive boolean NOT NULL DEFAULT false
    CONSTRAINT campaigns_archive_kind CHECK (NOT archive OR kind IN ('newsletter', 'invitation'));
CREATE INDEX campaigns_archive ON campaigns (started_at DESC) WHERE archive;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN archive;
