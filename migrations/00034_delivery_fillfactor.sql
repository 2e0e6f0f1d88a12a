-- A delivery's row grows when its outcome is written: the Message-ID
-- (about 50 characters) and the relay's reply (40 characters from Postfix,
-- about 190 from Exchange Online) are added to a row of about 130 bytes.
-- The outcome is a HOT update only if the new version fits on the row's
-- page, and the versions before cannot make room until the statement that
-- wrote them commits: one statement writes the outcomes of every row on a
-- page. At fillfactor 50 (00031) a page holds about 30 planned rows, and
-- 28–39% of the outcomes did not fit with Postfix's reply, 66% with
-- Exchange's: each of those wrote its row on another page and an entry in
-- each of the three indexes, and the outcome statement cost PostgreSQL
-- 14.4–15.1 µs per mail instead of 8.2–9.7 at fillfactor 20 to 35
-- (100,000 outcomes, 50 per statement, one backend's CPU).
--
-- At 20 a page holds about 11 planned rows, and room for each of them to
-- grow to about 600 bytes; every outcome is a HOT update, with the replies
-- of either relay (campaigns/TestOutcomesAreHOTUpdates). The price is
-- room: 100,000 sent deliveries take 9,091 pages (71 MB), against 5,246
-- (41 MB) at 50. New rows only use the new fillfactor.

-- +goose Up
ALTER TABLE deliveries SET (fillfactor = 20);

-- +goose Down
ALTER TABLE deliveries SET (fillfactor = 50);
