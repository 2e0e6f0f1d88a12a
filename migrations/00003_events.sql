-- Events the KNF runs or invites to: when and where, for whom, and whether
-- people register. Times are timestamptz and shown in Europe/Berlin.

-- +goose Up
CREATE TABLE events (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug                  text NOT NULL
                          CONSTRAINT events_slug_unique UNIQUE
                          CONSTRAINT events_slug_format CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,59}$'),
    title                 text NOT NULL
                          CONSTRAINT events_title_set CHECK (btrim(title) <> '' AND length(title) <= 200 AND title !~ '[[:cntrl:]]'),
    -- Markdown; line breaks allowed.
    description           text NOT NULL DEFAULT ''
                          CONSTRAINT events_description_length CHECK (length(description) <= 20000),
    starts_at             timestamptz NOT NULL,
    ends_at               timestamptz NOT NULL,
    place_name            text NOT NULL DEFAULT ''
                          CONSTRAINT events_place_name_clean CHECK (length(place_name) <= 200 AND place_name !~ '[[:cntrl:]]'),
    place_address         text NOT NULL DEFAULT ''
                          CONSTRAINT events_place_address_clean CHECK (length(place_address) <= 300 AND place_address !~ '[[:cntrl:]]'),
    online_url            text NOT NULL DEFAULT ''
                          CONSTRAINT events_online_url_format CHECK (online_url = '' OR online_url ~ '^https?://[^[:space:][:cntrl:]]+$'),
    organiser             text NOT NULL DEFAULT ''
                          CONSTRAINT events_organiser_clean CHECK (length(organiser) <= 200 AND organiser !~ '[[:cntrl:]]'),
    partners              text[] NOT NULL DEFAULT '{}',
    audience_kinds        text[] NOT NULL DEFAULT '{}'
                          CONSTRAINT events_audience_kinds_valid CHECK (audience_kinds <@ ARRAY['company', 'school', 'family', 'other']),
    capacity              integer
                          CONSTRAINT events_capacity_positive CHECK (capacity IS NULL OR capacity > 0),
    registration          boolean NOT NULL DEFAULT false,
    registration_deadline timestamptz,
    -- Hours before the start at which reminders go out (next stage).
    reminder_hours        integer[] NOT NULL DEFAULT '{168,24}'
                          CONSTRAINT events_reminder_hours_positive CHECK (0 < ALL (reminder_hours)),
    status                text NOT NULL DEFAULT 'draft'
                          CONSTRAINT events_status_valid CHECK (status IN ('draft', 'published', 'cancelled')),
    -- iCalendar SEQUENCE: raised when time or place change.
    sequence              integer NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT events_ends_after_start CHECK (ends_at > starts_at),
    CONSTRAINT events_has_place CHECK (place_name <> '' OR online_url <> ''),
    CONSTRAINT events_deadline_before_start CHECK (registration_deadline IS NULL OR registration_deadline <= starts_at)
);

CREATE INDEX events_starts_at ON events (starts_at);

-- The topics of an event's audience.
CREATE TABLE event_topics (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    topic    text   NOT NULL REFERENCES topics (slug) ON UPDATE CASCADE ON DELETE RESTRICT,
    PRIMARY KEY (event_id, topic)
);

-- +goose Down
DROP TABLE event_topics;
DROP TABLE events;
