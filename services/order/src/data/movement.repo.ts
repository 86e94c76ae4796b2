// Fulfillment facts applied to order lines: a movement row per (line, kind, fact), inserted once (the
// primary key absorbs a fact seen again), and the line's quantities written back as the domain moved
// them. The order row is locked first, so facts, cancellations and refunds of one order go one by one.
import { type Executor, sql } from "@stockroom/db";
import type { LineQuantities } from "../domain/line-fulfillment.ts";
import type { OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export type MovementKind = "shipped" | "delivered" | "short" | "returned" | "uncancelled";

// Locks the order row for the rest of the transaction; false when there is no such order.
export async function lockOrder(db: Db, orderId: string): Promise<boolean> {
  const row = await sql<{ order_id: string }>`
    SELECT order_id FROM orders WHERE order_id = ${orderId} FOR UPDATE`.execute(db);
  return row.rows.length === 1;
}

// True when this fact had not moved this line yet (the row is now recorded).
export async function recordMovement(
  db: Db,
  movement: {
    orderId: string;
    lineNumber: number;
    kind: MovementKind;
    sourceKey: string;
    quantity: number;
    warehouseCode: string | null;
    occurredAt: Date;
  },
): Promise<boolean> {
  const row = await db
    .insertInto("order_line_movements")
    .values({
      order_id: movement.orderId,
      line_number: movement.lineNumber,
      kind: movement.kind,
      source_key: movement.sourceKey,
      quantity: movement.quantity,
      warehouse_code: movement.warehouseCode,
      occurred_at: movement.occurredAt,
    })
    .onConflict((oc) => oc.columns(["order_id", "line_number", "kind", "source_key"]).doNothing())
    .returning("line_number")
    .executeTakeFirst();
  return row !== undefined;
}

export async function movementExists(
  db: Db,
  orderId: string,
  lineNumber: number,
  kind: MovementKind,
  sourceKey: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("order_line_movements")
    .select("line_number")
    .where("order_id", "=", orderId)
    .where("line_number", "=", lineNumber)
    .where("kind", "=", kind)
    .where("source_key", "=", sourceKey)
    .executeTakeFirst();
  return row !== undefined;
}

export async function writeLineQuantities(
  db: Db,
  orderId: string,
  lineNumber: number,
  q: LineQuantities,
  fulfillmentStatus: string,
): Promise<void> {
  await db
    .updateTable("order_lines")
    .set({
      allocated: q.allocated,
      shipped: q.shipped,
      delivered: q.delivered,
      short_quantity: q.short,
      returned: q.returned,
      cancelled: q.cancelled,
      fulfillment_status: fulfillmentStatus,
    })
    .where("order_id", "=", orderId)
    .where("line_number", "=", lineNumber)
    .execute();
}

export async function addRefundedUnits(
  db: Db,
  orderId: string,
  units: readonly { lineNumber: number; quantity: number }[],
): Promise<void> {
  for (const u of units) {
    await sql`
      UPDATE order_lines SET refunded_units = LEAST(ordered, refunded_units + ${u.quantity})
      WHERE order_id = ${orderId} AND line_number = ${u.lineNumber}`.execute(db);
  }
}

// The order's fulfillment status (and optionally its status) after its lines moved; its version moves on.
export async function setOrderFulfillment(
  db: Db,
  orderId: string,
  change: { fulfillmentStatus: string; status?: string; attentionReason?: string | null },
): Promise<number> {
  const row = await db
    .updateTable("orders")
    .set({
      fulfillment_status: change.fulfillmentStatus,
      ...(change.status ? { status: change.status } : {}),
      ...(change.attentionReason !== undefined ? { attention_reason: change.attentionReason } : {}),
      version: sql<string>`version + 1`,
      updated_at: new Date(),
    })
    .where("order_id", "=", orderId)
    .returning("version")
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

export async function setOrderAttention(db: Db, orderId: string, reason: string | null): Promise<void> {
  await db
    .updateTable("orders")
    .set({ attention_reason: reason, updated_at: new Date() })
    .where("order_id", "=", orderId)
    .execute();
}

export interface PurchasedLineRow {
  orderId: string;
  lineNumber: number;
  sku: string;
  delivered: number;
  returned: number;
  deliveredAt: Date | null;
}

// A customer's delivered lines of a sku, newest order first, with when their first units arrived.
export async function findDeliveredLines(
  db: Db,
  customerId: string,
  sku: string,
): Promise<PurchasedLineRow[]> {
  const rows = await sql<{
    order_id: string;
    line_number: number;
    sku: string;
    delivered: number;
    returned: number;
    delivered_at: Date | null;
  }>`
    SELECT l.order_id, l.line_number, l.sku, l.delivered, l.returned,
           (SELECT min(m.occurred_at) FROM order_line_movements m
             WHERE m.order_id = l.order_id AND m.line_number = l.line_number AND m.kind = 'delivered') AS delivered_at
      FROM order_lines l JOIN orders o ON o.order_id = l.order_id
     WHERE o.customer_id = ${customerId} AND l.sku = ${sku} AND l.delivered > 0
     ORDER BY l.order_id DESC, l.line_number
     LIMIT 100`.execute(db);
  return rows.rows.map((r) => ({
    orderId: r.order_id,
    lineNumber: r.line_number,
    sku: r.sku,
    delivered: r.delivered,
    returned: r.returned,
    deliveredAt: r.delivered_at,
  }));
}
