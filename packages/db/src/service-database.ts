// A service's own database at start-up: its pool on its schema, its migrations applied, its kysely
// instance; and the transactional deps every service's use cases are built with.
import type { CallLimits } from "@stockroom/errors";
import type { Kysely, Transaction } from "kysely";
import type { DbLogger } from "./db-logger.ts";
import { createDb } from "./kysely.ts";
import { migrate } from "./migrate.ts";
import { createPool, type Pool } from "./pool.ts";
import { withTransaction } from "./transaction.ts";

export interface ServiceDatabaseConfig {
  DATABASE_URL: string;
  DB_SCHEMA: string;
  DB_POOL_MAX: number;
  DB_STATEMENT_TIMEOUT: number;
}

export interface ServiceDatabase<DB> {
  pool: Pool;
  db: Kysely<DB>;
}

export async function openServiceDatabase<DB>(options: {
  config: ServiceDatabaseConfig;
  service: string;
  migrations: string;
  logger: DbLogger;
}): Promise<ServiceDatabase<DB>> {
  const { config, service, logger } = options;
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    max: config.DB_POOL_MAX,
    statementTimeoutMillis: config.DB_STATEMENT_TIMEOUT,
    applicationName: service,
    logger,
  });
  // The runner takes an advisory lock, so several instances starting together apply each file once.
  const migrated = await migrate({ pool, schema: config.DB_SCHEMA, directory: options.migrations, logger });
  logger.info({ migrated }, "migrations applied");
  return { pool, db: createDb<DB>(pool) };
}

// What every use case gets from the database: the kysely instance, a way to open a transaction (retrying
// serialization failures and deadlocks) that is passed down explicitly, and the clock. A use case passes
// its RequestContext as the limits: the transaction is then bounded by the caller's deadline and stops
// when the caller goes (withTransaction's limits).
export interface TransactionalDeps<DB> {
  db: Kysely<DB>;
  transaction: <T>(fn: (trx: Transaction<DB>) => Promise<T>, limits?: CallLimits) => Promise<T>;
  clock: () => Date;
}

export function transactionalDeps<DB>(
  db: Kysely<DB>,
  clock: () => Date = () => new Date(),
): TransactionalDeps<DB> {
  return { db, transaction: (fn, limits) => withTransaction(db, fn, { limits }), clock };
}
