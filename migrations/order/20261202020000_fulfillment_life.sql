-- The order's life after checkout, fed by the fulfillment service's events: each fulfillment fact applied
-- to a line once (whatever event ids carry it), the provider calls those facts make due (capture on
-- shipment, void, release of a short line's commitment) recorded in the consuming transaction and made
-- after it by a worker under deterministic keys, refunds retried with backoff under their own key, and
-- orders needing attention when one of those keeps failing.

-- One row per (line, kind, fact): a shipment, a delivery, a short report or a return of some units.
-- The key is the fact (fulfillment:shipment, return id), not the event id, so a fact re-emitted under a
-- new event id, or implied by a later event (delivered before shipped), still moves the line once.
CREATE TABLE order_line_movements (
  order_id        uuid NOT NULL,
  line_number     integer NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('shipped', 'delivered', 'short', 'returned', 'uncancelled')),
  source_key      text NOT NULL CHECK (length(source_key) BETWEEN 1 AND 300),
  quantity        integer NOT NULL CHECK (quantity > 0),
  warehouse_code  text CHECK (length(warehouse_code) <= 32),
  occurred_at     timestamptz NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, line_number, kind, source_key),
  FOREIGN KEY (order_id, line_number) REFERENCES order_lines (order_id, line_number)
);

-- Provider and warehouse calls an event made due: recorded with their key in the event's transaction,
-- made after commit by the order-calls worker, settled once (guarded by status).
CREATE TABLE order_remote_calls (
  call_id          uuid PRIMARY KEY,
  order_id         uuid NOT NULL REFERENCES orders (order_id),
  payment_id       uuid REFERENCES payments (payment_id),
  kind             text NOT NULL CHECK (kind IN ('capture', 'void', 'release_stock')),
  -- What made it due (the shipment, "all" for a provider that captures once); one call per source.
  source_key       text NOT NULL CHECK (length(source_key) BETWEEN 1 AND 300),
  amount_minor     bigint CHECK (amount_minor > 0),
  currency         char(3),
  -- requested: not yet made; unknown: made, answer lost (made again under the same key).
  status           text NOT NULL DEFAULT 'requested' CHECK (status IN (
                     'requested', 'unknown', 'succeeded', 'skipped', 'needs_attention')),
  idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text CHECK (length(last_error) <= 1000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT order_remote_calls_once UNIQUE (order_id, kind, source_key),
  CHECK (kind <> 'capture' OR (amount_minor IS NOT NULL AND currency IS NOT NULL AND payment_id IS NOT NULL)),
  CHECK (kind <> 'void' OR payment_id IS NOT NULL)
);

CREATE INDEX order_remote_calls_due_idx ON order_remote_calls (next_attempt_at)
  WHERE status IN ('requested', 'unknown');

-- Refunds are retried by the refund worker: attempts, when next, why the last one failed. A refund made
-- due by a fact (a short line, a cancellation) names it once, like a return does.
ALTER TABLE refunds
  ADD COLUMN attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  ADD COLUMN next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN last_error       text CHECK (length(last_error) <= 1000),
  ADD COLUMN source_key       text CHECK (length(source_key) BETWEEN 1 AND 300);

ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check
  CHECK (status IN ('requested', 'succeeded', 'failed', 'unknown', 'needs_attention'));

CREATE UNIQUE INDEX refunds_one_per_source ON refunds (order_id, source_key) WHERE source_key IS NOT NULL;
CREATE INDEX refunds_due_idx ON refunds (next_attempt_at) WHERE status IN ('requested', 'unknown', 'failed');

-- Set when a refund or a provider call kept failing past its limit: listed for ops with the saga's.
ALTER TABLE orders ADD COLUMN attention_reason text CHECK (length(attention_reason) BETWEEN 1 AND 200);
CREATE INDEX orders_attention_idx ON orders (order_id) WHERE attention_reason IS NOT NULL;

-- VerifyPurchase: a customer's lines of a sku.
CREATE INDEX order_lines_order_sku_idx ON order_lines (sku, order_id);
