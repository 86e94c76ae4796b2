-- The availability projection, fed by warehouse.stock.v1. One row per (sku, warehouse) holding the
-- newest level the warehouse reported; a row is replaced only by a newer level_version, so duplicate and
-- out-of-order events cannot move it backwards. Totals are summed from these rows at read time (the view
-- below), never kept as a counter, so one warehouse's late event cannot skew another's share.

CREATE TABLE availability_by_warehouse (
  sku            text NOT NULL CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  warehouse_code text NOT NULL CHECK (warehouse_code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
  available      bigint NOT NULL CHECK (available >= 0),
  on_hand        bigint NOT NULL CHECK (on_hand >= 0),
  reserved       bigint NOT NULL CHECK (reserved >= 0),
  committed      bigint NOT NULL CHECK (committed >= 0),
  level_version  bigint NOT NULL CHECK (level_version >= 1),
  -- When the warehouse changed the level (the event's time), not when the catalog applied it.
  updated_at     timestamptz NOT NULL,
  applied_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, warehouse_code)
);

CREATE VIEW availability_totals AS
SELECT sku,
       sum(available)::bigint AS total_available,
       sum(on_hand)::bigint   AS total_on_hand,
       max(updated_at)        AS last_updated_at,
       count(*)::int          AS warehouse_count
FROM availability_by_warehouse
GROUP BY sku;
