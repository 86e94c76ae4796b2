// Refunds of a payment: recorded (requested) before the provider is asked, settled after it answered.
// Settling is guarded (`WHERE status IN ('requested', 'unknown')`), so a replay settles once.
import { type Executor, sql } from "@stockroom/db";
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
  lines: { lineNumber: number; quantity: number }[];
  returnId: string | null;
  sourceKey: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

export async function insertRefund(
  db: Db,
  refund: Omit<
    RefundRecord,
    | "status"
    | "providerRefundId"
    | "createdAt"
    | "lines"
    | "returnId"
    | "sourceKey"
    | "attempts"
    | "lastError"
  > & {
    lines: unknown[];
    // A refund a fact made due (a return, a short line, a cancellation): recorded once per source.
    returnId?: string;
    sourceKey?: string;
  },
): Promise<boolean> {
  const row = await db
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
      return_id: refund.returnId ?? null,
      source_key: refund.sourceKey ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .returning("refund_id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function findRefund(db: Db, refundId: string): Promise<RefundRecord | undefined> {
  const row = await db.selectFrom("refunds").selectAll().where("refund_id", "=", refundId).executeTakeFirst();
  return row ? refundFrom(row) : undefined;
}

function refundFrom(row: {
  refund_id: string;
  payment_id: string;
  order_id: string;
  currency: string;
  amount_minor: string;
  reason: string;
  note: string;
  status: string;
  idempotency_key: string;
  provider_refund_id: string | null;
  lines: unknown[];
  return_id: string | null;
  source_key: string | null;
  attempts: number;
  last_error: string | null;
  created_at: Date;
}): RefundRecord {
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
    lines: (row.lines as { line_number?: number; lineNumber?: number; quantity: number }[]).map((l) => ({
      lineNumber: Number(l.lineNumber ?? l.line_number),
      quantity: Number(l.quantity),
    })),
    returnId: row.return_id,
    sourceKey: row.source_key,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

export async function findRefundBySource(
  db: Db,
  orderId: string,
  sourceKey: string,
): Promise<RefundRecord | undefined> {
  const row = await db
    .selectFrom("refunds")
    .selectAll()
    .where("order_id", "=", orderId)
    .where("source_key", "=", sourceKey)
    .executeTakeFirst();
  return row ? refundFrom(row) : undefined;
}

// Refunds not yet settled (requested, unknown, failed) that are due, leased until now + leaseMs.
export async function claimDueRefunds(
  db: Db,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<RefundRecord[]> {
  const rows = await sql<Parameters<typeof refundFrom>[0]>`
    UPDATE refunds r SET next_attempt_at = ${new Date(now.getTime() + leaseMs)}
     WHERE r.refund_id IN (
       SELECT refund_id FROM refunds
        WHERE status IN ('requested', 'unknown', 'failed') AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING r.*`.execute(db);
  return rows.rows.map(refundFrom);
}

// An attempt that did not succeed: when to try again (same key), and why it failed.
export async function rescheduleRefund(
  db: Db,
  refundId: string,
  change: { status: "requested" | "unknown" | "failed"; at: Date; error: string; countAttempt: boolean },
): Promise<void> {
  await db
    .updateTable("refunds")
    .set({
      status: change.status,
      ...(change.countAttempt ? { attempts: sql<number>`attempts + 1` } : {}),
      next_attempt_at: change.at,
      last_error: change.error.slice(0, 1000),
      updated_at: new Date(),
    })
    .where("refund_id", "=", refundId)
    .where("status", "in", ["requested", "unknown", "failed"])
    .execute();
}

// True when this call settled it (it was requested or unknown).
export async function settleRefund(
  db: Db,
  refundId: string,
  outcome: { status: "succeeded" | "failed" | "unknown" | "needs_attention"; providerRefundId?: string },
): Promise<boolean> {
  const result = await db
    .updateTable("refunds")
    .set({
      status: outcome.status,
      ...(outcome.providerRefundId ? { provider_refund_id: outcome.providerRefundId } : {}),
      updated_at: new Date(),
    })
    .where("refund_id", "=", refundId)
    .where("status", "in", ["requested", "unknown", "failed"])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
