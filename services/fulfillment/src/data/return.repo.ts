// Returns (RMA), their lines and per-unit dispositions: named queries; each transition a guarded UPDATE
// repeating the domain's `from` statuses (domain/return-rules.ts). Restocked units are added per line,
// on the return line and on the fulfillment line, inside the CHECKs restocked <= inspected and
// restocked <= returned, so nothing restocks twice.
import { type Kysely, sql, type Transaction } from "@stockroom/db";
import {
  type DispositionCounts,
  RETURN_TRANSITIONS,
  type ReturnCommand,
  type ReturnReason,
  type ReturnStatus,
} from "../domain/return-rules.ts";
import type { FulfillmentDatabase } from "./database.ts";

type Db = Kysely<FulfillmentDatabase> | Transaction<FulfillmentDatabase>;

export interface ReturnRow {
  returnId: string;
  fulfillmentId: string;
  orderId: string;
  customerId: string;
  status: ReturnStatus;
  reason: ReturnReason;
  warehouseCode: string | null;
  currency: string;
  refundMinor: number | null;
  version: number;
  note: string;
  // ISO 8601 (the row is also a stored idempotent answer, JSON).
  requestedAt: string;
  updatedAt: string;
  lines: {
    orderLineNumber: number;
    sku: string;
    requested: number;
    received: number;
    sellable: number;
    damaged: number;
    needsQc: number;
    restocked: number;
    refundMinor: number | null;
  }[];
}

export async function insertReturn(
  trx: Transaction<FulfillmentDatabase>,
  r: {
    returnId: string;
    fulfillmentId: string;
    orderId: string;
    customerId: string;
    reason: ReturnReason;
    note: string;
    currency: string;
    lines: { orderLineNumber: number; sku: string; requested: number }[];
  },
  now: Date,
): Promise<void> {
  await trx
    .insertInto("returns")
    .values({
      return_id: r.returnId,
      fulfillment_id: r.fulfillmentId,
      order_id: r.orderId,
      customer_id: r.customerId,
      reason: r.reason,
      note: r.note,
      currency: r.currency,
      requested_at: now,
      updated_at: now,
    })
    .execute();
  await trx
    .insertInto("return_lines")
    .values(
      r.lines.map((l) => ({
        return_id: r.returnId,
        fulfillment_id: r.fulfillmentId,
        order_line_number: l.orderLineNumber,
        sku: l.sku,
        requested: l.requested,
      })),
    )
    .execute();
  // Asked back units count against what was delivered (CHECK returned <= delivered), across returns.
  for (const l of r.lines) {
    await trx
      .updateTable("fulfillment_lines")
      .set({ returned: sql<number>`returned + ${l.requested}` })
      .where("fulfillment_id", "=", r.fulfillmentId)
      .where("order_line_number", "=", l.orderLineNumber)
      .execute();
  }
}

export async function findReturn(db: Db, returnId: string): Promise<ReturnRow | undefined> {
  const r = await db.selectFrom("returns").selectAll().where("return_id", "=", returnId).executeTakeFirst();
  if (!r) return undefined;
  const lines = await db
    .selectFrom("return_lines")
    .selectAll()
    .where("return_id", "=", returnId)
    .orderBy("order_line_number")
    .execute();
  return {
    returnId: r.return_id,
    fulfillmentId: r.fulfillment_id,
    orderId: r.order_id,
    customerId: r.customer_id,
    status: r.status,
    reason: r.reason,
    warehouseCode: r.warehouse_code,
    currency: r.currency,
    refundMinor: r.refund_minor === null ? null : Number(r.refund_minor),
    version: Number(r.version),
    note: r.note,
    requestedAt: r.requested_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    lines: lines.map((l) => ({
      orderLineNumber: l.order_line_number,
      sku: l.sku,
      requested: l.requested,
      received: l.received,
      sellable: l.sellable,
      damaged: l.damaged,
      needsQc: l.needs_qc,
      restocked: l.restocked,
      refundMinor: l.refund_minor === null ? null : Number(l.refund_minor),
    })),
  };
}

// The guarded transition; the new version, or undefined when another command won.
export async function transitionReturn(
  trx: Transaction<FulfillmentDatabase>,
  returnId: string,
  command: ReturnCommand,
  now: Date,
  extra: { warehouseCode?: string; refundMinor?: number; rejectionReason?: string } = {},
): Promise<number | undefined> {
  const rule = RETURN_TRANSITIONS[command];
  const row = await trx
    .updateTable("returns")
    .set({
      status: rule.to,
      version: sql<string>`version + 1`,
      updated_at: now,
      ...(command === "authorize" && { authorized_at: now }),
      ...(command === "reject" && { rejection_reason: extra.rejectionReason ?? "rejected" }),
      ...(command === "receive" && { received_at: now, warehouse_code: extra.warehouseCode ?? null }),
      ...(command === "inspect" && { inspected_at: now, refund_minor: extra.refundMinor ?? 0 }),
      ...(command === "close" && { closed_at: now }),
    })
    .where("return_id", "=", returnId)
    .where("status", "in", [...rule.from])
    .returning("version")
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

export async function setReceivedUnits(
  trx: Transaction<FulfillmentDatabase>,
  returnId: string,
  received: ReadonlyMap<number, number>,
): Promise<void> {
  for (const [orderLineNumber, quantity] of received) {
    await trx
      .updateTable("return_lines")
      .set({ received: quantity })
      .where("return_id", "=", returnId)
      .where("order_line_number", "=", orderLineNumber)
      .execute();
  }
}

// The inspection's counts per line, their refund, and one disposition row per unit.
export async function recordInspection(
  trx: Transaction<FulfillmentDatabase>,
  returnId: string,
  counts: ReadonlyMap<number, DispositionCounts>,
  refunds: ReadonlyMap<number, number>,
  now: Date,
): Promise<void> {
  for (const [orderLineNumber, c] of counts) {
    await trx
      .updateTable("return_lines")
      .set({
        sellable: c.sellable,
        damaged: c.damaged,
        needs_qc: c.needs_qc,
        refund_minor: refunds.get(orderLineNumber) ?? 0,
      })
      .where("return_id", "=", returnId)
      .where("order_line_number", "=", orderLineNumber)
      .execute();
    const units: { condition: "sellable" | "damaged" | "needs_qc" }[] = [
      ...Array.from({ length: c.sellable }, () => ({ condition: "sellable" as const })),
      ...Array.from({ length: c.damaged }, () => ({ condition: "damaged" as const })),
      ...Array.from({ length: c.needs_qc }, () => ({ condition: "needs_qc" as const })),
    ];
    if (units.length === 0) continue;
    await trx
      .insertInto("return_unit_dispositions")
      .values(
        units.map((u, i) => ({
          return_id: returnId,
          order_line_number: orderLineNumber,
          unit_index: i + 1,
          condition: u.condition,
          inspected_at: now,
        })),
      )
      .execute();
  }
}

// Units the warehouse took back for one line: on the return line and the fulfillment line, at once.
export async function addRestockedUnits(
  trx: Transaction<FulfillmentDatabase>,
  r: { returnId: string; fulfillmentId: string; orderLineNumber: number; quantity: number },
): Promise<void> {
  await trx
    .updateTable("return_lines")
    .set({ restocked: sql<number>`restocked + ${r.quantity}` })
    .where("return_id", "=", r.returnId)
    .where("order_line_number", "=", r.orderLineNumber)
    .execute();
  await trx
    .updateTable("fulfillment_lines")
    .set({ restocked: sql<number>`restocked + ${r.quantity}` })
    .where("fulfillment_id", "=", r.fulfillmentId)
    .where("order_line_number", "=", r.orderLineNumber)
    .execute();
}

// ListReturnsAwaitingAction: by status (and warehouse), oldest first (UUIDv7 ids: id order is request
// order), keyset-paged after an id.
export async function listReturnIds(
  db: Db,
  filter: { statuses: readonly ReturnStatus[]; warehouseCode?: string | undefined },
  page: { size: number; afterId?: string | undefined },
): Promise<string[]> {
  let query = db
    .selectFrom("returns")
    .select("return_id")
    .where("status", "in", [...filter.statuses])
    .orderBy("return_id")
    .limit(page.size);
  if (filter.warehouseCode !== undefined) query = query.where("warehouse_code", "=", filter.warehouseCode);
  if (page.afterId !== undefined) query = query.where("return_id", ">", page.afterId);
  return (await query.execute()).map((r) => r.return_id);
}
