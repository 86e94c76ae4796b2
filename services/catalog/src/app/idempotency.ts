// Runs an admin write at most once per idempotency key, inside the caller's transaction.
import { createHash } from "node:crypto";
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { claimIdempotencyKey, storeIdempotentResponse } from "../data/idempotency.repo.ts";
import type { Db } from "../data/product.repo.ts";

export const IDEMPOTENCY_RETENTION_HOURS = 48;

// bigint prices are fingerprinted as strings (JSON.stringify refuses bigint).
export function fingerprintOf(request: unknown): string {
  const json = JSON.stringify(request, (_key, value) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  return createHash("sha256").update(json).digest("base64url");
}

export async function runIdempotent<T>(
  trx: Db,
  request: { operation: string; key: string; fingerprint: string },
  effect: () => Promise<T>,
  codec: { toJson(value: T): unknown; fromJson(json: unknown): T },
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
    return codec.fromJson(claim.response);
  }
  const response = await effect();
  await storeIdempotentResponse(trx, {
    operation: request.operation,
    key: request.key,
    response: codec.toJson(response),
  });
  return response;
}
