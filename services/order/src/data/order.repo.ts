// Orders, their lines and allocations: named queries. Status moves are guarded
// (`WHERE status = ANY($from)`), so two racing commands cannot both win.
import { type Executor, sql } from "@stockroom/db";
import type { OrderStatus } from "../domain/order-status.ts";
import type { OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export interface OrderLineRecord {
  lineNumber: number;
  sku: string;
  productName: string;
  requestedWarehouseCode: string | null;
  unitPriceMinor: number;
  ordered: number;
  allocated: number;
  shipped: number;
  delivered: number;
  short: number;
  returned: number;
  cancelled: number;
  fulfillmentStatus: string;
  allocations: { warehouseCode: string; lotCode: string; quantity: number }[];
}

export interface OrderRecord {
  orderId: string;
  checkoutId: string;
  cartId: string;
  customerId: string;
  status: OrderStatus;
  paymentStatus: string;
  fulfillmentStatus: string;
  currency: string;
  subtotalMinor: number;
  totalMinor: number;
  shippingDestination: Record<string, unknown>;
  paymentMethod: string;
  shortfall: unknown[];
  cancelledBy: string | null;
  cancelReason: string | null;
  version: number;
  createdAt: Date;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  updatedAt: Date;
  // Set when a refund or provider call after checkout kept failing (ops must look).
  attentionReason: string | null;
  lines: OrderLineRecord[];
}

export async function insertPendingOrder(
  db: Db,
  order: {
    orderId: string;
    checkoutId: string;
    cartId: string;
    customerId: string;
    currency: string;
    shippingDestination: Record<string, unknown>;
    paymentMethod: string;
  },
): Promise<void> {
  await db
    .insertInto("orders")
    .values({
      order_id: order.orderId,
      checkout_id: order.checkoutId,
      cart_id: order.cartId,
      customer_id: order.customerId,
      currency: order.currency,
      subtotal_minor: 0,
      total_minor: 0,
      shipping_destination: JSON.stringify(order.shippingDestination),
      payment_method: order.paymentMethod,
      cancelled_by: null,
      cancel_reason: null,
      confirmed_at: null,
      cancelled_at: null,
    })
    .execute();
}

// The checkout's price snapshot: the lines as priced, the totals.
export async function snapshotOrderLines(
  db: Db,
  orderId: string,
  currency: string,
  lines: readonly {
    lineNumber: number;
    sku: string;
    productName: string;
    warehouseCode: string | null;
    unitPriceMinor: number;
    quantity: number;
  }[],
  totalMinor: number,
): Promise<void> {
  await db.deleteFrom("order_lines").where("order_id", "=", orderId).execute();
  await db
    .insertInto("order_lines")
    .values(
      lines.map((l) => ({
        order_id: orderId,
        line_number: l.lineNumber,
        sku: l.sku,
        product_name: l.productName,
        requested_warehouse_code: l.warehouseCode,
        unit_price_minor: l.unitPriceMinor,
        currency,
        ordered: l.quantity,
      })),
    )
    .execute();
  await db
    .updateTable("orders")
    .set({ subtotal_minor: totalMinor, total_minor: totalMinor, updated_at: new Date() })
    .where("order_id", "=", orderId)
    .execute();
}

export async function insertAllocations(
  db: Db,
  orderId: string,
  allocations: readonly { lineNumber: number; warehouseCode: string; lotCode: string; quantity: number }[],
): Promise<void> {
  if (allocations.length === 0) return;
  await db
    .insertInto("order_line_allocations")
    .values(
      allocations.map((a) => ({
        order_id: orderId,
        line_number: a.lineNumber,
        warehouse_code: a.warehouseCode,
        lot_code: a.lotCode,
        quantity: a.quantity,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["order_id", "line_number", "warehouse_code", "lot_code"]).doUpdateSet((eb) => ({
        quantity: eb.ref("excluded.quantity"),
      })),
    )
    .execute();
  await sql`
    UPDATE order_lines l SET allocated = a.total
    FROM (SELECT line_number, sum(quantity)::int AS total FROM order_line_allocations
          WHERE order_id = ${orderId} GROUP BY line_number) a
    WHERE l.order_id = ${orderId} AND l.line_number = a.line_number`.execute(db);
}

export interface OrderStatusChange {
  status: OrderStatus;
  paymentStatus?: string;
  confirmedAt?: Date;
  cancelledAt?: Date;
  cancelledBy?: string;
  cancelReason?: string;
  shortfall?: unknown[];
}

// Guarded: the new version when the order was in one of `from`, undefined when another command won.
export async function moveOrderStatus(
  db: Db,
  orderId: string,
  from: readonly OrderStatus[],
  change: OrderStatusChange,
): Promise<number | undefined> {
  const row = await db
    .updateTable("orders")
    .set({
      status: change.status,
      ...(change.paymentStatus ? { payment_status: change.paymentStatus } : {}),
      ...(change.confirmedAt ? { confirmed_at: change.confirmedAt } : {}),
      ...(change.cancelledAt ? { cancelled_at: change.cancelledAt } : {}),
      ...(change.cancelledBy ? { cancelled_by: change.cancelledBy } : {}),
      ...(change.cancelReason !== undefined ? { cancel_reason: change.cancelReason } : {}),
      ...(change.shortfall ? { shortfall: JSON.stringify(change.shortfall) } : {}),
      version: sql<string>`version + 1`,
      updated_at: new Date(),
    })
    .where("order_id", "=", orderId)
    .where("status", "in", [...from])
    .returning("version")
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

export async function setOrderPaymentStatus(db: Db, orderId: string, paymentStatus: string): Promise<void> {
  await db
    .updateTable("orders")
    .set({ payment_status: paymentStatus, updated_at: new Date() })
    .where("order_id", "=", orderId)
    .execute();
}

// Cancels every unshipped unit of every line (a cancelled order keeps only what shipped).
export async function cancelUnshippedLines(db: Db, orderId: string): Promise<void> {
  await sql`
    UPDATE order_lines
    SET cancelled = cancelled + (ordered - shipped - short_quantity - cancelled), allocated = shipped
    WHERE order_id = ${orderId}`.execute(db);
}

export async function findOrder(db: Db, orderId: string): Promise<OrderRecord | undefined> {
  const row = await db.selectFrom("orders").selectAll().where("order_id", "=", orderId).executeTakeFirst();
  if (!row) return undefined;
  const [lines, allocations] = await Promise.all([
    db.selectFrom("order_lines").selectAll().where("order_id", "=", orderId).orderBy("line_number").execute(),
    db.selectFrom("order_line_allocations").selectAll().where("order_id", "=", orderId).execute(),
  ]);
  return {
    orderId: row.order_id,
    checkoutId: row.checkout_id,
    cartId: row.cart_id,
    customerId: row.customer_id,
    status: row.status as OrderStatus,
    paymentStatus: row.payment_status,
    fulfillmentStatus: row.fulfillment_status,
    currency: row.currency,
    subtotalMinor: Number(row.subtotal_minor),
    totalMinor: Number(row.total_minor),
    shippingDestination: row.shipping_destination,
    paymentMethod: row.payment_method,
    shortfall: row.shortfall,
    cancelledBy: row.cancelled_by,
    cancelReason: row.cancel_reason,
    version: Number(row.version),
    createdAt: row.created_at,
    confirmedAt: row.confirmed_at,
    cancelledAt: row.cancelled_at,
    updatedAt: row.updated_at,
    attentionReason: row.attention_reason,
    lines: lines.map((l) => ({
      lineNumber: l.line_number,
      sku: l.sku,
      productName: l.product_name,
      requestedWarehouseCode: l.requested_warehouse_code,
      unitPriceMinor: Number(l.unit_price_minor),
      ordered: l.ordered,
      allocated: l.allocated,
      shipped: l.shipped,
      delivered: l.delivered,
      short: l.short_quantity,
      returned: l.returned,
      cancelled: l.cancelled,
      fulfillmentStatus: l.fulfillment_status,
      allocations: allocations
        .filter((a) => a.line_number === l.line_number)
        .map((a) => ({ warehouseCode: a.warehouse_code, lotCode: a.lot_code, quantity: a.quantity })),
    })),
  };
}

// One customer's order ids, newest first (order ids are UUIDv7: time-ordered), after the cursor id.
export async function listOrderIds(
  db: Db,
  query: { customerId: string; statuses: readonly string[]; afterOrderId?: string; limit: number },
): Promise<string[]> {
  let q = db
    .selectFrom("orders")
    .select("order_id")
    .where("customer_id", "=", query.customerId)
    .orderBy("order_id", "desc")
    .limit(query.limit);
  if (query.statuses.length > 0) q = q.where("status", "in", [...query.statuses]);
  if (query.afterOrderId) q = q.where("order_id", "<", query.afterOrderId);
  const rows = await q.execute();
  return rows.map((r) => r.order_id);
}

// One more event of the order in the same transaction: its aggregate version moves on.
export async function bumpOrderVersion(db: Db, orderId: string): Promise<void> {
  await db
    .updateTable("orders")
    .set({ version: sql<string>`version + 1` })
    .where("order_id", "=", orderId)
    .execute();
}
