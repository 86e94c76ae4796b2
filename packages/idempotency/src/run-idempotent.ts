// Claim key → run → store answer → replay: runs an effect at most once per (principal, operation, key),
// inside the caller's transaction, so the answer commits (or rolls back) with the effect.
import { type AppError, ErrorReason, failedPrecondition } from "@stockroom/errors";
import { claimIdempotencyKey, type IdempotencyDb, storeIdempotentResponse } from "./idempotency.repo.ts";
import type { IdempotencyDatabase } from "./idempotency-records.table.ts";

// How long an answer is replayed; the table's CHECK refuses less than 24 hours.
export const IDEMPOTENCY_RETENTION_HOURS = 48;

export interface IdempotentRequest {
  // The authenticated caller (token subject or tenant), or SYSTEM_PRINCIPAL.
  principal: string;
  operation: string;
  key: string;
  // fingerprintOf(the request without its key).
  fingerprint: string;
}

// How an answer is stored as JSON and read back; without one, the answer is stored with JSON.stringify
// and replayed as parsed (so Dates come back as strings, bigints are refused).
export interface IdempotencyCodec<T> {
  toJson(value: T): unknown;
  fromJson(json: unknown): T;
}

export interface RunIdempotentOptions<T> {
  codec?: IdempotencyCodec<T> | undefined;
  retentionHours?: number | undefined;
}

// FAILED_PRECONDITION, IDEMPOTENCY_KEY_REUSED, naming idempotency_key.
export function idempotencyKeyReused(operation: string, key: string): AppError {
  return failedPrecondition(
    ErrorReason.IDEMPOTENCY_KEY_REUSED,
    `idempotency_key ${key} was already used for a different ${operation} request`,
    { field: "idempotency_key" },
  );
}

export async function runIdempotent<T, DB extends IdempotencyDatabase>(
  trx: IdempotencyDb<DB>,
  request: IdempotentRequest,
  effect: () => Promise<T>,
  options: RunIdempotentOptions<T> = {},
): Promise<T> {
  const claim = await claimIdempotencyKey(trx, {
    ...request,
    retentionHours: options.retentionHours ?? IDEMPOTENCY_RETENTION_HOURS,
  });
  if (claim.status === "replay") {
    if (claim.fingerprint !== request.fingerprint) throw idempotencyKeyReused(request.operation, request.key);
    return options.codec ? options.codec.fromJson(claim.response) : (claim.response as T);
  }
  const response = await effect();
  await storeIdempotentResponse(trx, {
    principal: request.principal,
    operation: request.operation,
    key: request.key,
    response: options.codec ? options.codec.toJson(response) : response,
  });
  return response;
}
