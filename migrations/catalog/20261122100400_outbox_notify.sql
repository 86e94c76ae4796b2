-- Wakes the outbox relay as soon as a transaction that wrote events commits (NOTIFY is delivered at
-- commit, once per distinct payload per transaction); the relay still polls as a fallback.
-- The channel is per schema, cut to 63 bytes because pg_notify rejects longer channel names and an
-- error here would fail the writing transaction. TG_TABLE_SCHEMA (not current_schema()) names the
-- schema of the outbox that was written, whatever the writer's search_path.

CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(left('outbox_' || TG_TABLE_SCHEMA, 63), '');
  RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
AFTER INSERT ON outbox
FOR EACH STATEMENT
EXECUTE FUNCTION outbox_notify();
