-- The aggregate-version guard of @stockroom/messaging's event consumers: the newest aggregate version
-- each consumer has applied, per aggregate. An event whose version is not newer is skipped (stale).
-- Same table as migrations/warehouse/20261122000600_consumer_versions.sql: the catalog consumes
-- warehouse.stock.v1 with createEventConsumer.

CREATE TABLE consumer_aggregate_versions (
  consumer          text NOT NULL,
  aggregate_type    text NOT NULL,
  aggregate_id      text NOT NULL,
  aggregate_version bigint NOT NULL CHECK (aggregate_version >= 1),
  applied_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, aggregate_type, aggregate_id)
);
