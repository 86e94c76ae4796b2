// Runs a use case's effect at most once per idempotency key, inside the caller's transaction.
import { createHash } from "node:crypto";
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { claimIdempotencyKey, storeIdempotentResponse } from "../data/idempotency.repo.ts";
import type { Db } from "../data/stock.repo.ts";

export const IDEMPOTENCY_RETENTION_HOURS = 48;

export function fingerprintOf(request: unknown): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("base64url");
}

export async function runIdempotent<T>(
  trx: Db,
  request: { operation: string; key: string; fingerprint: string },
  effect: () => Promise<T>,
): Promise<T> {
  const claim = await claimIdempotencyKey(trx, { ...request, retentionHours: IDEMPOTENCY_RETENTION_HOURS });
  if (claim.status === "replay") {
    if (claim.fingerprint !== request.fingerprint) {
      throw failedPrecondition(
        ErrorReason.IDEMPOTENCY_KEY_REUSED,
        `idempotency_key ${request.key} was already used for a different ${request.operation} request`,
        { field: "idempotency_key" },
      );
    }
    return claim.response as T;
  }
  const response = await effect();
  await storeIdempotentResponse(trx, { operation: request.operation, key: request.key, response });
  return response;
}
