-- What offices keep about a contact besides name and organisation: the
-- Anrede (for "Sehr geehrte Frau Köhler"), and a note of their own. Both
-- come from staff and their import files, never from the web form.

-- +goose Up
ALTER TABLE subscribers ADD COLUMN salutation text NOT NULL DEFAULT ''
    CONSTRAINT subscribers_salutation_valid CHECK (salutation IN ('', 'ms', 'mr'));
ALTER TABLE subscribers ADD COLUMN note text NOT NULL DEFAULT ''
    CONSTRAINT subscribers_note_clean CHECK (length(note) <= 1000 AND note !~ '[[:cntrl:]]');

-- +goose Down
ALTER TABLE subscribers DROP COLUMN note;
ALTER TABLE subscribers DROP COLUMN salutation;
