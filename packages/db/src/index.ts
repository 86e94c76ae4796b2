export { type Kysely, sql, type Transaction } from "kysely";
export {
  CheckViolationError,
  ConnectionError,
  DbError,
  type DbErrorKind,
  ForeignKeyViolationError,
  isRetryable,
  mapPgError,
  NotNullViolationError,
  type PgErrorFields,
  RetryableTransactionError,
  StatementTimeoutError,
  UniqueViolationError,
} from "./db-errors.ts";
export type { DbLogger } from "./db-logger.ts";
export { createDb, type Executor, prepared } from "./kysely.ts";
export {
  type MigrateOptions,
  type MigrateResult,
  MigrationChecksumError,
  MigrationFailedError,
  type MigrationFile,
  migrate,
  readMigrationFiles,
} from "./migrate.ts";
export { type CreatePoolOptions, createPool, POOL_DEFAULTS, type Pool, searchPathOption } from "./pool.ts";
export { assertSchemaName, quoteIdent } from "./schema-name.ts";
export {
  openServiceDatabase,
  type ServiceDatabase,
  type ServiceDatabaseConfig,
  type TransactionalDeps,
  transactionalDeps,
} from "./service-database.ts";
export { TRANSACTION_DEFAULTS, type TransactionOptions, withTransaction } from "./transaction.ts";
