// SQL fragments for claiming, answering and releasing a whole batch's keys inside statements the caller
// composes (the warehouse's reserve batch claims its keys in the same statement that locks its stock, so
// a batch costs no round trip of its own for idempotency).
import { type RawBuilder, sql } from "kysely";
import type { IdempotencyClaim } from "./idempotency.repo.ts";
import { type IdempotencyScope, scopedKeyOf } from "./idempotency-scope.ts";

export interface BatchClaim extends IdempotencyScope {
  fingerprint: string;
}

// What the two CTEs return, once json_agg'ed by the caller: json_agg(claimed), json_agg(held).
export interface ClaimedRow {
  principal: string;
  idempotency_key: string;
}

export interface HeldRow extends ClaimedRow {
  fingerprint: string;
  response: unknown;
}

function byScope(a: IdempotencyScope, b: IdempotencyScope): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0;
}

// INSERT … ON CONFLICT claiming every key (an expired record is claimed afresh), in (key, principal)
// order so two batches sharing keys cannot deadlock. RETURNING principal, idempotency_key of those claimed.
export function claimBatchCte(
  operation: string,
  retentionHours: number,
  claims: readonly BatchClaim[],
): RawBuilder<ClaimedRow> {
  const sorted = [...claims].sort(byScope);
  return sql<ClaimedRow>`INSERT INTO idempotency_records AS r (principal, operation, idempotency_key, fingerprint, expires_at)
      SELECT c.principal, ${operation}, c.key, c.fingerprint, now() + make_interval(hours => ${retentionHours})
      FROM unnest(${sorted.map((c) => c.principal)}::text[], ${sorted.map((c) => c.key)}::text[],
        ${sorted.map((c) => c.fingerprint)}::text[]) WITH ORDINALITY AS c(principal, key, fingerprint, position)
      ORDER BY c.position
      ON CONFLICT (principal, operation, idempotency_key) DO UPDATE
        SET fingerprint = excluded.fingerprint, response = 'null', created_at = now(), expires_at = excluded.expires_at
        WHERE r.expires_at < now()
      RETURNING r.principal, r.idempotency_key`;
}

// SELECT of the records of the batch's keys that the statement's snapshot sees (answers to replay).
export function heldBatchCte(operation: string, claims: readonly IdempotencyScope[]): RawBuilder<HeldRow> {
  return sql<HeldRow>`SELECT r.principal, r.idempotency_key, r.fingerprint, r.response
      FROM unnest(${claims.map((c) => c.principal)}::text[], ${claims.map((c) => c.key)}::text[]) AS k(principal, key)
      JOIN idempotency_records r
        ON r.principal = k.principal AND r.operation = ${operation} AND r.idempotency_key = k.key`;
}

// The claims by scopedKeyOf. A key missing is held by a transaction that committed while the statement
// ran (its answer is not in the snapshot): retry it in a later statement.
export function batchClaimsFrom(
  claimed: readonly ClaimedRow[],
  held: readonly HeldRow[],
): Map<string, IdempotencyClaim> {
  const claims = new Map<string, IdempotencyClaim>();
  for (const row of held) {
    claims.set(scopedKeyOf({ principal: row.principal, key: row.idempotency_key }), {
      status: "replay",
      fingerprint: row.fingerprint,
      response: row.response,
    });
  }
  // A re-claimed expired record is visible to `held` too: the claim wins.
  for (const row of claimed) {
    claims.set(scopedKeyOf({ principal: row.principal, key: row.idempotency_key }), { status: "claimed" });
  }
  return claims;
}

// UPDATE storing each claimed key's answer (as it is to be stored: already through the caller's codec).
export function storeResponsesStatement(
  operation: string,
  records: readonly (IdempotencyScope & { response: unknown })[],
): RawBuilder<unknown> {
  return sql`UPDATE idempotency_records r SET response = v.response::jsonb
    FROM unnest(${records.map((r) => r.principal)}::text[], ${records.map((r) => r.key)}::text[],
      ${records.map((r) => JSON.stringify(r.response))}::text[]) AS v(principal, key, response)
    WHERE r.operation = ${operation} AND r.idempotency_key = ANY(${records.map((r) => r.key)}::text[])
      AND r.principal = v.principal AND r.idempotency_key = v.key`;
}

// DELETE of claims whose requests failed: a failure is not an answer to replay.
export function releaseClaimsStatement(
  operation: string,
  claims: readonly IdempotencyScope[],
): RawBuilder<unknown> {
  return sql`DELETE FROM idempotency_records r
    USING unnest(${claims.map((c) => c.principal)}::text[], ${claims.map((c) => c.key)}::text[]) AS k(principal, key)
    WHERE r.operation = ${operation} AND r.idempotency_key = ANY(${claims.map((c) => c.key)}::text[])
      AND r.principal = k.principal AND r.idempotency_key = k.key`;
}
