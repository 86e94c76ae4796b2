// The sandbox's SQL, one function per statement. Each takes the client of the caller's transaction.
import type pg from "pg";
import type { CaptureMethod, IntentStatus, PaymentIntent, Refund } from "./payment-intent.ts";
import type { CardBehaviour } from "./test-cards.ts";

export type Sql = Pick<pg.PoolClient, "query">;

export interface StoredAnswer {
  requestPath: string;
  fingerprint: string;
  statusCode: number;
  response: unknown;
}

// Inserting the key first makes a concurrent request with the same key wait on the unique index until
// this transaction ends; it then finds the stored answer. Returns false when the key already exists.
export async function claimIdempotencyKey(
  db: Sql,
  key: string,
  requestPath: string,
  fingerprint: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO idempotency_keys (idempotency_key, request_path, fingerprint, status_code, response)
     VALUES ($1, $2, $3, 500, 'null') ON CONFLICT (idempotency_key) DO NOTHING`,
    [key, requestPath, fingerprint],
  );
  return rowCount === 1;
}

export async function findStoredAnswer(db: Sql, key: string): Promise<StoredAnswer | undefined> {
  const { rows } = await db.query(
    `SELECT request_path, fingerprint, status_code, response FROM idempotency_keys WHERE idempotency_key = $1`,
    [key],
  );
  const row = rows[0];
  return row
    ? {
        requestPath: row.request_path,
        fingerprint: row.fingerprint,
        statusCode: row.status_code,
        response: row.response,
      }
    : undefined;
}

export async function storeAnswer(
  db: Sql,
  key: string,
  statusCode: number,
  response: unknown,
): Promise<void> {
  await db.query(`UPDATE idempotency_keys SET status_code = $2, response = $3 WHERE idempotency_key = $1`, [
    key,
    statusCode,
    JSON.stringify(response),
  ]);
}

export async function insertIntent(db: Sql, intent: PaymentIntent, idempotencyKey: string): Promise<void> {
  await db.query(
    `INSERT INTO payment_intents (id, amount, currency, customer, payment_method, capture_method, behaviour,
       status, amount_capturable, amount_received, amount_refunded, reference, idempotency_key,
       last_error_code, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
    [
      intent.id,
      intent.amount,
      intent.currency,
      intent.customer,
      intent.paymentMethod,
      intent.captureMethod,
      intent.behaviour,
      intent.status,
      intent.amountCapturable,
      intent.amountReceived,
      intent.amountRefunded,
      intent.reference,
      idempotencyKey,
      intent.lastErrorCode,
      intent.createdAt,
    ],
  );
}

const INTENT_COLUMNS = `id, amount, currency, customer, payment_method, capture_method, behaviour, status,
  amount_capturable, amount_received, amount_refunded, reference, last_error_code, created_at`;

// FOR UPDATE: the caller is about to change it; two racing captures or refunds go one after the other.
export async function findIntentForUpdate(db: Sql, id: string): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query(`SELECT ${INTENT_COLUMNS} FROM payment_intents WHERE id = $1 FOR UPDATE`, [
    id,
  ]);
  return rows[0] ? intentFrom(rows[0]) : undefined;
}

export async function findIntentByKeyForUpdate(db: Sql, key: string): Promise<PaymentIntent | undefined> {
  const { rows } = await db.query(
    `SELECT ${INTENT_COLUMNS} FROM payment_intents WHERE idempotency_key = $1 FOR UPDATE`,
    [key],
  );
  return rows[0] ? intentFrom(rows[0]) : undefined;
}

export async function updateIntentState(db: Sql, intent: PaymentIntent): Promise<void> {
  await db.query(
    `UPDATE payment_intents SET status = $2, amount_capturable = $3, amount_received = $4, amount_refunded = $5,
       last_error_code = $6, updated_at = now()
     WHERE id = $1`,
    [
      intent.id,
      intent.status,
      intent.amountCapturable,
      intent.amountReceived,
      intent.amountRefunded,
      intent.lastErrorCode,
    ],
  );
}

export async function insertRefund(db: Sql, refund: Refund): Promise<void> {
  await db.query(
    `INSERT INTO refunds (id, payment_intent_id, amount, reason, created_at) VALUES ($1, $2, $3, $4, $5)`,
    [refund.id, refund.paymentIntentId, refund.amount, refund.reason, refund.createdAt],
  );
}

export interface PlannedDelivery {
  eventId: string;
  eventType: string;
  payload: unknown;
  deliverAt: Date;
}

export async function insertDeliveries(db: Sql, deliveries: readonly PlannedDelivery[]): Promise<void> {
  for (const d of deliveries) {
    await db.query(
      `INSERT INTO webhook_deliveries (event_id, event_type, payload, deliver_at) VALUES ($1, $2, $3, $4)`,
      [d.eventId, d.eventType, JSON.stringify(d.payload), d.deliverAt],
    );
  }
}

export interface DueDelivery {
  deliveryId: string;
  eventId: string;
  payload: unknown;
  attempts: number;
  // The claim: the row is not due again before then, and only this claim may mark it.
  claimedUntil: Date;
}

// Claims due deliveries in one statement (no transaction stays open): each is pushed out of the due set
// until `claimedUntil`, so two dispatchers (or a restarted one beside a dying one) never send one
// delivery at once, and one that died mid-send leaves it due again once the claim lapses.
export async function claimDueDeliveries(db: Sql, limit: number, claimedUntil: Date): Promise<DueDelivery[]> {
  const { rows } = await db.query(
    `UPDATE webhook_deliveries SET deliver_at = $2
     WHERE delivery_id IN (
       SELECT delivery_id FROM webhook_deliveries
       WHERE delivered_at IS NULL AND deliver_at <= now()
       ORDER BY deliver_at, delivery_id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING delivery_id, event_id, payload, attempts, deliver_at`,
    [limit, claimedUntil],
  );
  return rows
    .map((r) => ({
      deliveryId: String(r.delivery_id),
      eventId: r.event_id,
      payload: r.payload,
      attempts: r.attempts,
      claimedUntil: r.deliver_at,
    }))
    .sort((a, b) => Number(a.deliveryId) - Number(b.deliveryId));
}

// Both marks are guarded by the claim: a dispatcher whose claim lapsed (and another took the row) changes
// nothing. False when the claim was lost.
export async function markDelivered(db: Sql, delivery: DueDelivery): Promise<boolean> {
  const result = await db.query(
    `UPDATE webhook_deliveries SET delivered_at = now(), attempts = attempts + 1, last_error = NULL
     WHERE delivery_id = $1 AND delivered_at IS NULL AND deliver_at = $2`,
    [delivery.deliveryId, delivery.claimedUntil],
  );
  return result.rowCount === 1;
}

// A claimed delivery not sent (the dispatcher is stopping): due again now rather than when the claim lapses.
export async function releaseClaim(db: Sql, delivery: DueDelivery): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET deliver_at = now()
     WHERE delivery_id = $1 AND delivered_at IS NULL AND deliver_at = $2`,
    [delivery.deliveryId, delivery.claimedUntil],
  );
}

// Gives up (delivered_at stays NULL, deliver_at far away) after maxAttempts; the row stays for a look.
export async function markFailed(
  db: Sql,
  delivery: DueDelivery,
  error: string,
  retryAt: Date | null,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = $3, deliver_at = COALESCE($4::timestamptz, 'infinity'::timestamptz)
     WHERE delivery_id = $1 AND delivered_at IS NULL AND deliver_at = $2`,
    [delivery.deliveryId, delivery.claimedUntil, error.slice(0, 500), retryAt],
  );
  return result.rowCount === 1;
}

interface IntentRow {
  id: string;
  amount: string;
  currency: string;
  customer: string;
  payment_method: string;
  capture_method: CaptureMethod;
  behaviour: CardBehaviour;
  status: IntentStatus;
  amount_capturable: string;
  amount_received: string;
  amount_refunded: string;
  reference: string;
  last_error_code: string | null;
  created_at: Date;
}

function intentFrom(row: IntentRow): PaymentIntent {
  return {
    id: row.id,
    amount: Number(row.amount),
    currency: row.currency,
    customer: row.customer,
    paymentMethod: row.payment_method,
    captureMethod: row.capture_method,
    behaviour: row.behaviour,
    status: row.status,
    amountCapturable: Number(row.amount_capturable),
    amountReceived: Number(row.amount_received),
    amountRefunded: Number(row.amount_refunded),
    reference: row.reference,
    lastErrorCode: row.last_error_code,
    createdAt: row.created_at,
  };
}
