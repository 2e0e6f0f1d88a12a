-- "Anmeldeschluss naht": a campaign about an event to those its
-- invitations reached who have not registered, before the deadline.

-- +goose Up
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_valid;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_valid
    CHECK (kind IN ('invitation', 'newsletter', 'reminder', 'update', 'cancellation', 'last_call'));

-- +goose Down
DELETE FROM campaigns WHERE kind = 'last_call';
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_valid;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_valid
    CHECK (kind IN ('invitation', 'newsletter', 'reminder', 'update', 'cancellation'));
