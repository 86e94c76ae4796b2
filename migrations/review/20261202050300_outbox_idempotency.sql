-- Transactional outbox (review.review.v1: reviews keyed by review id, rating summaries by sku), the
-- order-events consumer's processing log and aggregate-version guard, and stored answers of idempotent
-- requests: the shapes every service schema has (packages/outbox, messaging, idempotency).

CREATE TABLE outbox (
  id                 bigserial PRIMARY KEY,
  event_id           uuid NOT NULL UNIQUE,
  topic              text NOT NULL,
  -- Kafka message key: all events of one key stay in one partition, in order.
  message_key        text NOT NULL,
  aggregate_type     text NOT NULL,
  aggregate_id       text NOT NULL,
  aggregate_version  bigint NOT NULL CHECK (aggregate_version >= 1),
  event_type         text NOT NULL,
  -- Serialized stockroom.common.v1.EventEnvelope.
  envelope           bytea NOT NULL,
  occurred_at        timestamptz NOT NULL DEFAULT now(),
  -- The writing transaction: the relay publishes only rows of transactions that can no longer be
  -- running, so a row that commits late is never skipped.
  txid               xid8 NOT NULL DEFAULT pg_current_xact_id(),
  published_at       timestamptz,
  UNIQUE (aggregate_type, aggregate_id, aggregate_version)
);

CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Wakes the relay at commit (see migrations/warehouse/20261122000500_outbox_notify.sql).
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

CREATE TABLE event_processing_log (
  event_id      uuid NOT NULL,
  consumer      text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, consumer)
);

CREATE TABLE consumer_aggregate_versions (
  consumer          text NOT NULL,
  aggregate_type    text NOT NULL,
  aggregate_id      text NOT NULL,
  aggregate_version bigint NOT NULL CHECK (aggregate_version >= 1),
  applied_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, aggregate_type, aggregate_id)
);

CREATE TABLE idempotency_records (
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  operation        text NOT NULL,
  principal        text NOT NULL CHECK (length(principal) > 0),
  fingerprint      text NOT NULL,
  response         jsonb NOT NULL DEFAULT 'null',
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  -- (operation, idempotency_key) leads: batch statements look keys up by it.
  PRIMARY KEY (operation, idempotency_key, principal),
  CHECK (expires_at >= created_at + interval '24 hours')
);

CREATE INDEX idempotency_records_expiry_idx ON idempotency_records (expires_at);

-- The retention worker (@stockroom/retention) deletes processed-event rows by age in small batches; this
-- index finds them without scanning the whole log.
CREATE INDEX event_processing_log_processed_at_idx ON event_processing_log (processed_at);
