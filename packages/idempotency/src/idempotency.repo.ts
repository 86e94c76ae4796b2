// Stored answers of idempotent requests, one record per (principal, operation, key). A claim blocks a
// concurrent duplicate on the primary key until the first transaction ends, so the effect runs once; an
// expired record is claimed afresh.
import { type Kysely, sql, type Transaction } from "kysely";
import type { IdempotencyDatabase } from "./idempotency-records.table.ts";

// Any service database with the table; a transaction is a Kysely too.
export type IdempotencyDb<DB extends IdempotencyDatabase = IdempotencyDatabase> =
  | Kysely<DB>
  | Transaction<DB>;

export type IdempotencyClaim =
  | { status: "claimed" }
  | { status: "replay"; fingerprint: string; response: unknown };

export interface IdempotencyKeyClaim {
  principal: string;
  operation: string;
  key: string;
  fingerprint: string;
  retentionHours: number;
}

export async function claimIdempotencyKey<DB extends IdempotencyDatabase>(
  db: IdempotencyDb<DB>,
  claim: IdempotencyKeyClaim,
): Promise<IdempotencyClaim> {
  const records = db as unknown as Kysely<IdempotencyDatabase>;
  const { rows } = await sql<{ claimed: number }>`
    INSERT INTO idempotency_records AS r (principal, operation, idempotency_key, fingerprint, expires_at)
    VALUES (${claim.principal}, ${claim.operation}, ${claim.key}, ${claim.fingerprint},
      now() + make_interval(hours => ${claim.retentionHours}))
    ON CONFLICT (principal, operation, idempotency_key) DO UPDATE
      SET fingerprint = excluded.fingerprint, response = 'null', created_at = now(), expires_at = excluded.expires_at
      WHERE r.expires_at < now()
    RETURNING 1 AS claimed`.execute(records);
  if (rows.length > 0) return { status: "claimed" };
  const stored = await records
    .selectFrom("idempotency_records")
    .select(["fingerprint", "response"])
    .where("principal", "=", claim.principal)
    .where("operation", "=", claim.operation)
    .where("idempotency_key", "=", claim.key)
    .executeTakeFirstOrThrow();
  return { status: "replay", fingerprint: stored.fingerprint, response: stored.response };
}

// response is the answer as it is to be stored (already through the caller's codec).
export async function storeIdempotentResponse<DB extends IdempotencyDatabase>(
  db: IdempotencyDb<DB>,
  record: { principal: string; operation: string; key: string; response: unknown },
): Promise<void> {
  const records = db as unknown as Kysely<IdempotencyDatabase>;
  await records
    .updateTable("idempotency_records")
    .set({ response: JSON.stringify(record.response) })
    .where("principal", "=", record.principal)
    .where("operation", "=", record.operation)
    .where("idempotency_key", "=", record.key)
    .execute();
}

// Deletes up to `limit` expired records (by the expiry index); returns how many went. Call it in a loop
// until it returns less than limit, so no one statement holds many row locks.
export async function deleteExpiredIdempotencyRecords<DB extends IdempotencyDatabase>(
  db: IdempotencyDb<DB>,
  limit: number,
): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_records WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM idempotency_records WHERE expires_at < now() LIMIT ${limit}))`.execute(
    db as unknown as Kysely<IdempotencyDatabase>,
  );
  return Number(result.numAffectedRows ?? 0);
}
