// Refunds of a payment: recorded (requested) before the provider is asked, settled after it answered.
// Settling is guarded (`WHERE status IN ('requested', 'unknown')`), so a replay settles once.
import type { Executor } from "@stockroom/db";
import type { OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export interface RefundRecord {
  refundId: string;
  paymentId: string;
  orderId: string;
  currency: string;
  amountMinor: number;
  reason: string;
  note: string;
  status: string;
  idempotencyKey: string;
  providerRefundId: string | null;
  createdAt: Date;
}

export async function insertRefund(
  db: Db,
  refund: Omit<RefundRecord, "status" | "providerRefundId" | "createdAt"> & { lines: unknown[] },
): Promise<void> {
  await db
    .insertInto("refunds")
    .values({
      refund_id: refund.refundId,
      payment_id: refund.paymentId,
      order_id: refund.orderId,
      currency: refund.currency,
      amount_minor: refund.amountMinor,
      reason: refund.reason,
      note: refund.note,
      idempotency_key: refund.idempotencyKey,
      provider_refund_id: null,
      lines: JSON.stringify(refund.lines),
      return_id: null,
    })
    .execute();
}

export async function findRefund(db: Db, refundId: string): Promise<RefundRecord | undefined> {
  const row = await db.selectFrom("refunds").selectAll().where("refund_id", "=", refundId).executeTakeFirst();
  if (!row) return undefined;
  return {
    refundId: row.refund_id,
    paymentId: row.payment_id,
    orderId: row.order_id,
    currency: row.currency,
    amountMinor: Number(row.amount_minor),
    reason: row.reason,
    note: row.note,
    status: row.status,
    idempotencyKey: row.idempotency_key,
    providerRefundId: row.provider_refund_id,
    createdAt: row.created_at,
  };
}

// True when this call settled it (it was requested or unknown).
export async function settleRefund(
  db: Db,
  refundId: string,
  outcome: { status: "succeeded" | "failed" | "unknown"; providerRefundId?: string },
): Promise<boolean> {
  const result = await db
    .updateTable("refunds")
    .set({
      status: outcome.status,
      ...(outcome.providerRefundId ? { provider_refund_id: outcome.providerRefundId } : {}),
      updated_at: new Date(),
    })
    .where("refund_id", "=", refundId)
    .where("status", "in", ["requested", "unknown"])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
