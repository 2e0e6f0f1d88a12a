-- Names, organisations and the words of an event hold no bidirectional
-- controls and no invisible characters (the rule of internal/plain): they
-- make a name read other than it is, in pages, mails, the CLI and CSV
-- files. NOT VALID: the rule holds for every row written from now on,
-- without refusing to upgrade a database that holds such a row already.

-- +goose Up
ALTER TABLE subscribers ADD CONSTRAINT subscribers_name_visible
    CHECK (name !~ '[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\U000E0000-\U000E007F]') NOT VALID;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_organisation_visible
    CHECK (organisation !~ '[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\U000E0000-\U000E007F]') NOT VALID;
ALTER TABLE events ADD CONSTRAINT events_words_visible
    CHECK (title || place_name || place_address || organiser
           !~ '[\u061C\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\U000E0000-\U000E007F]') NOT VALID;

-- +goose Down
ALTER TABLE events DROP CONSTRAINT events_words_visible;
ALTER TABLE subscribers DROP CONSTRAINT subscribers_organisation_visible;
ALTER TABLE subscribers DROP CONSTRAINT subscribers_name_visible;
