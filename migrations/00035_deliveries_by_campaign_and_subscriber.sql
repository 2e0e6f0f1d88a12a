-- A delivery is found by its ID (deliveries_pkey) or by its campaign and
-- subscriber (deliveries_once); the index on the subscriber alone
-- (deliveries_subscriber) goes. Every row a plan writes cost an entry in
-- it: 2.2 of the 12.6 µs of CPU that the plan's insert took per row in one
-- backend (100,000 rows, 10,000 per statement), and in a table with the
-- deliveries of many campaigns those entries land all over the index (a
-- campaign's subscribers are spread among all the earlier campaigns'),
-- each on a page of its own, written in full to the WAL after every
-- checkpoint.
--
-- A subscriber's deliveries are found campaign by campaign instead: one
-- lookup in deliveries_once per campaign, a few thousand at most in the
-- life of an office. That is how PostgreSQL reads a person's mails
-- (campaigns.Received) and how the deletion of a few subscribers finds
-- theirs; for the deletion of many it reads the table once
-- (migrations/TestSubscribersDeliveriesFoundByCampaign).

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION deliveries_delete_of_subscribers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'subscribers are deleted at READ COMMITTED only, not at %', current_setting('transaction_isolation')
            USING ERRCODE = 'feature_not_supported', TABLE = 'subscribers',
                  HINT = 'A deletion at another isolation level could leave deliveries behind that were written since its snapshot.';
    END IF;
    PERFORM pg_advisory_xact_lock(5927939203626518099); -- deliveries_lock
    DELETE FROM deliveries d USING deleted_subscribers s, campaigns c
    WHERE d.campaign_id = c.id AND d.subscriber_id = s.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP INDEX deliveries_subscriber;

-- +goose Down
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);
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
