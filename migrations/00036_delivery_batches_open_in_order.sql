-- Whether a campaign has a batch left open was asked with NOT EXISTS over
-- the index of open batches by campaign (00031). When one campaign fills
-- most of delivery_batches (a young database, or the first large campaign
-- after a small one), PostgreSQL plans that as a scan of the whole table
-- that stops at the first open row: cheap by its estimate, since half the
-- rows are open when it last analyzed the table; but the rows of done
-- batches pile up at the start as the campaign is sent, and the scan
-- reads more of them for every batch. The question is now the campaign's
-- first open batch, in order of batches (campaigns.finishSQL): this index
-- gives it in that order, as its first entry, and any other plan would
-- have to sort all the campaign's open batches first.

-- +goose Up
DROP INDEX delivery_batches_open;
CREATE INDEX delivery_batches_open ON delivery_batches (campaign_id, batch) WHERE status <> 'done';

-- +goose Down
DROP INDEX delivery_batches_open;
CREATE INDEX delivery_batches_open ON delivery_batches (campaign_id) WHERE status <> 'done';
