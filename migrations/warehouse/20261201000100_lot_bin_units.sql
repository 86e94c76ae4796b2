-- Where received units were put away: units per lot and bin, so picking can find them ("which bins and
-- lots does this allocation draw from" joins reservation_allocations to this table on the lot). A receipt
-- naming a bin adds to its row; units received without a bin are in their lot but in no bin yet.
CREATE TABLE lot_bin_units (
  warehouse_code  text NOT NULL,
  sku             text NOT NULL,
  lot_code        text NOT NULL,
  bin_code        text NOT NULL,
  units           bigint NOT NULL CHECK (units >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (warehouse_code, sku, lot_code, bin_code),
  FOREIGN KEY (warehouse_code, sku, lot_code) REFERENCES stock_lots (warehouse_code, sku, lot_code),
  -- A bin that holds units cannot be deleted (RESTRICT, the default).
  FOREIGN KEY (warehouse_code, bin_code) REFERENCES bins (warehouse_code, code)
);

-- What a bin holds (the FK check on deleting a bin uses it too).
CREATE INDEX lot_bin_units_bin_idx ON lot_bin_units (warehouse_code, bin_code);
