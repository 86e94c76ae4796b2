// The checkout saga's rows: insert, claim due rows (FOR UPDATE SKIP LOCKED, leased by pushing their
// next attempt time), and record a step's outcome guarded by the version the claim saw.
import { type Executor, sql } from "@stockroom/db";
import type { AttentionReason, CheckoutStatus, CheckoutStepId } from "../domain/checkout-saga.ts";
import type { OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export interface SagaRecord {
  checkoutId: string;
  orderId: string;
  cartId: string;
  status: CheckoutStatus;
  step: CheckoutStepId;
  stepOutputs: Record<string, unknown>;
  stepOutcomes: Record<string, unknown>;
  pendingUndo: CheckoutStepId[];
  orderOutcome: "reject" | "cancel" | null;
  refusalReason: string | null;
  attempts: number;
  totalAttempts: number;
  reserveAttempts: number;
  nextAttemptAt: Date | null;
  waitingSince: Date | null;
  attentionReason: AttentionReason | null;
  lastError: string | null;
  abandonRequested: boolean;
  version: number;
  startedAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

function sagaFrom(row: Record<string, unknown>): SagaRecord {
  return {
    checkoutId: row.checkout_id as string,
    orderId: row.order_id as string,
    cartId: row.cart_id as string,
    status: row.status as CheckoutStatus,
    step: row.step as CheckoutStepId,
    stepOutputs: row.step_outputs as Record<string, unknown>,
    stepOutcomes: row.step_outcomes as Record<string, unknown>,
    pendingUndo: row.pending_undo as CheckoutStepId[],
    orderOutcome: row.order_outcome as SagaRecord["orderOutcome"],
    refusalReason: row.refusal_reason as string | null,
    attempts: row.attempts as number,
    totalAttempts: row.total_attempts as number,
    reserveAttempts: row.reserve_attempts as number,
    nextAttemptAt: row.next_attempt_at as Date | null,
    waitingSince: row.waiting_since as Date | null,
    attentionReason: row.attention_reason as AttentionReason | null,
    lastError: row.last_error as string | null,
    abandonRequested: row.abandon_requested as boolean,
    version: Number(row.version),
    startedAt: row.started_at as Date,
    updatedAt: row.updated_at as Date,
    finishedAt: row.finished_at as Date | null,
  };
}

export async function insertSaga(
  db: Db,
  saga: { checkoutId: string; orderId: string; cartId: string; nextAttemptAt: Date },
): Promise<void> {
  await db
    .insertInto("checkout_sagas")
    .values({
      checkout_id: saga.checkoutId,
      order_id: saga.orderId,
      cart_id: saga.cartId,
      next_attempt_at: saga.nextAttemptAt,
      order_outcome: null,
      refusal_reason: null,
      waiting_since: null,
      attention_reason: null,
      last_error: null,
      finished_at: null,
    })
    .execute();
}

// Takes up to `limit` due sagas: each is leased (next attempt pushed by leaseMs) and its version
// bumped in this short transaction, so no other worker takes it until the lease lapses (a crashed
// worker's step is then retried by another, under the same deterministic key).
export async function claimDueSagas(
  db: Db,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<SagaRecord[]> {
  const lease = new Date(now.getTime() + leaseMs);
  const { rows } = await sql<Record<string, unknown>>`
    UPDATE checkout_sagas s
    SET next_attempt_at = ${lease}, attempts = s.attempts + 1, total_attempts = s.total_attempts + 1,
        version = s.version + 1, updated_at = now()
    FROM (SELECT checkout_id FROM checkout_sagas
          WHERE status IN ('running', 'awaiting_payment', 'compensating') AND next_attempt_at <= ${now}
          ORDER BY next_attempt_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED) due
    WHERE s.checkout_id = due.checkout_id
    RETURNING s.*`.execute(db);
  return rows.map(sagaFrom);
}

export async function findSagaByOrder(
  db: Db,
  orderId: string,
  forUpdate = false,
): Promise<SagaRecord | undefined> {
  let q = db.selectFrom("checkout_sagas").selectAll().where("order_id", "=", orderId);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? sagaFrom(row as unknown as Record<string, unknown>) : undefined;
}

export interface SagaPatch {
  status?: CheckoutStatus;
  step?: CheckoutStepId;
  stepOutputs?: Record<string, unknown>;
  stepOutcomes?: Record<string, unknown>;
  pendingUndo?: CheckoutStepId[];
  orderOutcome?: "reject" | "cancel";
  refusalReason?: string;
  // Reset the current step's attempts (a step completed).
  resetAttempts?: boolean;
  reserveAttempts?: number;
  nextAttemptAt: Date | null;
  waitingSince?: Date | null;
  attentionReason?: AttentionReason | null;
  lastError?: string | null;
  abandonRequested?: boolean;
  // null reopens a finished saga (a cancellation after confirmation runs as its compensation).
  finishedAt?: Date | null;
}

// Guarded by the version the caller saw: false when someone else (another worker after the lease, ops)
// moved the saga meanwhile, and this outcome must not be recorded.
export async function updateSaga(
  db: Db,
  checkoutId: string,
  expectedVersion: number,
  patch: SagaPatch,
): Promise<boolean> {
  const result = await db
    .updateTable("checkout_sagas")
    .set({
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.step ? { step: patch.step } : {}),
      ...(patch.stepOutputs ? { step_outputs: JSON.stringify(patch.stepOutputs) } : {}),
      ...(patch.stepOutcomes ? { step_outcomes: JSON.stringify(patch.stepOutcomes) } : {}),
      ...(patch.pendingUndo ? { pending_undo: JSON.stringify(patch.pendingUndo) } : {}),
      ...(patch.orderOutcome ? { order_outcome: patch.orderOutcome } : {}),
      ...(patch.refusalReason ? { refusal_reason: patch.refusalReason } : {}),
      ...(patch.resetAttempts ? { attempts: 0 } : {}),
      ...(patch.reserveAttempts !== undefined ? { reserve_attempts: patch.reserveAttempts } : {}),
      next_attempt_at: patch.nextAttemptAt,
      ...(patch.waitingSince !== undefined ? { waiting_since: patch.waitingSince } : {}),
      ...(patch.attentionReason !== undefined ? { attention_reason: patch.attentionReason } : {}),
      ...(patch.lastError !== undefined ? { last_error: patch.lastError?.slice(0, 2000) ?? null } : {}),
      ...(patch.abandonRequested !== undefined ? { abandon_requested: patch.abandonRequested } : {}),
      ...(patch.finishedAt !== undefined ? { finished_at: patch.finishedAt } : {}),
      version: sql<string>`version + 1`,
      updated_at: new Date(),
    })
    .where("checkout_id", "=", checkoutId)
    .where("version", "=", String(expectedVersion))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// A webhook or ops action makes a waiting saga due now (it is the only completion path).
export async function makeSagaDue(db: Db, orderId: string, now: Date): Promise<void> {
  await db
    .updateTable("checkout_sagas")
    .set({ next_attempt_at: now, updated_at: new Date() })
    .where("order_id", "=", orderId)
    .where("status", "in", ["running", "awaiting_payment"])
    .execute();
}

// Checkouts needing ops: the saga's own (exhausted attempts) and, after checkout, orders whose refund or
// provider call kept failing (orders.attention_reason), by checkout id.
export async function listSagasNeedingAttention(
  db: Db,
  query: { reasons: readonly string[]; afterCheckoutId?: string; limit: number },
): Promise<{ orderId: string; checkoutId: string }[]> {
  let q = db
    .selectFrom("checkout_sagas as s")
    .innerJoin("orders as o", "o.order_id", "s.order_id")
    .select(["s.order_id", "s.checkout_id"])
    .where((eb) => eb.or([eb("s.status", "=", "needs_attention"), eb("o.attention_reason", "is not", null)]))
    .orderBy("s.checkout_id")
    .limit(query.limit);
  if (query.reasons.length > 0) {
    const reasons = [...query.reasons];
    q = q.where((eb) =>
      eb.or([
        eb.and([eb("s.status", "=", "needs_attention"), eb("s.attention_reason", "in", reasons)]),
        eb("o.attention_reason", "in", reasons),
      ]),
    );
  }
  if (query.afterCheckoutId) q = q.where("s.checkout_id", ">", query.afterCheckoutId);
  return (await q.execute()).map((r) => ({ orderId: r.order_id, checkoutId: r.checkout_id }));
}

export async function oldestUnfinishedSagaAgeSeconds(db: Db, now: Date): Promise<number> {
  const row = await db
    .selectFrom("checkout_sagas")
    .select((eb) => eb.fn.min("started_at").as("oldest"))
    .where("finished_at", "is", null)
    .executeTakeFirst();
  const oldest = row?.oldest as Date | null | undefined;
  return oldest ? Math.max(0, (now.getTime() - new Date(oldest).getTime()) / 1000) : 0;
}

// Sagas in needs_attention now, per reason (the gauge the CheckoutsStuck alert watches).
export async function countSagasNeedingAttention(db: Db): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("checkout_sagas")
    .select(["attention_reason", (eb) => eb.fn.countAll<string>().as("count")])
    .where("status", "=", "needs_attention")
    .groupBy("attention_reason")
    .execute();
  return new Map(rows.map((r) => [r.attention_reason ?? "unknown", Number(r.count)]));
}
