// Which failures of an event's transaction are worth retrying in place, and how long to wait between tries.
import { ConnectionError, mapPgError, RetryableTransactionError } from "@stockroom/db";

const RETRYABLE = Symbol.for("stockroom.messaging.retryable");

/** A handler throws this (or marks its own error with markRetryable) for a failure that may pass on retry. */
export class RetryableHandlerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RetryableHandlerError";
    markRetryable(this);
  }
}

/** Marks any error as transient: the consumer retries the event instead of dead-lettering it at once. */
export function markRetryable<E extends Error>(err: E): E {
  Object.defineProperty(err, RETRYABLE, { value: true, enumerable: false });
  return err;
}

/**
 * Transaction conflicts, a lost database connection, or an error marked retryable. A connection lost during
 * COMMIT leaves the outcome unknown; rerunning is still safe here because the processing-log row makes a
 * second application a duplicate.
 */
export function isTransientError(err: unknown): boolean {
  const mapped = mapPgError(err);
  if (mapped instanceof RetryableTransactionError || mapped instanceof ConnectionError) return true;
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[RETRYABLE] === true;
}

/** Full jitter: random in [0, min(capMs, baseMs * 2^attempt)]. */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}
