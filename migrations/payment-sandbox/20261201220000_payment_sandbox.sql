-- The sandbox payment gateway's state (a development and test stand-in for a real provider), so a
-- restart keeps its payment intents, refunds, stored idempotent answers and undelivered webhooks.
-- Applied into schema payment_sandbox (the folder name with '-' as '_').

CREATE TABLE payment_intents (
  id                 text PRIMARY KEY CHECK (id ~ '^pi_[0-9a-f]{32}$'),
  amount             bigint NOT NULL CHECK (amount > 0),
  currency           text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  customer           text NOT NULL DEFAULT '' CHECK (length(customer) <= 200),
  payment_method     text NOT NULL CHECK (length(payment_method) BETWEEN 1 AND 64),
  capture_method     text NOT NULL CHECK (capture_method IN ('manual', 'automatic')),
  -- The test card's behaviour, fixed at creation (see src/test-cards.ts).
  behaviour          text NOT NULL,
  status             text NOT NULL CHECK (status IN (
                       'processing', 'requires_capture', 'succeeded', 'canceled', 'requires_payment_method')),
  amount_capturable  bigint NOT NULL DEFAULT 0 CHECK (amount_capturable >= 0),
  amount_received    bigint NOT NULL DEFAULT 0 CHECK (amount_received >= 0),
  amount_refunded    bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  reference          text NOT NULL DEFAULT '' CHECK (length(reference) <= 200),
  idempotency_key    text NOT NULL,
  last_error_code    text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (amount_capturable + amount_received <= amount),
  CHECK (amount_refunded <= amount_received),
  CHECK ((status = 'requires_capture') = (amount_capturable > 0))
);

CREATE UNIQUE INDEX payment_intents_idempotency_key_idx ON payment_intents (idempotency_key);
CREATE INDEX payment_intents_reference_idx ON payment_intents (reference) WHERE reference <> '';

CREATE TABLE refunds (
  id                 text PRIMARY KEY CHECK (id ~ '^re_[0-9a-f]{32}$'),
  payment_intent_id  text NOT NULL REFERENCES payment_intents (id),
  amount             bigint NOT NULL CHECK (amount > 0),
  reason             text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refunds_intent_idx ON refunds (payment_intent_id, created_at);

-- Stored answers of POST requests, Stripe's way: the same key and body get the first answer back;
-- the same key with another request is refused with 409.
CREATE TABLE idempotency_keys (
  idempotency_key  text PRIMARY KEY CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  request_path     text NOT NULL,
  fingerprint      text NOT NULL,
  status_code      integer NOT NULL CHECK (status_code BETWEEN 200 AND 599),
  response         jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Webhook deliveries: one row per planned delivery of an event (a duplicate-webhook card plans two
-- with the same event id), sent by the dispatcher once due, retried with backoff until delivered.
CREATE TABLE webhook_deliveries (
  delivery_id     bigserial PRIMARY KEY,
  event_id        text NOT NULL CHECK (event_id ~ '^evt_[0-9a-f]{32}$'),
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  deliver_at      timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  delivered_at    timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (deliver_at) WHERE delivered_at IS NULL;
