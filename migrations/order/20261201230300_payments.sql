-- Payments of orders, their refunds, and the provider's events (webhooks) deduplicated by event id.

CREATE TABLE payments (
  payment_id                uuid PRIMARY KEY,
  order_id                  uuid NOT NULL,
  provider                  text NOT NULL CHECK (provider IN ('sandbox', 'manual')),
  -- The provider's payment (intent) id; NULL while the authorize outcome is unknown.
  provider_payment_id       text CHECK (length(provider_payment_id) BETWEEN 1 AND 128),
  -- The key of the authorize call (<checkout id>:checkout.authorize-payment); retried only with it.
  authorize_idempotency_key text NOT NULL UNIQUE CHECK (length(authorize_idempotency_key) BETWEEN 1 AND 255),
  method                    text NOT NULL CHECK (method IN ('card', 'e_wallet', 'bank_transfer', 'cash_on_delivery')),
  status                    text NOT NULL DEFAULT 'pending' CHECK (status IN (
                              'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'voided', 'declined')),
  currency                  char(3) NOT NULL,
  amount_minor              bigint NOT NULL CHECK (amount_minor > 0),
  authorized_minor          bigint NOT NULL DEFAULT 0 CHECK (authorized_minor >= 0),
  captured_minor            bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
  refunded_minor            bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
  -- A manual payment must arrive by then (the method's stock hold), or the order is cancelled.
  pay_by                    timestamptz,
  -- The bank transfer's reference or the courier's receipt, recorded by ops.
  received_reference        text CHECK (length(received_reference) <= 200),
  decline_code              text CHECK (length(decline_code) <= 100),
  version                   bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (order_id, currency) REFERENCES orders (order_id, currency),
  CONSTRAINT payments_provider_payment_key UNIQUE (provider, provider_payment_id),
  CONSTRAINT payments_authorized_within_amount CHECK (authorized_minor <= amount_minor),
  CONSTRAINT payments_captured_within_authorized CHECK (captured_minor <= authorized_minor),
  CONSTRAINT payments_refunded_within_captured CHECK (refunded_minor <= captured_minor),
  CHECK (status <> 'refunded' OR (refunded_minor = captured_minor AND captured_minor > 0)),
  CHECK (status <> 'partially_refunded' OR (refunded_minor > 0 AND refunded_minor < captured_minor)),
  CHECK (status NOT IN ('captured', 'partially_refunded', 'refunded') OR captured_minor > 0),
  CHECK (status <> 'authorized' OR authorized_minor > 0),
  CHECK (status NOT IN ('authorized', 'captured', 'partially_refunded', 'refunded', 'voided')
         OR provider_payment_id IS NOT NULL)
);

-- At most one live payment per order: a retry can never start a second charge.
CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id) WHERE status NOT IN ('declined', 'voided');
CREATE INDEX payments_pay_by_idx ON payments (pay_by) WHERE status = 'pending' AND pay_by IS NOT NULL;

CREATE TABLE refunds (
  refund_id           uuid PRIMARY KEY,
  payment_id          uuid NOT NULL REFERENCES payments (payment_id),
  order_id            uuid NOT NULL,
  currency            char(3) NOT NULL,
  amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
  reason              text NOT NULL CHECK (reason IN (
                        'customer_request', 'return', 'shortfall', 'cancellation', 'goodwill', 'duplicate',
                        'fraud', 'other')),
  note                text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  -- requested: recorded, not yet sent; unknown: sent, answer lost (asked again under the same key).
  status              text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'succeeded', 'failed', 'unknown')),
  idempotency_key     text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
  provider_refund_id  text CHECK (length(provider_refund_id) BETWEEN 1 AND 128),
  -- The line units it is for: [{line_number, quantity}].
  lines               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(lines) = 'array'),
  -- The return it pays for, when it came from fulfillment.
  return_id           text CHECK (length(return_id) BETWEEN 1 AND 128),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (order_id, currency) REFERENCES orders (order_id, currency),
  CHECK (status <> 'succeeded' OR provider_refund_id IS NOT NULL)
);

CREATE INDEX refunds_payment_idx ON refunds (payment_id, created_at);
-- One refund per return: a redelivered ReturnRefundRequested cannot pay twice.
CREATE UNIQUE INDEX refunds_one_per_return ON refunds (return_id) WHERE return_id IS NOT NULL;

-- Provider notifications, each recorded once (a duplicate delivery hits the UNIQUE key and does
-- nothing), with what applying it did.
CREATE TABLE payment_events (
  payment_event_id     bigserial PRIMARY KEY,
  provider             text NOT NULL CHECK (provider IN ('sandbox', 'manual')),
  provider_event_id    text NOT NULL CHECK (length(provider_event_id) BETWEEN 1 AND 255),
  provider_event_type  text NOT NULL CHECK (length(provider_event_type) BETWEEN 1 AND 100),
  provider_payment_id  text NOT NULL,
  -- NULL when no payment of ours matches (yet): kept for ops, never dropped.
  payment_id           uuid REFERENCES payments (payment_id),
  payload              jsonb NOT NULL,
  occurred_at          timestamptz NOT NULL,
  received_at          timestamptz NOT NULL DEFAULT now(),
  outcome              text NOT NULL DEFAULT 'received' CHECK (outcome IN (
                         'received', 'applied', 'ignored_stale', 'ignored_unknown_payment', 'compensated')),
  CONSTRAINT payment_events_once UNIQUE (provider, provider_event_id)
);

CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, occurred_at);
