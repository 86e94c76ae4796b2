-- Fulfillment orders (one per order and shipping warehouse, from the reservation's allocations) and
-- their lines with the per-unit quantities the domain keeps (domain/fulfillment-line.ts): every ordered
-- unit ends one way (picked, short or cancelled), nothing is packed unpicked, shipped unpacked,
-- delivered unshipped, returned undelivered or restocked unreturned.

CREATE TABLE fulfillment_orders (
  fulfillment_id     uuid PRIMARY KEY,
  order_id           uuid NOT NULL,
  customer_id        text NOT NULL CHECK (length(customer_id) BETWEEN 1 AND 128),
  warehouse_code     text NOT NULL CHECK (warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  -- The warehouse reservation whose committed units this fulfillment ships.
  reservation_id     uuid NOT NULL,
  -- verifying: created from OrderConfirmed, waiting for the warehouse to say the reservation is still
  -- confirmed for these quantities (FULF-P0-03); nothing is picked before.
  status             text NOT NULL DEFAULT 'verifying' CHECK (status IN (
                       'verifying', 'open', 'picking', 'picked', 'packed', 'qc_hold', 'shipped', 'delivered', 'cancelled')),
  currency           char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Sum of the lines' unit price x ordered: the QC value threshold compares against it.
  order_value_minor  bigint NOT NULL CHECK (order_value_minor >= 0),
  -- The pick list it is on (set by BuildWave); FK added with pick_lists.
  pick_list_id       uuid,
  -- Sequence of the fulfillment's events (aggregate version).
  version            bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  shipped_at         timestamptz,
  delivered_at       timestamptz,
  cancelled_at       timestamptz,
  cancel_reason      text CHECK (length(cancel_reason) <= 500),
  -- OrderConfirmed redelivered (or two consumers racing) cannot make a second fulfillment.
  CONSTRAINT fulfillment_orders_one_per_order_warehouse UNIQUE (order_id, warehouse_code),
  CHECK (status IN ('verifying', 'open', 'cancelled') OR pick_list_id IS NOT NULL),
  CHECK ((status IN ('shipped', 'delivered')) = (shipped_at IS NOT NULL)),
  CHECK ((status = 'delivered') = (delivered_at IS NOT NULL)),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

-- ListFulfillmentOrders by warehouse and status, oldest first; BuildWave takes the oldest open ones.
CREATE INDEX fulfillment_orders_warehouse_status_idx
  ON fulfillment_orders (warehouse_code, status, created_at, fulfillment_id);
CREATE INDEX fulfillment_orders_order_idx ON fulfillment_orders (order_id);

CREATE TABLE fulfillment_lines (
  fulfillment_id            uuid NOT NULL REFERENCES fulfillment_orders (fulfillment_id),
  order_line_number         integer NOT NULL CHECK (order_line_number >= 1),
  -- The warehouse reservation's line these units are committed on (ShipReservation's line_numbers);
  -- known once the reservation was verified.
  reservation_line_number   integer CHECK (reservation_line_number >= 1),
  sku                       text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  lot_code                  text NOT NULL DEFAULT '',
  unit_price_minor          bigint NOT NULL CHECK (unit_price_minor >= 0),
  -- Grams per unit (the catalog's product weight), for the pack weight check.
  unit_weight_grams         integer NOT NULL DEFAULT 0 CHECK (unit_weight_grams >= 0),
  ordered                   integer NOT NULL CHECK (ordered BETWEEN 1 AND 1000),
  -- Good units in hand for the line (a unit failing QC leaves picked and counts in qc_failed).
  picked                    integer NOT NULL DEFAULT 0 CHECK (picked >= 0),
  packed                    integer NOT NULL DEFAULT 0 CHECK (packed >= 0),
  shipped                   integer NOT NULL DEFAULT 0 CHECK (shipped >= 0),
  short_quantity            integer NOT NULL DEFAULT 0 CHECK (short_quantity >= 0),
  cancelled                 integer NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
  qc_failed                 integer NOT NULL DEFAULT 0 CHECK (qc_failed >= 0),
  delivered                 integer NOT NULL DEFAULT 0 CHECK (delivered >= 0),
  -- Units requested back by returns not rejected (so two returns cannot exceed what was delivered).
  returned                  integer NOT NULL DEFAULT 0 CHECK (returned >= 0),
  -- Units the warehouse has taken back through RestockReturn: nothing restocks twice.
  restocked                 integer NOT NULL DEFAULT 0 CHECK (restocked >= 0),
  PRIMARY KEY (fulfillment_id, order_line_number),
  CONSTRAINT fulfillment_lines_units_end_once CHECK (picked + short_quantity + cancelled <= ordered),
  CONSTRAINT fulfillment_lines_packed_within_picked CHECK (packed <= picked),
  CONSTRAINT fulfillment_lines_shipped_within_packed CHECK (shipped <= packed),
  CONSTRAINT fulfillment_lines_delivered_within_shipped CHECK (delivered <= shipped),
  CONSTRAINT fulfillment_lines_returned_within_delivered CHECK (returned <= delivered),
  CONSTRAINT fulfillment_lines_restocked_within_returned CHECK (restocked <= returned)
);
