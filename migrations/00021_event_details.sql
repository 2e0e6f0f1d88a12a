-- What the mails and pages say about an event beyond its facts, and what
-- a campaign adds of its own:
--  * events.details: the English title and description, whom the event
--    is for in people's words ("Jugendliche von 12 bis 18 Jahren"), the
--    contact person, and the sessions of an event over several days. It
--    is read whole with the event and queried by nothing, so it is one
--    JSON object whose shape package events owns (eventDetails).
--  * campaigns.intro, intro_en: an invitation's paragraph above the facts
--    ("Liebe Eltern, …"); its own subject goes into subject, subject_en.

-- +goose Up
ALTER TABLE events ADD COLUMN details jsonb NOT NULL DEFAULT '{}'
    CONSTRAINT events_details_object CHECK (jsonb_typeof(details) = 'object' AND length(details::text) <= 100000);
ALTER TABLE campaigns ADD COLUMN intro text NOT NULL DEFAULT ''
    CONSTRAINT campaigns_intro_length CHECK (length(intro) <= 2000);
ALTER TABLE campaigns ADD COLUMN intro_en text NOT NULL DEFAULT ''
    CONSTRAINT campaigns_intro_en_length CHECK (length(intro_en) <= 2000);

-- +goose Down
ALTER TABLE campaigns DROP COLUMN intro_en;
ALTER TABLE campaigns DROP COLUMN intro;
ALTER TABLE events DROP COLUMN details;
