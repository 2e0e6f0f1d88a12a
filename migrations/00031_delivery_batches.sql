-- A campaign's deliveries are claimed by batch, not one by one: a worker
-- claims a batch's row (the lease and the fencing token are the batch's),
-- sends the batch's queued deliveries and records their outcomes while the
-- claim holds. A delivery is then queued until its outcome: it is no
-- longer marked sending, so that its row is written once when sent, not
-- twice; and its status is in no index, so that this one write is a HOT
-- update (fillfactor leaves the room on the page). PostgreSQL spent about
-- four fifths of its time per mail on the two writes and their index
-- entries.
--
-- attempts of a delivery now counts the tries whose outcome was recorded.
--
-- A campaign is planned in parts, so that its first mails leave while the
-- rest is written: planned says whether all of its deliveries exist.
--
-- Stop the workers before this migration: a delivery claimed by a worker
-- of the version before is queued again, and sent again if that worker
-- had sent it.

-- +goose Up
CREATE TABLE delivery_batches (
    campaign_id  bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    batch        integer NOT NULL,
    -- The IDs of the batch's deliveries lie between these two (another
    -- campaign's may lie between them too).
    first_id     bigint NOT NULL,
    last_id      bigint NOT NULL,
    status       text NOT NULL DEFAULT 'queued'
                 CONSTRAINT delivery_batches_status_valid CHECK (status IN ('queued', 'sending', 'done')),
    -- Claims so far; the fencing token of the current claim.
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- A batch with deliveries that failed for now waits until then.
    retry_at     timestamptz,
    claimed_at   timestamptz,
    leased_until timestamptz,
    PRIMARY KEY (campaign_id, batch),
    CONSTRAINT delivery_batches_range CHECK (first_id <= last_id),
    CONSTRAINT delivery_batches_claimed CHECK (status <> 'sending' OR leased_until IS NOT NULL)
);
-- "Is the campaign done?" and the sweep read the open batches only.
CREATE INDEX delivery_batches_open ON delivery_batches (campaign_id) WHERE status <> 'done';

UPDATE deliveries SET status = 'queued' WHERE status = 'sending';
INSERT INTO delivery_batches (campaign_id, batch, first_id, last_id, status, retry_at)
SELECT campaign_id, batch, min(id), max(id),
       CASE WHEN bool_or(status = 'queued') THEN 'queued' ELSE 'done' END,
       max(retry_at) FILTER (WHERE status = 'queued')
FROM deliveries GROUP BY campaign_id, batch;

DROP INDEX deliveries_campaign_status;
DROP INDEX deliveries_open;
ALTER TABLE deliveries SET (fillfactor = 50);

ALTER TABLE campaigns ADD COLUMN planned boolean NOT NULL DEFAULT true;

-- +goose Down
ALTER TABLE campaigns DROP COLUMN planned;
ALTER TABLE deliveries RESET (fillfactor);
CREATE INDEX deliveries_campaign_status ON deliveries (campaign_id, status);
CREATE INDEX deliveries_open ON deliveries (campaign_id, batch) WHERE status IN ('queued', 'sending');
DROP TABLE delivery_batches;
