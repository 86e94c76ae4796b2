-- Reservations, their lines and the per-lot allocations that hold the stock.

CREATE TABLE reservations (
  reservation_id   uuid PRIMARY KEY,
  reference_type   text NOT NULL CHECK (reference_type ~ '^[a-z][a-z_]{0,31}$'),
  reference_id     text NOT NULL CHECK (length(reference_id) BETWEEN 1 AND 128),
  status           text NOT NULL CHECK (status IN ('active', 'confirmed', 'released', 'expired', 'cancelled', 'shipped')),
  expires_at       timestamptz,
  order_reference  text,
  version          bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- Only an active reservation expires; every other state has no expiry.
  CHECK ((status = 'active') = (expires_at IS NOT NULL))
);

CREATE INDEX reservations_expiry_idx ON reservations (expires_at) WHERE status = 'active';
CREATE INDEX reservations_reference_idx ON reservations (reference_type, reference_id);

CREATE TABLE reservation_lines (
  reservation_id  uuid NOT NULL REFERENCES reservations (reservation_id),
  line_number     integer NOT NULL CHECK (line_number >= 1),
  sku             text NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0),
  status          text NOT NULL CHECK (status IN ('held', 'committed', 'shipped', 'released')),
  PRIMARY KEY (reservation_id, line_number)
);

CREATE TABLE reservation_allocations (
  reservation_id  uuid NOT NULL,
  line_number     integer NOT NULL,
  warehouse_code  text NOT NULL,
  sku             text NOT NULL,
  lot_code        text NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (reservation_id, line_number, warehouse_code, lot_code),
  FOREIGN KEY (reservation_id, line_number) REFERENCES reservation_lines (reservation_id, line_number),
  FOREIGN KEY (warehouse_code, sku, lot_code) REFERENCES stock_lots (warehouse_code, sku, lot_code)
);
