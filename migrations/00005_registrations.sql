-- Registrations for events: who comes with how many people, and who waits.
-- The waitlist is first come, first served: waiting_since orders it.

-- +goose Up
ALTER TABLE events ADD COLUMN party_max integer NOT NULL DEFAULT 4
    CONSTRAINT events_party_max_range CHECK (party_max BETWEEN 1 AND 50);

CREATE TABLE registrations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- Erasing a subscriber erases their registrations.
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    people        integer NOT NULL CONSTRAINT registrations_people_positive CHECK (people >= 1),
    status        text NOT NULL
                  CONSTRAINT registrations_status_valid CHECK (status IN ('registered', 'waiting', 'cancelled')),
    source        text NOT NULL
                  CONSTRAINT registrations_source_valid CHECK (source IN ('web', 'staff')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- When the person joined the waitlist; the order of the waitlist.
    waiting_since timestamptz,
    cancelled_at  timestamptz,
    CONSTRAINT registrations_once UNIQUE (event_id, subscriber_id),
    CONSTRAINT registrations_waiting_since CHECK (status <> 'waiting' OR waiting_since IS NOT NULL)
);

CREATE INDEX registrations_event_status ON registrations (event_id, status);
CREATE INDEX registrations_subscriber ON registrations (subscriber_id);

-- +goose Down
DROP TABLE registrations;
ALTER TABLE events DROP COLUMN party_max;
