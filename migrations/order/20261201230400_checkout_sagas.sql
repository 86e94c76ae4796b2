-- The checkout saga's persisted state: one row per checkout, the step it is at, each step's outcome
-- and output, attempts and the next attempt time. A worker takes due rows with FOR UPDATE SKIP LOCKED;
-- a crash anywhere resumes from the row.

CREATE TABLE checkout_sagas (
  checkout_id        uuid PRIMARY KEY,
  order_id           uuid NOT NULL CONSTRAINT checkout_sagas_one_per_order UNIQUE REFERENCES orders (order_id),
  cart_id            uuid NOT NULL REFERENCES carts (cart_id),
  status             text NOT NULL DEFAULT 'running' CHECK (status IN (
                       'running', 'awaiting_payment', 'compensating', 'confirmed', 'failed', 'needs_attention',
                       'abandoned')),
  step               text NOT NULL DEFAULT 'checkout.validate-cart' CHECK (step IN (
                       'checkout.validate-cart', 'checkout.reserve-stock', 'checkout.authorize-payment',
                       'checkout.confirm-reservation', 'checkout.confirm-order')),
  -- {"<step id>": <that step's output>}, written before the next step starts.
  step_outputs       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(step_outputs) = 'object'),
  -- {"<step id>": {"kind": "done" | "refused" | "wait" | "retry" | ..., "at": ..., "attempts": n, ...}}.
  step_outcomes      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(step_outcomes) = 'object'),
  -- While compensating: the steps still to undo, newest first.
  pending_undo       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(pending_undo) = 'array'),
  -- What the compensation ends in for the order.
  order_outcome      text CHECK (order_outcome IN ('reject', 'cancel')),
  refusal_reason     text CHECK (length(refusal_reason) <= 100),
  -- Attempts of the current step (reset when a step completes), and over the whole saga.
  attempts           integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  total_attempts     integer NOT NULL DEFAULT 0 CHECK (total_attempts >= attempts),
  -- Reservations made again after the first lapsed past the pivot.
  reserve_attempts   integer NOT NULL DEFAULT 0 CHECK (reserve_attempts >= 0),
  next_attempt_at    timestamptz,
  -- Since when the saga waits on a payment outcome (bounds how long it keeps asking).
  waiting_since      timestamptz,
  attention_reason   text CHECK (attention_reason IN (
                       'payment_outcome_unknown', 'compensation_failed', 'dependency_unavailable',
                       'stock_lost_after_payment', 'unexpected_error')),
  last_error         text CHECK (length(last_error) <= 2000),
  -- Set by ops (AbandonCheckout): the compensation ends as abandoned.
  abandon_requested  boolean NOT NULL DEFAULT false,
  version            bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  started_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz,
  -- needs_attention always says why; nothing else carries a reason.
  CHECK ((status = 'needs_attention') = (attention_reason IS NOT NULL)),
  -- Finished sagas are never due again; unfinished ones other than needs_attention always are.
  CHECK ((status IN ('confirmed', 'failed', 'abandoned')) = (finished_at IS NOT NULL)),
  CHECK ((status IN ('running', 'awaiting_payment', 'compensating')) = (next_attempt_at IS NOT NULL)),
  CHECK (status <> 'compensating' OR order_outcome IS NOT NULL)
);

-- The worker's queue: due sagas, oldest due first.
CREATE INDEX checkout_sagas_due_idx ON checkout_sagas (next_attempt_at)
  WHERE status IN ('running', 'awaiting_payment', 'compensating');
CREATE INDEX checkout_sagas_attention_idx ON checkout_sagas (updated_at) WHERE status = 'needs_attention';
-- The age of the oldest unfinished saga (a metric and an alert).
CREATE INDEX checkout_sagas_unfinished_idx ON checkout_sagas (started_at) WHERE finished_at IS NULL;
