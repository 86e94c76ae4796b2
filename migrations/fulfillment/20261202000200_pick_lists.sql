-- Pick lists (waves): lines of many fulfillment orders of one warehouse, in route order by the bins'
-- pick sequence. A line's picked + short never exceeds its quantity; a done line has them add up.

CREATE TABLE pick_lists (
  pick_list_id    uuid PRIMARY KEY,
  warehouse_code  text NOT NULL CHECK (warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'completed', 'cancelled')),
  version         bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by      text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  -- Fulfillment orders reference (pick_list_id, warehouse_code): a wave never mixes warehouses.
  CONSTRAINT pick_lists_warehouse_key UNIQUE (pick_list_id, warehouse_code),
  CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

CREATE INDEX pick_lists_warehouse_status_idx ON pick_lists (warehouse_code, status, created_at);

ALTER TABLE fulfillment_orders
  ADD CONSTRAINT fulfillment_orders_pick_list_fk
  FOREIGN KEY (pick_list_id, warehouse_code) REFERENCES pick_lists (pick_list_id, warehouse_code);

CREATE TABLE pick_list_lines (
  pick_list_id       uuid NOT NULL REFERENCES pick_lists (pick_list_id),
  -- 1-based route order: pick_sequence, zone, aisle, position, bin, sku.
  line_number        integer NOT NULL CHECK (line_number >= 1),
  fulfillment_id     uuid NOT NULL,
  order_line_number  integer NOT NULL,
  sku                text NOT NULL,
  lot_code           text NOT NULL DEFAULT '',
  bin_code           text NOT NULL CHECK (bin_code ~ '^[A-Z0-9][A-Z0-9._-]{0,31}$'),
  zone               text NOT NULL DEFAULT '',
  aisle              text NOT NULL DEFAULT '',
  position           text NOT NULL DEFAULT '',
  pick_sequence      integer NOT NULL DEFAULT 0 CHECK (pick_sequence >= 0),
  quantity           integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  picked             integer NOT NULL DEFAULT 0 CHECK (picked >= 0),
  short_quantity     integer NOT NULL DEFAULT 0 CHECK (short_quantity >= 0),
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'picked', 'short', 'cancelled')),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (pick_list_id, line_number),
  FOREIGN KEY (fulfillment_id, order_line_number) REFERENCES fulfillment_lines (fulfillment_id, order_line_number),
  CHECK (picked + short_quantity <= quantity),
  CHECK (status <> 'picked' OR (picked = quantity AND short_quantity = 0)),
  CHECK (status <> 'short' OR (short_quantity > 0 AND picked + short_quantity = quantity)),
  CHECK (status <> 'pending' OR short_quantity = 0)
);

CREATE INDEX pick_list_lines_fulfillment_idx ON pick_list_lines (fulfillment_id, order_line_number);
