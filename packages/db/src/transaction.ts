// Explicit transactions: the use case calls withTransaction and passes trx down. Conflicts Postgres asks us
// to retry (serialization failure, deadlock, lock not available) rerun the WHOLE function, bounded.
import { inSpan } from "@stockroom/telemetry";
import type { IsolationLevel, Kysely, Transaction } from "kysely";
import { mapPgError, RetryableTransactionError } from "./db-errors.ts";

export interface TransactionOptions {
  readonly isolationLevel?: IsolationLevel;
  /** Reruns after the first attempt; 0 disables retrying. Default 5. */
  readonly maxRetries?: number;
  /** Backoff before retry n is random in [0, min(maxDelayMs, baseDelayMs * 2^n)] (full jitter). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly onRetry?: (err: RetryableTransactionError, attempt: number) => void;
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
  if (db.isTransaction) return fn(db as Transaction<DB>);
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
  for (let attempt = 0; ; attempt++) {
    onAttempt(attempt);
    try {
      const builder = db.transaction();
      return await (options.isolationLevel
        ? builder.setIsolationLevel(options.isolationLevel)
        : builder
      ).execute(fn);
    } catch (err) {
      const mapped = mapPgError(err);
      if (!(mapped instanceof RetryableTransactionError) || attempt >= maxRetries) throw mapped;
      options.onRetry?.(mapped, attempt + 1);
      await sleep(backoffMs(attempt, options));
    }
  }
}

function backoffMs(attempt: number, options: TransactionOptions): number {
  const base = options.baseDelayMs ?? TRANSACTION_DEFAULTS.baseDelayMs;
  const cap = options.maxDelayMs ?? TRANSACTION_DEFAULTS.maxDelayMs;
  return Math.random() * Math.min(cap, base * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
