-- The verified-purchase projection: one row per order line that the order service reported delivered,
-- fed by order.order.v1 (OrderDelivered, OrderReturned). Each event carries the order as it is after
-- the change, so a row takes the newest snapshot's quantities and never goes back to an older one
-- (order_version guards it: duplicate and out-of-order events leave it right).

CREATE TABLE verified_purchases (
  order_id            text NOT NULL CHECK (length(order_id) BETWEEN 1 AND 100),
  line_number         integer NOT NULL CHECK (line_number >= 1),
  customer_id         text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 200),
  sku                 text NOT NULL CHECK (length(sku) BETWEEN 1 AND 64),
  delivered_quantity  integer NOT NULL CHECK (delivered_quantity >= 0),
  returned_quantity   integer NOT NULL CHECK (returned_quantity >= 0),
  delivered_at        timestamptz,
  -- The order's aggregate version whose snapshot this row holds.
  order_version       bigint NOT NULL CHECK (order_version >= 1),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id, line_number),
  CHECK (returned_quantity <= delivered_quantity)
);

-- SubmitReview: the caller's delivered lines of a sku.
CREATE INDEX verified_purchases_by_customer_sku ON verified_purchases (customer_id, sku, delivered_at);
