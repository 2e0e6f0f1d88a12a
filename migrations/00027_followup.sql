-- A follow-up after an event (campaigns.kind 'followup'): a subject and a
-- Markdown text, with attachments (the slides), to the people marked as
-- attended (registrations.attended_at), as a mail about their
-- registration.

-- +goose Up
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_valid;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_valid
    CHECK (kind IN ('invitation', 'newsletter', 'reminder', 'update', 'cancellation', 'last_call', 'followup'));

-- +goose Down
DELETE FROM campaigns WHERE kind = 'followup';
ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_valid;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_valid
    CHECK (kind IN ('invitation', 'newsletter', 'reminder', 'update', 'cancellation', 'last_call'));
