-- The search service's own state, whichever engine holds the documents: the consumers' processing log
-- and aggregate-version guard (@stockroom/messaging), the warehouse's stock levels per (sku, warehouse)
-- and their per-sku sums with a sequence the engine guards on, and rebuild runs with their progress.

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE event_processing_log (
  event_id      uuid NOT NULL,
  consumer      text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, consumer)
);

CREATE INDEX event_processing_log_processed_at_idx ON event_processing_log (processed_at);

CREATE TABLE consumer_aggregate_versions (
  consumer          text NOT NULL,
  aggregate_type    text NOT NULL,
  aggregate_id      text NOT NULL,
  aggregate_version bigint NOT NULL CHECK (aggregate_version >= 1),
  applied_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, aggregate_type, aggregate_id)
);

-- One warehouse's level of a sku as the warehouse last reported it (a stock event or BatchGetStock);
-- moves only to a newer level version.
CREATE TABLE stock_levels (
  sku             text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  warehouse_code  text NOT NULL CHECK (length(warehouse_code) BETWEEN 1 AND 64),
  -- on_hand - reserved - committed - safety_stock, floored at 0: a fully reserved level counts 0.
  available       bigint NOT NULL CHECK (available >= 0),
  level_version   bigint NOT NULL CHECK (level_version >= 1),
  updated_at      timestamptz NOT NULL,
  applied_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, warehouse_code)
);

-- The sum over warehouses, with the sequence the engine's stock guard compares: incremented under this
-- row's lock by every change of the sum, so the engine applies sums in the order they were computed.
-- Product writes lock the same row, so a document never carries an older sum than the engine holds.
CREATE TABLE sku_stock (
  sku            text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  available      bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
  stock_version  bigint NOT NULL DEFAULT 0 CHECK (stock_version >= 0),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rebuild_runs (
  id               uuid PRIMARY KEY,
  -- RebuildIndex's key: the same key answers with the same run.
  idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  engine           text NOT NULL CHECK (engine IN ('postgres', 'opensearch')),
  state            text NOT NULL CHECK (state IN ('running', 'completed', 'failed', 'aborted')),
  products_indexed bigint NOT NULL DEFAULT 0 CHECK (products_indexed >= 0),
  pages_done       bigint NOT NULL DEFAULT 0 CHECK (pages_done >= 0),
  error            text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  -- Moved by the running rebuild after every page: a run whose heartbeat stopped (its process died) is
  -- marked failed by the next RebuildIndex.
  heartbeat_at     timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  CHECK ((state = 'running') = (finished_at IS NULL)),
  CHECK ((state = 'failed') = (error IS NOT NULL))
);

-- At most one rebuild runs at a time, across every instance.
CREATE UNIQUE INDEX rebuild_runs_one_running_idx ON rebuild_runs ((true)) WHERE state = 'running';

-- The shared idempotency table (packages/idempotency), in the shape every schema has; the retention
-- worker prunes it with event_processing_log. RebuildIndex's keys are rebuild_runs.idempotency_key.
CREATE TABLE idempotency_records (
  principal        text NOT NULL CHECK (length(principal) > 0),
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  operation        text NOT NULL,
  fingerprint      text NOT NULL,
  response         jsonb NOT NULL DEFAULT 'null',
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (operation, idempotency_key, principal),
  CHECK (expires_at >= created_at + interval '24 hours')
);

CREATE INDEX idempotency_records_expiry_idx ON idempotency_records (expires_at);
