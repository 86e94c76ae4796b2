-- Transfers between warehouses and the rows of bulk adjustment imports.

CREATE TABLE transfers (
  transfer_id          uuid PRIMARY KEY,
  from_warehouse_code  text NOT NULL REFERENCES warehouses (code),
  to_warehouse_code    text NOT NULL REFERENCES warehouses (code),
  status               text NOT NULL CHECK (status IN ('requested', 'in_transit', 'received')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (from_warehouse_code <> to_warehouse_code)
);

CREATE TABLE transfer_lines (
  transfer_id  uuid NOT NULL REFERENCES transfers (transfer_id),
  sku          text NOT NULL,
  quantity     integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (transfer_id, sku)
);

CREATE TABLE bulk_import_rows (
  import_id    text NOT NULL,
  row_number   integer NOT NULL CHECK (row_number >= 1),
  fingerprint  text NOT NULL,
  result       bytea NOT NULL,
  applied_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (import_id, row_number)
);
