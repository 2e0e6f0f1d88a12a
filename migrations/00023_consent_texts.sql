-- The wording of each version of the consent on the subscription form, as
-- people saw it: the consent log names the version a person agreed to,
-- and this table says what that version said. A version's wording never
-- changes; a new wording needs a new version (rundbrief texts check).

-- +goose Up
CREATE TABLE consent_texts (
    version    text NOT NULL CONSTRAINT consent_texts_version_valid CHECK (version ~ '^[A-Za-z0-9._-]{1,40}$'),
    lang       text NOT NULL CONSTRAINT consent_texts_lang_valid CHECK (lang IN ('de', 'en')),
    text       text NOT NULL CONSTRAINT consent_texts_text_valid CHECK (length(text) BETWEEN 1 AND 5000),
    first_used timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version, lang)
);

-- +goose Down
DROP TABLE consent_texts;
