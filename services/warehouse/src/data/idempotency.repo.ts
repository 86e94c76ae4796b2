// Stored answers of idempotent requests: the same key and request get the first answer; the same key
// with a different request is refused. A claim blocks a concurrent duplicate on the primary key until
// the first transaction ends, so the effect runs once.
import { type RawBuilder, sql } from "kysely";
import type { Db } from "./stock.repo.ts";

export type IdempotencyClaim =
  | { status: "claimed" }
  | { status: "replay"; fingerprint: string; response: unknown };

export async function claimIdempotencyKey(
  db: Db,
  claim: { operation: string; key: string; fingerprint: string; retentionHours: number },
): Promise<IdempotencyClaim> {
  const { rows } = await sql<{ claimed: number }>`
    INSERT INTO idempotency_records AS r (operation, idempotency_key, fingerprint, expires_at)
    VALUES (${claim.operation}, ${claim.key}, ${claim.fingerprint}, now() + make_interval(hours => ${claim.retentionHours}))
    ON CONFLICT (operation, idempotency_key) DO UPDATE
      SET fingerprint = excluded.fingerprint, response = 'null', created_at = now(), expires_at = excluded.expires_at
      WHERE r.expires_at < now()
    RETURNING 1 AS claimed`.execute(db);
  if (rows.length > 0) return { status: "claimed" };
  const stored = await db
    .selectFrom("idempotency_records")
    .select(["fingerprint", "response"])
    .where("operation", "=", claim.operation)
    .where("idempotency_key", "=", claim.key)
    .executeTakeFirstOrThrow();
  return { status: "replay", fingerprint: stored.fingerprint, response: stored.response };
}

export async function storeIdempotentResponse(
  db: Db,
  record: { operation: string; key: string; response: unknown },
): Promise<void> {
  await db
    .updateTable("idempotency_records")
    .set({ response: JSON.stringify(record.response) })
    .where("operation", "=", record.operation)
    .where("idempotency_key", "=", record.key)
    .execute();
}

export async function deleteExpiredIdempotencyRecords(db: Db, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_records WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM idempotency_records WHERE expires_at < now() LIMIT ${limit}))`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export function storeIdempotentResponsesStatement(
  operation: string,
  records: { key: string; response: unknown }[],
): RawBuilder<unknown> {
  return sql`UPDATE idempotency_records r SET response = v.response::jsonb
    FROM unnest(${records.map((r) => r.key)}::text[], ${records.map((r) => JSON.stringify(r.response))}::text[])
      AS v(key, response)
    WHERE r.operation = ${operation} AND r.idempotency_key = ANY(${records.map((r) => r.key)}::text[])
      AND r.idempotency_key = v.key`;
}

// Claims of requests that failed are dropped with the batch's write: a failure is not an answer to replay.
export function releaseIdempotencyClaimsStatement(operation: string, keys: string[]): RawBuilder<unknown> {
  return sql`DELETE FROM idempotency_records WHERE operation = ${operation} AND idempotency_key = ANY(${keys}::text[])`;
}
