-- Calls to the warehouse still to make, written by the same transaction as the state change that needs
-- them and sent after commit by the command worker (FOR UPDATE SKIP LOCKED), each with its deterministic
-- idempotency key (<aggregate id>:<movement>), so a retry or a second worker never moves stock twice.

CREATE TABLE warehouse_commands (
  command_id        uuid PRIMARY KEY,
  -- Sent as the warehouse call's idempotency key; UNIQUE: the same movement is never queued twice.
  idempotency_key   text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128),
  kind              text NOT NULL CHECK (kind IN (
                      'verify_reservation', 'ship_reservation', 'cancel_reservation', 'restock_return', 'record_quality_check',
                      'adjust_stock')),
  -- What the command is for (fulfillment, return), for ops and for the effect of its answer.
  aggregate_type    text NOT NULL CHECK (aggregate_type IN ('fulfillment', 'return')),
  aggregate_id      uuid NOT NULL,
  -- The request's fields (JSON): what the worker sends.
  payload           jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  last_error        text CHECK (length(last_error) <= 2000),
  created_at        timestamptz NOT NULL DEFAULT now(),
  sent_at           timestamptz,
  CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
  CHECK (status <> 'failed' OR last_error IS NOT NULL)
);

-- The worker's queue: due pending commands, oldest first.
CREATE INDEX warehouse_commands_due_idx ON warehouse_commands (next_attempt_at, created_at) WHERE status = 'pending';
CREATE INDEX warehouse_commands_aggregate_idx ON warehouse_commands (aggregate_type, aggregate_id);
