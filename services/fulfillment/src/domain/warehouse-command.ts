// Calls to the warehouse as pending commands: written in the transaction of the state change that needs
// them, sent after commit by the command worker. Each carries a deterministic idempotency key, one per
// (aggregate, movement), so a retry, a crash between send and mark, or a second worker never moves a
// unit twice (vendure#1571), and a movement is queued once (UNIQUE on the key).

export const WAREHOUSE_COMMAND_KINDS = [
  // GetReservation: is the reservation still confirmed for the fulfillment's units (FULF-P0-03)?
  "verify_reservation",
  "ship_reservation",
  "cancel_reservation",
  "restock_return",
  "record_quality_check",
  "adjust_stock",
] as const;
export type WarehouseCommandKind = (typeof WAREHOUSE_COMMAND_KINDS)[number];

export const WAREHOUSE_COMMAND_STATUSES = ["pending", "sent", "failed"] as const;
export type WarehouseCommandStatus = (typeof WAREHOUSE_COMMAND_STATUSES)[number];

// `<aggregate id>:<movement>[:<qualifier>]`, e.g. `<fulfillment id>:ship`, `<return id>:restock:2`.
export function warehouseCommandKey(
  aggregateId: string,
  movement: string,
  ...qualifiers: (string | number)[]
): string {
  return [aggregateId, movement, ...qualifiers.map(String)].join(":");
}

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  // After this many failed attempts the command is `failed` and waits for ops (never dropped).
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 60_000, maxAttempts: 20 };

export type AttemptOutcome =
  // Retry at `nextAttemptAt` (transient: unavailable, deadline, aborted).
  | { status: "pending"; nextAttemptAt: Date }
  // Attempts exhausted, or the warehouse refused the command for good.
  | { status: "failed" };

// Exponential backoff with full jitter (`draw` uniform in [0, 1)).
export function afterFailedAttempt(
  attempts: number,
  retryable: boolean,
  now: Date,
  policy: RetryPolicy,
  draw: number,
): AttemptOutcome {
  if (!retryable || attempts >= policy.maxAttempts) return { status: "failed" };
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return { status: "pending", nextAttemptAt: new Date(now.getTime() + Math.floor(cap * draw) + 1) };
}
