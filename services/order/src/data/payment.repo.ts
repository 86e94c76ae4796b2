// Payments of orders and the provider's events: named queries. A payment's status moves only through
// guarded updates (`WHERE status = ANY($from)`); provider events are recorded once (UNIQUE event id).
import { type Executor, sql } from "@stockroom/db";
import type { OrderDatabase } from "./database.ts";

type Db = Executor<OrderDatabase>;

export interface PaymentRecord {
  paymentId: string;
  orderId: string;
  provider: "sandbox" | "manual";
  providerPaymentId: string | null;
  authorizeIdempotencyKey: string;
  method: string;
  status: string;
  currency: string;
  amountMinor: number;
  authorizedMinor: number;
  capturedMinor: number;
  refundedMinor: number;
  payBy: Date | null;
  receivedReference: string | null;
  declineCode: string | null;
  updatedAt: Date;
}

function paymentFrom(row: Record<string, unknown>): PaymentRecord {
  return {
    paymentId: row.payment_id as string,
    orderId: row.order_id as string,
    provider: row.provider as PaymentRecord["provider"],
    providerPaymentId: row.provider_payment_id as string | null,
    authorizeIdempotencyKey: row.authorize_idempotency_key as string,
    method: row.method as string,
    status: row.status as string,
    currency: row.currency as string,
    amountMinor: Number(row.amount_minor),
    authorizedMinor: Number(row.authorized_minor),
    capturedMinor: Number(row.captured_minor),
    refundedMinor: Number(row.refunded_minor),
    payBy: row.pay_by as Date | null,
    receivedReference: row.received_reference as string | null,
    declineCode: row.decline_code as string | null,
    updatedAt: row.updated_at as Date,
  };
}

// The payment row exists before the provider is asked: an authorization is never without its record.
// Idempotent on the authorize key (a rerun of the step after a crash finds the row).
export async function ensurePayment(
  db: Db,
  payment: {
    paymentId: string;
    orderId: string;
    provider: "sandbox" | "manual";
    authorizeIdempotencyKey: string;
    method: string;
    currency: string;
    amountMinor: number;
    payBy: Date | null;
  },
): Promise<PaymentRecord> {
  await db
    .insertInto("payments")
    .values({
      payment_id: payment.paymentId,
      order_id: payment.orderId,
      provider: payment.provider,
      provider_payment_id: null,
      authorize_idempotency_key: payment.authorizeIdempotencyKey,
      method: payment.method,
      currency: payment.currency,
      amount_minor: payment.amountMinor,
      pay_by: payment.payBy,
      received_reference: null,
      decline_code: null,
    })
    .onConflict((oc) => oc.column("authorize_idempotency_key").doNothing())
    .execute();
  const row = await db
    .selectFrom("payments")
    .selectAll()
    .where("authorize_idempotency_key", "=", payment.authorizeIdempotencyKey)
    .executeTakeFirstOrThrow();
  return paymentFrom(row as unknown as Record<string, unknown>);
}

// The order's live payment (not declined or voided), else its latest one.
export async function findPaymentOfOrder(
  db: Db,
  orderId: string,
  forUpdate = false,
): Promise<PaymentRecord | undefined> {
  let q = db
    .selectFrom("payments")
    .selectAll()
    .where("order_id", "=", orderId)
    .orderBy((eb) => eb.case().when("status", "in", ["declined", "voided"]).then(1).else(0).end())
    .orderBy("created_at", "desc")
    .limit(1);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row ? paymentFrom(row as unknown as Record<string, unknown>) : undefined;
}

export async function findPaymentByProviderId(
  db: Db,
  provider: string,
  providerPaymentId: string,
): Promise<PaymentRecord | undefined> {
  const row = await db
    .selectFrom("payments")
    .selectAll()
    .where("provider", "=", provider as "sandbox" | "manual")
    .where("provider_payment_id", "=", providerPaymentId)
    .executeTakeFirst();
  return row ? paymentFrom(row as unknown as Record<string, unknown>) : undefined;
}

export interface PaymentChange {
  status: string;
  providerPaymentId?: string;
  authorizedMinor?: number;
  capturedMinor?: number;
  refundedMinor?: number;
  declineCode?: string;
  receivedReference?: string;
}

// Guarded: true when the payment was in one of `from` and moved.
export async function movePayment(
  db: Db,
  paymentId: string,
  from: readonly string[],
  change: PaymentChange,
): Promise<boolean> {
  const result = await db
    .updateTable("payments")
    .set({
      status: change.status,
      ...(change.providerPaymentId ? { provider_payment_id: change.providerPaymentId } : {}),
      ...(change.authorizedMinor !== undefined ? { authorized_minor: change.authorizedMinor } : {}),
      ...(change.capturedMinor !== undefined ? { captured_minor: change.capturedMinor } : {}),
      ...(change.refundedMinor !== undefined ? { refunded_minor: change.refundedMinor } : {}),
      ...(change.declineCode ? { decline_code: change.declineCode } : {}),
      ...(change.receivedReference ? { received_reference: change.receivedReference } : {}),
      version: sql<string>`version + 1`,
      updated_at: new Date(),
    })
    .where("payment_id", "=", paymentId)
    .where("status", "in", [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setProviderPaymentId(
  db: Db,
  paymentId: string,
  providerPaymentId: string,
): Promise<void> {
  await db
    .updateTable("payments")
    .set({ provider_payment_id: providerPaymentId, updated_at: new Date() })
    .where("payment_id", "=", paymentId)
    .where("provider_payment_id", "is", null)
    .execute();
}

// Records a provider event once: false when this event id was already recorded (a duplicate delivery).
export async function recordPaymentEvent(
  db: Db,
  event: {
    provider: "sandbox" | "manual";
    providerEventId: string;
    providerEventType: string;
    providerPaymentId: string;
    paymentId: string | null;
    payload: unknown;
    occurredAt: Date;
    outcome: string;
  },
): Promise<boolean> {
  const row = await db
    .insertInto("payment_events")
    .values({
      provider: event.provider,
      provider_event_id: event.providerEventId,
      provider_event_type: event.providerEventType,
      provider_payment_id: event.providerPaymentId,
      payment_id: event.paymentId,
      payload: JSON.stringify(event.payload),
      occurred_at: event.occurredAt,
      outcome: event.outcome,
    })
    .onConflict((oc) => oc.constraint("payment_events_once").doNothing())
    .returning("payment_event_id")
    .executeTakeFirst();
  return row !== undefined;
}
