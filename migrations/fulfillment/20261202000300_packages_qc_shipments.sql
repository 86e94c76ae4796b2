-- Packages (dimensions, expected and measured weight, why QC holds them), the units each holds, QC
-- inspections with a result per unit, and shipments with their delivery confirmation.

CREATE TABLE packages (
  package_id             uuid PRIMARY KEY,
  fulfillment_id         uuid NOT NULL REFERENCES fulfillment_orders (fulfillment_id),
  status                 text NOT NULL CHECK (status IN ('packed', 'qc_hold', 'shipped', 'voided')),
  length_mm              integer NOT NULL CHECK (length_mm BETWEEN 1 AND 10000),
  width_mm               integer NOT NULL CHECK (width_mm BETWEEN 1 AND 10000),
  height_mm              integer NOT NULL CHECK (height_mm BETWEEN 1 AND 10000),
  expected_weight_grams  integer NOT NULL CHECK (expected_weight_grams >= 0),
  measured_weight_grams  integer NOT NULL CHECK (measured_weight_grams BETWEEN 1 AND 1000000),
  -- Why QC holds (or held) it: weight_mismatch, order_value, random_sample.
  qc_triggers            text[] NOT NULL DEFAULT '{}'
                           CHECK (qc_triggers <@ ARRAY['weight_mismatch', 'order_value', 'random_sample']),
  packed_at              timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'qc_hold' OR cardinality(qc_triggers) > 0)
);

-- At most one package of a fulfillment is live (packed, held or shipped); a voided one was re-packed.
CREATE UNIQUE INDEX packages_one_live_per_fulfillment ON packages (fulfillment_id) WHERE status <> 'voided';

CREATE TABLE package_lines (
  package_id         uuid NOT NULL REFERENCES packages (package_id),
  fulfillment_id     uuid NOT NULL,
  order_line_number  integer NOT NULL,
  quantity           integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  PRIMARY KEY (package_id, order_line_number),
  FOREIGN KEY (fulfillment_id, order_line_number) REFERENCES fulfillment_lines (fulfillment_id, order_line_number)
);

CREATE TABLE qc_inspections (
  inspection_id  uuid PRIMARY KEY,
  -- One inspection per held package: a second RecordQcResults is refused, not applied twice.
  package_id     uuid NOT NULL UNIQUE REFERENCES packages (package_id),
  inspector      text NOT NULL CHECK (length(inspector) BETWEEN 1 AND 200),
  note           text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  passed_units   integer NOT NULL CHECK (passed_units >= 0),
  failed_units   integer NOT NULL CHECK (failed_units >= 0),
  inspected_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE qc_unit_results (
  inspection_id      uuid NOT NULL REFERENCES qc_inspections (inspection_id),
  package_id         uuid NOT NULL,
  order_line_number  integer NOT NULL,
  unit_index         integer NOT NULL CHECK (unit_index >= 1),
  outcome            text NOT NULL CHECK (outcome IN ('pass', 'fail_quality_control', 'fail_damaged')),
  reason             text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  PRIMARY KEY (inspection_id, order_line_number, unit_index),
  -- A result is for a unit the package holds.
  FOREIGN KEY (package_id, order_line_number) REFERENCES package_lines (package_id, order_line_number),
  CHECK (outcome = 'pass' OR length(reason) > 0)
);

CREATE TABLE shipments (
  shipment_id      uuid PRIMARY KEY,
  -- One shipment per fulfillment: shipping twice cannot consume stock twice.
  fulfillment_id   uuid NOT NULL UNIQUE REFERENCES fulfillment_orders (fulfillment_id),
  package_id       uuid NOT NULL UNIQUE REFERENCES packages (package_id),
  carrier          text NOT NULL CHECK (length(carrier) BETWEEN 1 AND 64),
  tracking_number  text NOT NULL CHECK (tracking_number ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$'),
  shipped_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  CONSTRAINT shipments_tracking_unique UNIQUE (carrier, tracking_number),
  CHECK (delivered_at IS NULL OR delivered_at >= shipped_at - interval '1 day')
);
