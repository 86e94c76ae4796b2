// Calls a fact made due (capture on shipment, void, release of stock): recorded with a deterministic key
// in the fact's transaction (once per order, kind and source: the UNIQUE key), claimed by the worker
// with FOR UPDATE SKIP LOCKED and a lease, settled once (guarded by status).
import { type Executor, sql } from "@stockroom/db";
import { v7 as uuidv7 } from "uuid";
import type { OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export type RemoteCallKind = "capture" | "void" | "release_stock";

export interface RemoteCallRecord {
  callId: string;
  orderId: string;
  paymentId: string | null;
  kind: RemoteCallKind;
  sourceKey: string;
  amountMinor: number | null;
  currency: string | null;
  status: string;
  idempotencyKey: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
}

// True when it was recorded now (false: this order already has this call for this source).
export async function recordRemoteCall(
  db: Db,
  call: {
    orderId: string;
    paymentId: string | null;
    kind: RemoteCallKind;
    sourceKey: string;
    amountMinor?: number;
    currency?: string;
    idempotencyKey: string;
  },
): Promise<boolean> {
  const row = await db
    .insertInto("order_remote_calls")
    .values({
      call_id: uuidv7(),
      order_id: call.orderId,
      payment_id: call.paymentId,
      kind: call.kind,
      source_key: call.sourceKey,
      amount_minor: call.amountMinor ?? null,
      currency: call.currency ?? null,
      idempotency_key: call.idempotencyKey,
    })
    .onConflict((oc) => oc.constraint("order_remote_calls_once").doNothing())
    .returning("call_id")
    .executeTakeFirst();
  return row !== undefined;
}

export async function hasRemoteCall(
  db: Db,
  orderId: string,
  kind: RemoteCallKind,
  statuses?: readonly string[],
): Promise<boolean> {
  let q = db
    .selectFrom("order_remote_calls")
    .select("call_id")
    .where("order_id", "=", orderId)
    .where("kind", "=", kind);
  if (statuses) q = q.where("status", "in", [...statuses] as RemoteCallRecord["status"][] as never);
  return (await q.executeTakeFirst()) !== undefined;
}

function callFrom(r: Record<string, unknown>): RemoteCallRecord {
  return {
    callId: r.call_id as string,
    orderId: r.order_id as string,
    paymentId: r.payment_id as string | null,
    kind: r.kind as RemoteCallKind,
    sourceKey: r.source_key as string,
    amountMinor: r.amount_minor === null ? null : Number(r.amount_minor),
    currency: r.currency as string | null,
    status: r.status as string,
    idempotencyKey: r.idempotency_key as string,
    attempts: Number(r.attempts),
    lastError: r.last_error as string | null,
    createdAt: r.created_at as Date,
  };
}

// Due calls, leased to this worker until now + leaseMs (a crash leaves them due again after it).
export async function claimDueRemoteCalls(
  db: Db,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<RemoteCallRecord[]> {
  const rows = await sql<Record<string, unknown>>`
    UPDATE order_remote_calls c SET next_attempt_at = ${new Date(now.getTime() + leaseMs)}, updated_at = now()
     WHERE c.call_id IN (
       SELECT call_id FROM order_remote_calls
        WHERE status IN ('requested', 'unknown') AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING c.*`.execute(db);
  return rows.rows.map(callFrom);
}

// Guarded: true when this call was still open and is now settled.
export async function settleRemoteCall(
  db: Db,
  callId: string,
  status: "succeeded" | "skipped" | "needs_attention",
  lastError: string | null = null,
): Promise<boolean> {
  const result = await db
    .updateTable("order_remote_calls")
    .set({ status, last_error: lastError?.slice(0, 1000) ?? null, updated_at: new Date() })
    .where("call_id", "=", callId)
    .where("status", "in", ["requested", "unknown"])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function rescheduleRemoteCall(
  db: Db,
  callId: string,
  change: { status: "requested" | "unknown"; at: Date; error: string },
): Promise<void> {
  await db
    .updateTable("order_remote_calls")
    .set({
      status: change.status,
      attempts: sql<number>`attempts + 1`,
      next_attempt_at: change.at,
      last_error: change.error.slice(0, 1000),
      updated_at: new Date(),
    })
    .where("call_id", "=", callId)
    .where("status", "in", ["requested", "unknown"])
    .execute();
}
