-- Order schema, part 1: carts and their lines. The schema is chosen by the migration runner
-- (search_path), never named here. Same sku and warehouse code formats as the warehouse's tables.

CREATE TABLE carts (
  cart_id               uuid PRIMARY KEY,
  customer_id           text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 128),
  status                text NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'checking_out', 'checked_out', 'abandoned')),
  currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Numbers of removed lines are not reused.
  next_line_number      integer NOT NULL DEFAULT 1 CHECK (next_line_number >= 1),
  -- recipient, address lines, postal code, city, region, country code, phone, coordinates.
  shipping_destination  jsonb CHECK (shipping_destination IS NULL OR jsonb_typeof(shipping_destination) = 'object'),
  payment_method        text CHECK (payment_method IN ('card', 'e_wallet', 'bank_transfer', 'cash_on_delivery')),
  -- The provider's token for a card or wallet; never a raw card number in production.
  payment_token         text NOT NULL DEFAULT '' CHECK (length(payment_token) <= 256),
  stock_hold_mode       text NOT NULL DEFAULT 'at_checkout' CHECK (stock_hold_mode IN ('at_checkout', 'from_add_to_cart')),
  -- The cart's own reservation in from_add_to_cart mode.
  hold_reservation_id   uuid,
  hold_expires_at       timestamptz,
  latest_order_id       uuid,
  version               bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  -- Drives the abandon timeout.
  last_activity_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((hold_reservation_id IS NULL) = (hold_expires_at IS NULL)),
  CHECK (hold_reservation_id IS NULL OR stock_hold_mode = 'from_add_to_cart'),
  CHECK (payment_token = '' OR payment_method IN ('card', 'e_wallet'))
);

CREATE INDEX carts_customer_idx ON carts (customer_id, created_at);
-- The abandon worker: open carts by last activity.
CREATE INDEX carts_abandon_idx ON carts (last_activity_at) WHERE status = 'open';

CREATE TABLE cart_lines (
  cart_id         uuid NOT NULL REFERENCES carts (cart_id),
  line_number     integer NOT NULL CHECK (line_number >= 1),
  sku             text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  -- NULL: any warehouse.
  warehouse_code  text CHECK (warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  quantity        integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  added_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cart_id, line_number),
  -- One line per sku and warehouse ("any" counts as one warehouse): adding again adds to the line.
  CONSTRAINT cart_lines_one_per_sku UNIQUE NULLS NOT DISTINCT (cart_id, sku, warehouse_code)
);
