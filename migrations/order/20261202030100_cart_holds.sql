-- Stock holds of carts in from_add_to_cart mode (ORD-P1-01): one row per warehouse reservation a cart
-- made, with its life. The intent is written before the warehouse is asked (`reserving`: the Reserve
-- call's key is `cart-hold:<hold_id>`, so a crash in between leaves a row the abandoned-cart worker
-- resolves), the cart's current hold is `held` (at most one per cart, the one carts.hold_reservation_id
-- names), a superseded or abandoned hold is `releasing` until the warehouse released it (`released`),
-- a Reserve that found too little stock held nothing (`refused`), and StartCheckout hands the current
-- hold to its checkout (`handed_over`), whose saga confirms it instead of reserving anew.

CREATE TABLE cart_holds (
  hold_id         uuid PRIMARY KEY,
  cart_id         uuid NOT NULL REFERENCES carts (cart_id),
  status          text NOT NULL CHECK (status IN ('reserving', 'held', 'releasing', 'released', 'refused', 'handed_over')),
  -- The demand reserved, per sku and warehouse: [{sku, warehouseCode, quantity}].
  lines           jsonb NOT NULL CHECK (jsonb_typeof(lines) = 'array'),
  payment_method  text NOT NULL CHECK (payment_method IN ('card', 'e_wallet', 'bank_transfer', 'cash_on_delivery')),
  ttl_ms          integer NOT NULL CHECK (ttl_ms > 0),
  reservation_id  uuid,
  expires_at      timestamptz,
  -- The checkout that took the hold over.
  checkout_id     uuid,
  -- A worker releasing the hold owns it until then (no two release it at once).
  lease_until     timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (status NOT IN ('held', 'handed_over') OR reservation_id IS NOT NULL),
  CHECK (status <> 'handed_over' OR checkout_id IS NOT NULL),
  CHECK (status <> 'refused' OR reservation_id IS NULL)
);

CREATE UNIQUE INDEX cart_holds_one_held_per_cart ON cart_holds (cart_id) WHERE status = 'held';
CREATE UNIQUE INDEX cart_holds_one_per_checkout ON cart_holds (checkout_id) WHERE checkout_id IS NOT NULL;
-- The worker: holds to release, and intents left behind by a crash.
CREATE INDEX cart_holds_unsettled_idx ON cart_holds (updated_at) WHERE status IN ('reserving', 'releasing');
CREATE INDEX cart_holds_cart_idx ON cart_holds (cart_id, status);
