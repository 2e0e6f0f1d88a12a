-- A statement that writes deliveries no longer locks their subscribers'
-- rows. Since 00032 it locked each of them FOR KEY SHARE, as a foreign key
-- does: a WAL record and a dirtied page of subscribers for every delivery
-- planned, and with the checks around it about 4 of the 12 µs PostgreSQL
-- spent on a delivery's row (EXPLAIN ANALYZE of 20,000 plan rows: the
-- trigger took 67–103 ms, now 17–28 ms).
--
-- What the lock was for, a deletion of a subscriber that waits for the
-- statements that wrote deliveries for them, an advisory lock now does for
-- all subscribers at once:
--
--   - a statement that writes deliveries takes the advisory lock
--     deliveries_lock (the ASCII bytes of "RDELREFS") shared, until its
--     transaction ends, and then looks for its subscribers with a snapshot
--     of its own: one that is missing fails the statement with
--     foreign_key_violation (deliveries_subscriber_exists);
--   - a deletion of subscribers takes it exclusively, after its rows are
--     gone and before it deletes their deliveries: it waits for every
--     transaction that wrote deliveries meanwhile, and then sees and
--     deletes what they wrote. A statement that writes deliveries while a
--     deletion holds the lock waits for it, and then finds the subscriber
--     gone.
--
-- Deleting subscribers is rare (an erasure, a merge) and waits for at
-- most one part of a plan; writing deliveries never waits for another.
--
-- Both rest on READ COMMITTED, where each statement of a trigger sees
-- what committed before it began. Under REPEATABLE READ or SERIALIZABLE a
-- statement that writes deliveries locks its subscribers FOR KEY SHARE as
-- before (a subscriber deleted since its snapshot is a serialization
-- failure), and a deletion of subscribers is refused: it could not see
-- the deliveries written since its snapshot. rundbrief runs every
-- transaction at READ COMMITTED.
--
-- A statement's campaign is still locked FOR KEY SHARE: that is one row,
-- or a few.
--
-- TRUNCATE runs no delete triggers: TRUNCATE subscribers CASCADE or
-- TRUNCATE campaigns CASCADE left every delivery behind since 00032, where
-- the foreign keys had emptied deliveries too. A trigger after either now
-- truncates deliveries.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION deliveries_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_campaign bigint;
    last_campaign bigint;
    missing boolean;
BEGIN
    SELECT min(campaign_id), max(campaign_id) INTO first_campaign, last_campaign FROM new_deliveries;
    IF first_campaign IS NULL THEN
        RETURN NULL; -- no rows
    END IF;
    IF first_campaign = last_campaign THEN
        PERFORM FROM campaigns WHERE id = first_campaign FOR KEY SHARE;
        missing := NOT FOUND;
    ELSE
        missing := (SELECT count(*) FROM (SELECT FROM campaigns
                WHERE id IN (SELECT campaign_id FROM new_deliveries) FOR KEY SHARE) c)
            <> (SELECT count(DISTINCT campaign_id) FROM new_deliveries);
    END IF;
    IF missing THEN
        RAISE EXCEPTION 'insert on table "deliveries" names a campaign that does not exist'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'deliveries', CONSTRAINT = 'deliveries_campaign_exists';
    END IF;
    IF current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM pg_advisory_xact_lock_shared(5927939203626518099); -- deliveries_lock
        missing := EXISTS (SELECT FROM new_deliveries d
            WHERE NOT EXISTS (SELECT FROM subscribers s WHERE s.id = d.subscriber_id));
    ELSE
        missing := (SELECT count(*) FROM (SELECT FROM subscribers
                WHERE id IN (SELECT subscriber_id FROM new_deliveries) FOR KEY SHARE) s)
            <> (SELECT count(DISTINCT subscriber_id) FROM new_deliveries);
    END IF;
    IF missing THEN
        RAISE EXCEPTION 'insert on table "deliveries" names a subscriber who does not exist'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'deliveries', CONSTRAINT = 'deliveries_subscriber_exists';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION deliveries_delete_of_subscribers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'subscribers are deleted at READ COMMITTED only, not at %', current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported', TABLE = 'subscribers',
                  HINT = 'A deletion at another isolation level could leave deliveries behind that were written since its snapshot.';
    END IF;
    PERFORM pg_advisory_xact_lock(5927939203626518099); -- deliveries_lock
    DELETE FROM deliveries WHERE subscriber_id IN (SELECT id FROM deleted_subscribers);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION deliveries_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE deliveries;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER subscribers_truncate_deliveries AFTER TRUNCATE ON subscribers
    FOR EACH STATEMENT EXECUTE FUNCTION deliveries_truncate();
CREATE TRIGGER campaigns_truncate_deliveries AFTER TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION deliveries_truncate();

-- +goose Down
DROP TRIGGER campaigns_truncate_deliveries ON campaigns;
DROP TRIGGER subscribers_truncate_deliveries ON subscribers;
DROP FUNCTION deliveries_truncate();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION deliveries_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    locked bigint;
BEGIN
    SELECT count(*) INTO wanted FROM (SELECT DISTINCT campaign_id FROM new_deliveries) n;
    SELECT count(*) INTO locked FROM (SELECT FROM campaigns
        WHERE id IN (SELECT campaign_id FROM new_deliveries) FOR KEY SHARE) c;
    IF locked <> wanted THEN
        RAISE EXCEPTION 'insert on table "deliveries" names a campaign that does not exist'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'deliveries', CONSTRAINT = 'deliveries_campaign_exists';
    END IF;
    SELECT count(*) INTO wanted FROM (SELECT DISTINCT subscriber_id FROM new_deliveries) n;
    SELECT count(*) INTO locked FROM (SELECT FROM subscribers
        WHERE id IN (SELECT subscriber_id FROM new_deliveries) FOR KEY SHARE) s;
    IF locked <> wanted THEN
        RAISE EXCEPTION 'insert on table "deliveries" names a subscriber who does not exist'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'deliveries', CONSTRAINT = 'deliveries_subscriber_exists';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION deliveries_delete_of_subscribers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM deliveries WHERE subscriber_id IN (SELECT id FROM deleted_subscribers);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
