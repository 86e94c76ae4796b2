-- Warehouse schema: warehouses, bins, stock levels and lots with their invariants, the append-only
-- movement ledger. The schema is chosen by the migration runner (search_path), never named here.

CREATE TABLE warehouses (
  code              text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  address           text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
  latitude          double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude         double precision CHECK (longitude BETWEEN -180 AND 180),
  capacity_units    bigint NOT NULL CHECK (capacity_units > 0),
  fill_alert_ratio  numeric(4, 3) NOT NULL DEFAULT 0.9 CHECK (fill_alert_ratio > 0 AND fill_alert_ratio <= 1),
  capacity_policy   text NOT NULL DEFAULT 'refuse' CHECK (capacity_policy IN ('refuse', 'flag')),
  -- Units physically stored (on_hand + damaged + quality_control over all skus), kept by the same
  -- statements that move stock so capacity checks need no aggregate.
  units_stored      bigint NOT NULL DEFAULT 0 CHECK (units_stored >= 0),
  over_fill_alert   boolean NOT NULL DEFAULT false,
  -- Sequence of the warehouse's capacity events (aggregate version).
  alert_version     bigint NOT NULL DEFAULT 0 CHECK (alert_version >= 0),
  priority          integer NOT NULL DEFAULT 100 CHECK (priority >= 0),
  active            boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CHECK ((latitude IS NULL) = (longitude IS NULL))
);

CREATE TABLE bins (
  warehouse_code  text NOT NULL REFERENCES warehouses (code),
  code            text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9._-]{0,31}$'),
  zone            text NOT NULL DEFAULT '' CHECK (length(zone) <= 32),
  aisle           text NOT NULL DEFAULT '' CHECK (length(aisle) <= 32),
  position        text NOT NULL DEFAULT '' CHECK (length(position) <= 32),
  pick_sequence   integer NOT NULL DEFAULT 0 CHECK (pick_sequence >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (warehouse_code, code)
);

CREATE TABLE stock_levels (
  warehouse_code       text NOT NULL REFERENCES warehouses (code),
  sku                  text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  on_hand              bigint NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  reserved             bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  committed            bigint NOT NULL DEFAULT 0 CHECK (committed >= 0),
  safety_stock         bigint NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
  damaged              bigint NOT NULL DEFAULT 0 CHECK (damaged >= 0),
  quality_control      bigint NOT NULL DEFAULT 0 CHECK (quality_control >= 0),
  incoming             bigint NOT NULL DEFAULT 0 CHECK (incoming >= 0),
  low_stock_threshold  bigint NOT NULL DEFAULT 0 CHECK (low_stock_threshold >= 0),
  -- Set when available fell to or below the threshold and the event was raised; cleared when it rises
  -- above again, so the event is raised once per crossing.
  low_stock_alerted    boolean NOT NULL DEFAULT false,
  version              bigint NOT NULL DEFAULT 0 CHECK (version >= 0),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (warehouse_code, sku),
  CONSTRAINT stock_levels_held_within_on_hand CHECK (reserved + committed <= on_hand)
);

CREATE INDEX stock_levels_sku_idx ON stock_levels (sku);

-- Lots split a level's sellable units by expiry for FEFO allocation. lot_code '' is the untracked lot.
-- allocated = units of the lot held by reservations (reserved or committed).
CREATE TABLE stock_lots (
  warehouse_code  text NOT NULL,
  sku             text NOT NULL,
  lot_code        text NOT NULL CHECK (lot_code ~ '^([A-Za-z0-9][A-Za-z0-9._-]{0,63})?$'),
  expires_on      date,
  on_hand         bigint NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
  allocated       bigint NOT NULL DEFAULT 0 CHECK (allocated >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (warehouse_code, sku, lot_code),
  FOREIGN KEY (warehouse_code, sku) REFERENCES stock_levels (warehouse_code, sku),
  CONSTRAINT stock_lots_allocated_within_on_hand CHECK (allocated <= on_hand),
  CHECK (lot_code <> '' OR expires_on IS NULL)
);

-- Append-only: every change to any bucket, with its deltas and the balances it left.
CREATE TABLE stock_movements (
  movement_id            bigserial PRIMARY KEY,
  occurred_at            timestamptz NOT NULL DEFAULT now(),
  warehouse_code         text NOT NULL,
  sku                    text NOT NULL,
  lot_code               text,
  reason                 text NOT NULL CHECK (reason IN (
                           'receipt', 'reserve', 'release', 'expire', 'confirm', 'cancel', 'ship',
                           'return_sellable', 'return_damaged', 'qc_hold', 'qc_pass', 'qc_fail',
                           'adjust_damage', 'adjust_loss', 'adjust_found', 'adjust_correction',
                           'cycle_count', 'transfer_out', 'transfer_in', 'policy')),
  actor                  text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  reference_type         text NOT NULL DEFAULT '',
  reference_id           text NOT NULL DEFAULT '',
  on_hand_delta          bigint NOT NULL DEFAULT 0,
  reserved_delta         bigint NOT NULL DEFAULT 0,
  committed_delta        bigint NOT NULL DEFAULT 0,
  safety_stock_delta     bigint NOT NULL DEFAULT 0,
  damaged_delta          bigint NOT NULL DEFAULT 0,
  quality_control_delta  bigint NOT NULL DEFAULT 0,
  incoming_delta         bigint NOT NULL DEFAULT 0,
  on_hand_after          bigint NOT NULL,
  reserved_after         bigint NOT NULL,
  committed_after        bigint NOT NULL,
  safety_stock_after     bigint NOT NULL,
  damaged_after          bigint NOT NULL,
  quality_control_after  bigint NOT NULL,
  incoming_after         bigint NOT NULL,
  level_version          bigint NOT NULL,
  FOREIGN KEY (warehouse_code, sku) REFERENCES stock_levels (warehouse_code, sku)
);

CREATE INDEX stock_movements_level_idx ON stock_movements (warehouse_code, sku, movement_id);
CREATE INDEX stock_movements_reference_idx ON stock_movements (reference_id) WHERE reference_id <> '';
CREATE INDEX stock_movements_occurred_idx ON stock_movements (occurred_at);

CREATE FUNCTION refuse_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock_movements is append-only (% refused)', TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER stock_movements_append_only
  BEFORE UPDATE OR DELETE ON stock_movements
  FOR EACH ROW EXECUTE FUNCTION refuse_ledger_rewrite();

CREATE TRIGGER stock_movements_no_truncate
  BEFORE TRUNCATE ON stock_movements
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_rewrite();
