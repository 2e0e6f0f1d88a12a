-- A change of the topics is announced on the notification channel
-- rundbrief_topics, however it is made (rundbrief topics add, psql), so
-- that the web server renders the subscription form anew only then.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION topics_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rundbrief_topics', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER topics_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION topics_changed();

-- +goose Down
DROP TRIGGER topics_changed ON topics;
DROP FUNCTION topics_changed();
