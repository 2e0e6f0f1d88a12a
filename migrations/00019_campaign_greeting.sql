-- How a campaign greets: 'formal' uses the Anrede where it is known
-- ("Sehr geehrte Frau Köhler,"), 'neutral' greets everyone by name
-- ("Guten Tag Sabine Köhler,").

-- +goose Up
ALTER TABLE campaigns ADD COLUMN greeting text NOT NULL DEFAULT 'formal'
    CONSTRAINT campaigns_greeting_valid CHECK (greeting IN ('formal', 'neutral'));

-- +goose Down
ALTER TABLE campaigns DROP COLUMN greeting;
