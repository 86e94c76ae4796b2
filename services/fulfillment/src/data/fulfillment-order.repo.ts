// Fulfillment orders and their lines: named queries, each transition a guarded UPDATE repeating the
// domain's `from` statuses (domain/fulfillment-order.ts), so two racing commands cannot both win.
import { type Kysely, sql, type Transaction } from "@stockroom/db";
import type { LineUnits } from "../domain/fulfillment-line.ts";
import {
  FULFILLMENT_TRANSITIONS,
  type FulfillmentCommand,
  type FulfillmentStatus,
} from "../domain/fulfillment-order.ts";
import type { FulfillmentDatabase } from "./database.ts";

type Db = Kysely<FulfillmentDatabase> | Transaction<FulfillmentDatabase>;

export interface NewFulfillment {
  fulfillmentId: string;
  orderId: string;
  customerId: string;
  warehouseCode: string;
  reservationId: string;
  currency: string;
  orderValueMinor: number;
  lines: { orderLineNumber: number; sku: string; lotCode: string; unitPriceMinor: number; ordered: number }[];
}

export interface FulfillmentRow {
  fulfillmentId: string;
  orderId: string;
  customerId: string;
  warehouseCode: string;
  reservationId: string;
  status: FulfillmentStatus;
  currency: string;
  orderValueMinor: number;
  pickListId: string | null;
  version: number;
  lines: (LineUnits & {
    orderLineNumber: number;
    reservationLineNumber: number | null;
    sku: string;
    lotCode: string;
    unitPriceMinor: number;
  })[];
}

// Inserts the fulfillment (verifying) and its lines; false when the order already has one in that
// warehouse (a redelivered or raced OrderConfirmed), and then nothing is written.
export async function insertFulfillment(
  trx: Transaction<FulfillmentDatabase>,
  f: NewFulfillment,
): Promise<boolean> {
  const inserted = await trx
    .insertInto("fulfillment_orders")
    .values({
      fulfillment_id: f.fulfillmentId,
      order_id: f.orderId,
      customer_id: f.customerId,
      warehouse_code: f.warehouseCode,
      reservation_id: f.reservationId,
      currency: f.currency,
      order_value_minor: f.orderValueMinor,
    })
    .onConflict((oc) => oc.constraint("fulfillment_orders_one_per_order_warehouse").doNothing())
    .returning("fulfillment_id")
    .executeTakeFirst();
  if (!inserted) return false;
  await trx
    .insertInto("fulfillment_lines")
    .values(
      f.lines.map((l) => ({
        fulfillment_id: f.fulfillmentId,
        order_line_number: l.orderLineNumber,
        sku: l.sku,
        lot_code: l.lotCode,
        unit_price_minor: l.unitPriceMinor,
        ordered: l.ordered,
      })),
    )
    .execute();
  return true;
}

export async function findFulfillment(db: Db, fulfillmentId: string): Promise<FulfillmentRow | undefined> {
  const order = await db
    .selectFrom("fulfillment_orders")
    .selectAll()
    .where("fulfillment_id", "=", fulfillmentId)
    .executeTakeFirst();
  if (!order) return undefined;
  const lines = await db
    .selectFrom("fulfillment_lines")
    .selectAll()
    .where("fulfillment_id", "=", fulfillmentId)
    .orderBy("order_line_number")
    .execute();
  return {
    fulfillmentId: order.fulfillment_id,
    orderId: order.order_id,
    customerId: order.customer_id,
    warehouseCode: order.warehouse_code,
    reservationId: order.reservation_id,
    status: order.status,
    currency: order.currency,
    orderValueMinor: Number(order.order_value_minor),
    pickListId: order.pick_list_id,
    version: Number(order.version),
    lines: lines.map((l) => ({
      orderLineNumber: l.order_line_number,
      reservationLineNumber: l.reservation_line_number,
      sku: l.sku,
      lotCode: l.lot_code,
      unitPriceMinor: Number(l.unit_price_minor),
      ordered: l.ordered,
      picked: l.picked,
      packed: l.packed,
      shipped: l.shipped,
      short: l.short_quantity,
      cancelled: l.cancelled,
      qcFailed: l.qc_failed,
      delivered: l.delivered,
      returned: l.returned,
      restocked: l.restocked,
    })),
  };
}

export async function findFulfillmentIdsOfOrder(db: Db, orderId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("fulfillment_orders")
    .select("fulfillment_id")
    .where("order_id", "=", orderId)
    .orderBy("warehouse_code")
    .execute();
  return rows.map((r) => r.fulfillment_id);
}

// The guarded transition: moves the status and bumps the version only if the status is still one the
// command may start from. Returns the new version, or undefined when another command won.
export async function transitionFulfillment(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  command: FulfillmentCommand,
  now: Date,
  extra: { cancelReason?: string; pickListId?: string } = {},
): Promise<number | undefined> {
  const rule = FULFILLMENT_TRANSITIONS[command];
  const to = rule.to;
  const row = await trx
    .updateTable("fulfillment_orders")
    .set({
      status: to,
      version: sql<string>`version + 1`,
      updated_at: now,
      ...(to === "cancelled" && { cancelled_at: now, cancel_reason: extra.cancelReason ?? null }),
      ...(to === "shipped" && { shipped_at: now }),
      ...(to === "delivered" && { delivered_at: now }),
      ...(extra.pickListId !== undefined && { pick_list_id: extra.pickListId }),
    })
    .where("fulfillment_id", "=", fulfillmentId)
    .where("status", "in", [...rule.from])
    .returning("version")
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

export async function setReservationLines(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  reservationLineOf: ReadonlyMap<number, number>,
): Promise<void> {
  for (const [orderLineNumber, reservationLineNumber] of reservationLineOf) {
    await trx
      .updateTable("fulfillment_lines")
      .set({ reservation_line_number: reservationLineNumber })
      .where("fulfillment_id", "=", fulfillmentId)
      .where("order_line_number", "=", orderLineNumber)
      .execute();
  }
}

// Every unit not shipped, short or cancelled becomes short (a refused verification): the line's
// CHECKs hold because nothing was picked yet.
export async function markUnpickedShort(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
): Promise<void> {
  await trx
    .updateTable("fulfillment_lines")
    .set({ short_quantity: sql<number>`ordered - picked - cancelled` })
    .where("fulfillment_id", "=", fulfillmentId)
    .execute();
}

// A cancel: what was neither shipped nor short is cancelled, and picked/packed fall back to shipped
// (the units put back), as domain/fulfillment-line.ts cancelUnshipped computes.
export async function cancelUnshippedLines(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
): Promise<{ orderLineNumber: number; sku: string; lotCode: string; cancelled: number; putBack: number }[]> {
  const rows = await trx
    .updateTable("fulfillment_lines as l")
    .from("fulfillment_lines as before")
    .set({
      cancelled: sql<number>`l.ordered - l.shipped - l.short_quantity`,
      picked: sql<number>`l.shipped`,
      packed: sql<number>`l.shipped`,
    })
    .whereRef("before.fulfillment_id", "=", "l.fulfillment_id")
    .whereRef("before.order_line_number", "=", "l.order_line_number")
    .where("l.fulfillment_id", "=", fulfillmentId)
    .returning([
      "l.order_line_number",
      "l.sku",
      "l.lot_code",
      sql<number>`l.cancelled - before.cancelled`.as("cancelled_now"),
      sql<number>`before.picked - before.shipped`.as("put_back"),
    ])
    .execute();
  return rows.map((r) => ({
    orderLineNumber: r.order_line_number,
    sku: r.sku,
    lotCode: r.lot_code,
    cancelled: Number(r.cancelled_now),
    putBack: Number(r.put_back),
  }));
}

// OPEN fulfillments of a warehouse for a wave, oldest first (or exactly `ids`); `lock` skips rows
// another BuildWave holds, so two waves never take one fulfillment.
export async function listOpenFulfillmentIds(
  db: Db,
  warehouseCode: string,
  options: { limit: number; ids?: readonly string[] | undefined; lock?: boolean },
): Promise<string[]> {
  let query = db
    .selectFrom("fulfillment_orders")
    .select("fulfillment_id")
    .where("warehouse_code", "=", warehouseCode)
    .where("status", "=", "open")
    .orderBy("created_at")
    .orderBy("fulfillment_id")
    .limit(options.limit);
  if (options.ids !== undefined) query = query.where("fulfillment_id", "in", [...options.ids]);
  if (options.lock) query = query.forUpdate().skipLocked();
  return (await query.execute()).map((r) => r.fulfillment_id);
}

// A scan's units on the fulfillment line (the line's CHECKs bound them).
export async function addPickedUnits(
  trx: Transaction<FulfillmentDatabase>,
  fulfillmentId: string,
  orderLineNumber: number,
  picked: number,
  short: number,
): Promise<void> {
  await trx
    .updateTable("fulfillment_lines")
    .set({
      picked: sql<number>`picked + ${picked}`,
      short_quantity: sql<number>`short_quantity + ${short}`,
    })
    .where("fulfillment_id", "=", fulfillmentId)
    .where("order_line_number", "=", orderLineNumber)
    .execute();
}
