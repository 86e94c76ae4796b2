-- Returns (RMA) of delivered units: lines with requested / received / inspected / restocked units,
-- a disposition per unit, and the refund computed at inspection. restocked <= inspected <= received <=
-- requested here, and on the fulfillment line restocked <= returned <= delivered <= shipped.

CREATE TABLE returns (
  return_id       uuid PRIMARY KEY,
  fulfillment_id  uuid NOT NULL REFERENCES fulfillment_orders (fulfillment_id),
  order_id        uuid NOT NULL,
  customer_id     text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 128),
  status          text NOT NULL DEFAULT 'requested' CHECK (status IN (
                    'requested', 'authorized', 'rejected', 'received', 'inspected', 'closed')),
  reason          text NOT NULL CHECK (reason IN (
                    'change_of_mind', 'defective', 'wrong_item', 'damaged_in_transit', 'not_as_described')),
  note            text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  warehouse_code  text CHECK (warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  refund_minor    bigint CHECK (refund_minor >= 0),
  rejection_reason text CHECK (length(rejection_reason) <= 500),
  version         bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  requested_at    timestamptz NOT NULL DEFAULT now(),
  authorized_at   timestamptz,
  received_at     timestamptz,
  inspected_at    timestamptz,
  closed_at       timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (status NOT IN ('received', 'inspected', 'closed') OR (warehouse_code IS NOT NULL AND received_at IS NOT NULL)),
  CHECK (status NOT IN ('inspected', 'closed') OR (refund_minor IS NOT NULL AND inspected_at IS NOT NULL)),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL))
);

-- ListReturnsAwaitingAction: by status, oldest first.
CREATE INDEX returns_status_idx ON returns (status, requested_at, return_id);
CREATE INDEX returns_order_idx ON returns (order_id);

CREATE TABLE return_lines (
  return_id          uuid NOT NULL REFERENCES returns (return_id),
  fulfillment_id     uuid NOT NULL,
  order_line_number  integer NOT NULL,
  sku                text NOT NULL,
  requested          integer NOT NULL CHECK (requested BETWEEN 1 AND 1000),
  received           integer NOT NULL DEFAULT 0 CHECK (received >= 0),
  sellable           integer NOT NULL DEFAULT 0 CHECK (sellable >= 0),
  damaged            integer NOT NULL DEFAULT 0 CHECK (damaged >= 0),
  needs_qc           integer NOT NULL DEFAULT 0 CHECK (needs_qc >= 0),
  restocked          integer NOT NULL DEFAULT 0 CHECK (restocked >= 0),
  refund_minor       bigint CHECK (refund_minor >= 0),
  PRIMARY KEY (return_id, order_line_number),
  FOREIGN KEY (fulfillment_id, order_line_number) REFERENCES fulfillment_lines (fulfillment_id, order_line_number),
  CONSTRAINT return_lines_received_within_requested CHECK (received <= requested),
  CONSTRAINT return_lines_inspected_within_received CHECK (sellable + damaged + needs_qc <= received),
  CONSTRAINT return_lines_restocked_within_inspected CHECK (restocked <= sellable + damaged + needs_qc)
);

-- One row per inspected unit; restock_command_id is the warehouse command that took it back (once).
CREATE TABLE return_unit_dispositions (
  return_id           uuid NOT NULL,
  order_line_number   integer NOT NULL,
  unit_index          integer NOT NULL CHECK (unit_index >= 1),
  condition           text NOT NULL CHECK (condition IN ('sellable', 'damaged', 'needs_qc')),
  note                text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  inspected_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (return_id, order_line_number, unit_index),
  FOREIGN KEY (return_id, order_line_number) REFERENCES return_lines (return_id, order_line_number)
);
