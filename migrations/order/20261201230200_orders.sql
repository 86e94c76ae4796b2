-- Orders and their lines: the price and currency snapshot taken at checkout, the per-line quantities
-- (ordered, allocated, shipped, delivered, short, returned, cancelled) with the invariants the domain
-- keeps, and the warehouse's allocations. Three status dimensions: order, payment, fulfillment.

CREATE TABLE orders (
  order_id              uuid PRIMARY KEY,
  -- One order per checkout, whatever retries, workers and webhooks do.
  checkout_id           uuid NOT NULL CONSTRAINT orders_one_per_checkout UNIQUE,
  cart_id               uuid NOT NULL REFERENCES carts (cart_id),
  customer_id           text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 128),
  status                text NOT NULL DEFAULT 'pending' CHECK (status IN (
                          'pending', 'awaiting_payment', 'confirmed', 'completed', 'cancelled', 'rejected')),
  payment_status        text NOT NULL DEFAULT 'pending' CHECK (payment_status IN (
                          'pending', 'authorized', 'captured', 'partially_refunded', 'refunded', 'voided', 'declined')),
  fulfillment_status    text NOT NULL DEFAULT 'unfulfilled' CHECK (fulfillment_status IN (
                          'unfulfilled', 'partially_shipped', 'shipped', 'partially_delivered', 'delivered',
                          'partially_returned', 'returned')),
  currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal_minor        bigint NOT NULL CHECK (subtotal_minor >= 0),
  total_minor           bigint NOT NULL CHECK (total_minor >= 0),
  shipping_destination  jsonb NOT NULL CHECK (jsonb_typeof(shipping_destination) = 'object'),
  payment_method        text NOT NULL CHECK (payment_method IN ('card', 'e_wallet', 'bank_transfer', 'cash_on_delivery')),
  -- Lines refused for short stock (rejected order) or lost after payment: [{line_number, sku, ...}].
  shortfall             jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(shortfall) = 'array'),
  cancelled_by          text CHECK (cancelled_by IN ('customer', 'ops', 'system')),
  cancel_reason         text CHECK (length(cancel_reason) <= 500),
  -- Sequence of the order's events (aggregate version).
  version               bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at            timestamptz NOT NULL DEFAULT now(),
  confirmed_at          timestamptz,
  cancelled_at          timestamptz,
  updated_at            timestamptz NOT NULL DEFAULT now(),
  -- Lines and payments reference (order_id, currency): nothing of an order is in another currency.
  CONSTRAINT orders_currency_key UNIQUE (order_id, currency),
  CHECK (total_minor >= subtotal_minor),
  -- Confirmed only with the stock committed: the confirming transaction stamps confirmed_at.
  CHECK (status NOT IN ('confirmed', 'completed') OR confirmed_at IS NOT NULL),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
  CHECK ((status = 'cancelled') = (cancelled_by IS NOT NULL))
);

-- A cart has at most one order that is not rejected: a second completion of the same cart (the
-- storefront and a webhook racing, or a new checkout while one runs) cannot make a second order.
CREATE UNIQUE INDEX orders_one_live_per_cart ON orders (cart_id) WHERE status <> 'rejected';
-- ListOrders: a customer's orders, newest first, cursor by (created_at, order_id).
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, order_id DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, order_id DESC);

CREATE TABLE order_lines (
  order_id                  uuid NOT NULL,
  line_number               integer NOT NULL CHECK (line_number >= 1),
  sku                       text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  product_name              text NOT NULL CHECK (length(product_name) BETWEEN 1 AND 200),
  requested_warehouse_code  text CHECK (requested_warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  -- The price snapshot taken at checkout.
  unit_price_minor          bigint NOT NULL CHECK (unit_price_minor >= 0),
  currency                  char(3) NOT NULL,
  line_total_minor          bigint GENERATED ALWAYS AS (unit_price_minor * ordered) STORED,
  ordered                   integer NOT NULL CHECK (ordered BETWEEN 1 AND 1000),
  allocated                 integer NOT NULL DEFAULT 0 CHECK (allocated >= 0),
  shipped                   integer NOT NULL DEFAULT 0 CHECK (shipped >= 0),
  delivered                 integer NOT NULL DEFAULT 0 CHECK (delivered >= 0),
  short_quantity            integer NOT NULL DEFAULT 0 CHECK (short_quantity >= 0),
  returned                  integer NOT NULL DEFAULT 0 CHECK (returned >= 0),
  cancelled                 integer NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
  -- Units already refunded (shortfalls, returns, line refunds): a line is never refunded twice.
  refunded_units            integer NOT NULL DEFAULT 0 CHECK (refunded_units >= 0),
  fulfillment_status        text NOT NULL DEFAULT 'unfulfilled' CHECK (fulfillment_status IN (
                              'unfulfilled', 'partially_shipped', 'shipped', 'partially_delivered', 'delivered',
                              'partially_returned', 'returned')),
  PRIMARY KEY (order_id, line_number),
  FOREIGN KEY (order_id, currency) REFERENCES orders (order_id, currency),
  -- Each unit ends one way; nothing is shipped without its allocation, delivered without shipping,
  -- returned without delivery (the domain's lineInvariantsHold).
  CONSTRAINT order_lines_units_end_once CHECK (shipped + short_quantity + cancelled <= ordered),
  CONSTRAINT order_lines_shipped_within_allocated CHECK (shipped <= allocated),
  CONSTRAINT order_lines_allocated_within_deliverable CHECK (allocated <= ordered - short_quantity - cancelled),
  CONSTRAINT order_lines_delivered_within_shipped CHECK (delivered <= shipped),
  CONSTRAINT order_lines_returned_within_delivered CHECK (returned <= delivered),
  CONSTRAINT order_lines_refunded_within_ordered CHECK (refunded_units <= ordered)
);

CREATE INDEX order_lines_sku_idx ON order_lines (sku, order_id) WHERE delivered > 0;

-- Units of one line committed in one warehouse lot, as the warehouse allocated them.
CREATE TABLE order_line_allocations (
  order_id        uuid NOT NULL,
  line_number     integer NOT NULL,
  warehouse_code  text NOT NULL CHECK (warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  lot_code        text NOT NULL DEFAULT '',
  quantity        integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, line_number, warehouse_code, lot_code),
  FOREIGN KEY (order_id, line_number) REFERENCES order_lines (order_id, line_number)
);
