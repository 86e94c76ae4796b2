// Explicit transactions: the use case calls withTransaction and passes trx down. Conflicts Postgres asks us
// to retry (serialization failure, deadlock, lock not available) rerun the WHOLE function, bounded.
// A transaction run for a caller (limits) is bounded by its deadline and stopped when it goes away.
import { setTimeout as sleep } from "node:timers/promises";
import { type CallLimits, remainingMs, stopReasonOf, throwIfStopped } from "@stockroom/errors";
import { inSpan } from "@stockroom/telemetry";
import type { IsolationLevel, Kysely, Transaction } from "kysely";
import { mapPgError, RetryableTransactionError } from "./db-errors.ts";
import { runWithinLimits } from "./transaction-limits.ts";

export interface TransactionOptions {
  readonly isolationLevel?: IsolationLevel;
  /** Reruns after the first attempt; 0 disables retrying. Default 5. */
  readonly maxRetries?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^n)] (full jitter). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly onRetry?: (err: RetryableTransactionError, attempt: number) => void;
  /**
   * The caller's deadline and abort signal (a RequestContext carries them). No attempt starts once
   * either says stop; each statement is capped at the time left; an abort cancels the statement that
   * runs. The transaction then fails with the stop reason (DEADLINE_EXCEEDED or CANCELLED), whatever
   * error the cancelled statement raised.
   */
  readonly limits?: CallLimits | undefined;
}

export const TRANSACTION_DEFAULTS = { maxRetries: 5, baseDelayMs: 10, maxDelayMs: 500 } as const;

/**
 * Runs fn in a transaction and returns its result. fn may run more than once: keep side effects other than
 * database writes through trx (HTTP calls, Kafka sends) out of it. Errors come out mapped by mapPgError.
 */
export async function withTransaction<DB, T>(
  db: Kysely<DB> | Transaction<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  // Already inside a transaction (a use case composed of others): join it. Retrying belongs to the
  // outermost call, which reruns everything.
  if (db.isTransaction) {
    throwIfStopped(options.limits);
    return fn(db as Transaction<DB>);
  }
  // One span for the transaction, retries included (tracing on only).
  return inSpan("db.transaction", { attributes: { "db.system.name": "postgresql" } }, (span) =>
    runWithRetries(db as Kysely<DB>, fn, options, (attempt) =>
      span?.setAttribute("db.transaction.attempts", attempt + 1),
    ),
  );
}

async function runWithRetries<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions,
  onAttempt: (attempt: number) => void,
): Promise<T> {
  const maxRetries = options.maxRetries ?? TRANSACTION_DEFAULTS.maxRetries;
  const { limits } = options;
  const bounded = limits !== undefined && (limits.signal !== undefined || limits.deadline !== undefined);
  const run = bounded ? (trx: Transaction<DB>) => runWithinLimits(db, trx, fn, limits) : fn;
  for (let attempt = 0; ; attempt++) {
    onAttempt(attempt);
    // A caller that has gone gets no transaction (nor a retry): nothing is locked on its behalf.
    throwIfStopped(limits);
    try {
      const builder = db.transaction();
      return await (options.isolationLevel
        ? builder.setIsolationLevel(options.isolationLevel)
        : builder
      ).execute(run);
    } catch (err) {
      // Whatever the cancelled or timed-out statement raised, the caller stopped waiting.
      const stopped = stopReasonOf(limits);
      if (stopped !== undefined) throw stopped;
      const mapped = mapPgError(err);
      if (!(mapped instanceof RetryableTransactionError) || attempt >= maxRetries) throw mapped;
      const delayMs = backoffMs(attempt, options);
      // A retry that could not finish before the deadline is not worth its locks.
      if (delayMs >= (remainingMs(limits) ?? Number.POSITIVE_INFINITY)) throw mapped;
      options.onRetry?.(mapped, attempt + 1);
      await sleep(delayMs, undefined, limits?.signal ? { signal: limits.signal } : undefined).catch(() => {
        throwIfStopped(limits);
        throw mapped;
      });
    }
  }
}

function backoffMs(attempt: number, options: TransactionOptions): number {
  const base = options.baseDelayMs ?? TRANSACTION_DEFAULTS.baseDelayMs;
  const cap = options.maxDelayMs ?? TRANSACTION_DEFAULTS.maxDelayMs;
  return Math.random() * Math.min(cap, base * 2 ** attempt);
}
