// Idempotent requests too long for one transaction (a rebuild spanning many transactions and remote calls):
// the key is claimed by a statement of its own with a lease, the effect runs outside any transaction while
// the lease is renewed, and its answer is stored when it ends. While a run holds the key, a second call
// with it is refused (ABORTED) instead of waiting; a failed run releases the key; a run whose process died
// is taken over by a retry once its lease has lapsed.
import { randomUUID } from "node:crypto";
import { AppError, ErrorReason } from "@stockroom/errors";
import { type Kysely, sql } from "kysely";
import type { IdempotencyDatabase } from "./idempotency-records.table.ts";
import {
  IDEMPOTENCY_RETENTION_HOURS,
  type IdempotentRequest,
  idempotencyKeyReused,
  type RunIdempotentOptions,
} from "./run-idempotent.ts";

// How long a run holds its key without renewing; it renews every third of that.
export const DEFAULT_LEASE_SECONDS = 60;

// The record's response while a run holds the key: {"stockroom.idempotency.running": {run_id, lease_until}}.
// No codec's answer has this key at its top level.
const RUNNING = "stockroom.idempotency.running";

// A claim retried this many times (each time the record vanished between statements) is refused as busy.
const CLAIM_ATTEMPTS = 3;

export interface RunLeasedOptions<T> extends RunIdempotentOptions<T> {
  leaseSeconds?: number | undefined;
}

// ABORTED, CONCURRENT_MODIFICATION, naming idempotency_key: safe to retry later for the answer.
export function idempotencyKeyBusy(operation: string, key: string, message?: string): AppError {
  return new AppError(
    "aborted",
    message ??
      `a ${operation} request with idempotency_key ${key} is still running; retry later for its answer`,
    {
      reason: ErrorReason.CONCURRENT_MODIFICATION,
      field: "idempotency_key",
      metadata: { idempotency_key: key },
    },
  );
}

type Records = Kysely<IdempotencyDatabase>;

export async function runLeasedIdempotent<T, DB extends IdempotencyDatabase>(
  db: Kysely<DB>,
  request: IdempotentRequest,
  effect: (signal: AbortSignal) => Promise<T>,
  options: RunLeasedOptions<T> = {},
): Promise<T> {
  const records = db as unknown as Records;
  const leaseSeconds = options.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  const runId = randomUUID();
  for (let attempt = 1; ; attempt++) {
    if (await claimLease(records, request, runId, leaseSeconds, options.retentionHours)) break;
    const held = await records
      .selectFrom("idempotency_records")
      .select(["fingerprint", "response"])
      .where("principal", "=", request.principal)
      .where("operation", "=", request.operation)
      .where("idempotency_key", "=", request.key)
      .executeTakeFirst();
    if (held) {
      if (held.fingerprint !== request.fingerprint)
        throw idempotencyKeyReused(request.operation, request.key);
      if (isRunning(held.response)) throw idempotencyKeyBusy(request.operation, request.key);
      return options.codec ? options.codec.fromJson(held.response) : (held.response as T);
    }
    // Released by a run that failed after this claim found it: claim again.
    if (attempt === CLAIM_ATTEMPTS) throw idempotencyKeyBusy(request.operation, request.key);
  }

  const lease = new AbortController();
  const renewal = setInterval(
    () => {
      renewLease(records, request, runId, leaseSeconds).then(
        (held) => {
          if (!held)
            lease.abort(
              idempotencyKeyBusy(
                request.operation,
                request.key,
                `the ${request.operation} run of idempotency_key ${request.key} lost its lease to another run`,
              ),
            );
        },
        (err: unknown) => lease.abort(err),
      );
    },
    (leaseSeconds * 1000) / 3,
  );
  renewal.unref();
  let response: T;
  try {
    // Finished work is answered even if the lease was lost meanwhile (its answer is then not stored).
    response = await effect(lease.signal);
  } catch (err) {
    clearInterval(renewal);
    // A failure is not an answer to replay: the key may run again at once.
    await releaseLease(records, request, runId);
    throw err;
  }
  clearInterval(renewal);
  await storeLeasedAnswer(records, request, runId, options.codec ? options.codec.toJson(response) : response);
  return response;
}

function isRunning(response: unknown): boolean {
  return typeof response === "object" && response !== null && RUNNING in response;
}

// Inserts the record holding the lease, or takes over an expired record or a lapsed lease of the same
// request. False when another run holds the key or it holds an answer.
async function claimLease(
  records: Records,
  request: IdempotentRequest,
  runId: string,
  leaseSeconds: number,
  retentionHours = IDEMPOTENCY_RETENTION_HOURS,
): Promise<boolean> {
  const { rows } = await sql<{ claimed: number }>`
    INSERT INTO idempotency_records AS r (principal, operation, idempotency_key, fingerprint, response, expires_at)
    VALUES (${request.principal}, ${request.operation}, ${request.key}, ${request.fingerprint},
      jsonb_build_object(${RUNNING}::text, jsonb_build_object('run_id', ${runId}::text,
        'lease_until', now() + make_interval(secs => ${leaseSeconds}))),
      now() + make_interval(hours => ${retentionHours}))
    ON CONFLICT (principal, operation, idempotency_key) DO UPDATE
      SET fingerprint = excluded.fingerprint, response = excluded.response, created_at = now(),
        expires_at = excluded.expires_at
      WHERE r.expires_at < now()
        OR (r.fingerprint = excluded.fingerprint AND r.response ? ${RUNNING}::text
          AND (r.response -> ${RUNNING} ->> 'lease_until')::timestamptz < now())
    RETURNING 1 AS claimed`.execute(records);
  return rows.length > 0;
}

// The statements below touch the record only while this run still holds its lease.
function heldBy(request: IdempotentRequest, runId: string) {
  return sql`principal = ${request.principal} AND operation = ${request.operation}
    AND idempotency_key = ${request.key} AND response -> ${RUNNING} ->> 'run_id' = ${runId}`;
}

// Pushes this run's lease forward; false when another run took the key over.
async function renewLease(
  records: Records,
  request: IdempotentRequest,
  runId: string,
  leaseSeconds: number,
): Promise<boolean> {
  const result = await sql`UPDATE idempotency_records
    SET response = jsonb_set(response, ARRAY[${RUNNING}::text, 'lease_until'],
      to_jsonb(now() + make_interval(secs => ${leaseSeconds})))
    WHERE ${heldBy(request, runId)}`.execute(records);
  return Number(result.numAffectedRows ?? 0) > 0;
}

// response is the answer as it is to be stored (already through the caller's codec).
async function storeLeasedAnswer(
  records: Records,
  request: IdempotentRequest,
  runId: string,
  response: unknown,
): Promise<void> {
  await sql`UPDATE idempotency_records SET response = ${JSON.stringify(response ?? null)}::jsonb
    WHERE ${heldBy(request, runId)}`.execute(records);
}

async function releaseLease(records: Records, request: IdempotentRequest, runId: string): Promise<void> {
  await sql`DELETE FROM idempotency_records WHERE ${heldBy(request, runId)}`.execute(records);
}
