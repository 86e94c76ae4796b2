// The pg pool every service uses: bounded, with server-side timeouts, pinned to the service's schema, and an
// error listener so a restarting database does not crash the process (node-postgres #2386).
import pg from "pg";
import { type DbLogger, stderrLogger } from "./db-logger.ts";
import { assertSchemaName } from "./schema-name.ts";

export type Pool = pg.Pool;

export interface CreatePoolOptions {
  readonly connectionString: string;
  /** The service's schema; becomes the search_path (then public, for extensions' functions). */
  readonly schema?: string;
  readonly max?: number;
  readonly idleTimeoutMillis?: number;
  readonly connectionTimeoutMillis?: number;
  /** Server-side cap on any one statement. */
  readonly statementTimeoutMillis?: number;
  /** Server-side cap on waiting for a row or table lock; 0 waits forever. */
  readonly lockTimeoutMillis?: number;
  /** The server ends sessions left idle inside a transaction (a leaked client), releasing their locks. */
  readonly idleInTransactionSessionTimeoutMillis?: number;
  readonly applicationName?: string;
  /**
   * The planner's cost of a random page read. Our statements look rows up by key in a working set that
   * lives in memory (or on SSD); at PostgreSQL's default of 4 the planner scans a small table with a
   * many-key filter rather than probe its primary key once per key (docs/performance.md). 1.1 is the
   * usual setting for such databases.
   */
  readonly randomPageCost?: number;
  /**
   * Pipeline mode (node-postgres): each statement is written at once, without waiting for the previous
   * one's answer. A transaction's BEGIN then leaves with its first statement, saving a round trip and a
   * wake-up of the event loop per transaction. Cursors and streams are refused on such a pool: give them
   * a pool of their own. Off by default.
   */
  readonly pipeline?: boolean;
  readonly logger?: DbLogger;
}

export const POOL_DEFAULTS = {
  max: 10,
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 5_000,
  statementTimeoutMillis: 30_000,
  lockTimeoutMillis: 10_000,
  idleInTransactionSessionTimeoutMillis: 60_000,
  randomPageCost: 1.1,
} as const;

export function createPool(options: CreatePoolOptions): Pool {
  const logger = options.logger ?? stderrLogger;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? POOL_DEFAULTS.max,
    idleTimeoutMillis: options.idleTimeoutMillis ?? POOL_DEFAULTS.idleTimeoutMillis,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? POOL_DEFAULTS.connectionTimeoutMillis,
    statement_timeout: options.statementTimeoutMillis ?? POOL_DEFAULTS.statementTimeoutMillis,
    lock_timeout: options.lockTimeoutMillis ?? POOL_DEFAULTS.lockTimeoutMillis,
    idle_in_transaction_session_timeout:
      options.idleInTransactionSessionTimeoutMillis ?? POOL_DEFAULTS.idleInTransactionSessionTimeoutMillis,
    application_name: options.applicationName ?? options.schema ?? "stockroom",
    keepAlive: true,
    pipeline: options.pipeline ?? false,
    options: [
      ...(options.schema ? [searchPathOption(options.schema)] : []),
      `-c random_page_cost=${options.randomPageCost ?? POOL_DEFAULTS.randomPageCost}`,
    ].join(" "),
  });
  // An idle client whose connection dies emits "error" on the pool; unhandled, that event kills the process.
  // The pool has already discarded the client; the next query opens a fresh connection.
  pool.on("error", (err) => {
    logger.error(
      { err, schema: options.schema },
      "idle PostgreSQL client failed; it was removed from the pool",
    );
  });
  return pool;
}

export function searchPathOption(schema: string): string {
  return `-c search_path=${assertSchemaName(schema)},public`;
}
