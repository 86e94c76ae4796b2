// What the cart-hold tests look at, in both schemas: the warehouse's reserved units and its active
// cart reservations, releases applied twice (never expected), and the order schema's holds.
import { sql } from "kysely";
import type { OrderFixture } from "./order-fixture.ts";

export async function reservedUnits(f: OrderFixture, sku: string): Promise<number> {
  const { rows } = await sql<{ reserved: number }>`
    SELECT coalesce(sum(reserved), 0)::int AS reserved FROM stock_levels WHERE sku = ${sku}`.execute(
    f.warehouse.db,
  );
  return rows[0]?.reserved ?? 0;
}

export async function activeCartReservations(f: OrderFixture, cartId?: string): Promise<string[]> {
  const ofCart = cartId ? sql`AND reference_id = ${cartId}` : sql``;
  const { rows } = await sql<{ reservation_id: string }>`
    SELECT reservation_id FROM reservations WHERE reference_type = 'cart' AND status = 'active' ${ofCart}
    ORDER BY reservation_id`.execute(f.warehouse.db);
  return rows.map((r) => r.reservation_id);
}

// Stock movements that released (or expired) one reservation's line more than once.
export async function releasedTwice(f: OrderFixture): Promise<unknown[]> {
  const { rows } = await sql`
    SELECT reference_id, sku, warehouse_code, count(*)::int AS n FROM stock_movements
    WHERE reason IN ('release', 'expire') AND reference_type = 'reservation'
    GROUP BY reference_id, sku, warehouse_code HAVING count(*) > 1`.execute(f.warehouse.db);
  return rows;
}

export interface HoldRow {
  hold_id: string;
  cart_id: string;
  status: string;
  reservation_id: string | null;
  lines: { sku: string; warehouseCode: string | null; quantity: number }[];
}

export async function holdsOf(f: OrderFixture, cartId?: string): Promise<HoldRow[]> {
  const { rows } = await f.orderSchema.pool.query<HoldRow>(
    `SELECT hold_id, cart_id, status, reservation_id, lines FROM cart_holds
     ${cartId ? "WHERE cart_id = $1" : ""} ORDER BY created_at`,
    cartId ? [cartId] : [],
  );
  return rows;
}
