// Postgres failures as typed errors, mapped once here from SQLSTATE codes. Use cases translate these into
// domain errors (a unique violation on an idempotency key is not the same thing as one on a SKU).
export type DbErrorKind =
  | "unique_violation"
  | "check_violation"
  | "foreign_key_violation"
  | "not_null_violation"
  | "retryable_transaction"
  | "statement_timeout"
  | "connection";

export abstract class DbError extends Error {
  abstract readonly kind: DbErrorKind;
  /** SQLSTATE, or a Node error code (ECONNREFUSED) for connection failures. */
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

export class UniqueViolationError extends DbError {
  readonly kind = "unique_violation";
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly detail: string | undefined;

  constructor(fields: PgErrorFields, cause: unknown) {
    super(`unique constraint ${fields.constraint ?? "(unknown)"} violated`, fields.code, cause);
    this.name = "UniqueViolationError";
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.detail = fields.detail;
  }
}

export class CheckViolationError extends DbError {
  readonly kind = "check_violation";
  readonly constraint: string | undefined;
  readonly table: string | undefined;

  constructor(fields: PgErrorFields, cause: unknown) {
    super(`check constraint ${fields.constraint ?? "(unknown)"} violated`, fields.code, cause);
    this.name = "CheckViolationError";
    this.constraint = fields.constraint;
    this.table = fields.table;
  }
}

export class ForeignKeyViolationError extends DbError {
  readonly kind = "foreign_key_violation";
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly detail: string | undefined;

  constructor(fields: PgErrorFields, cause: unknown) {
    super(`foreign key ${fields.constraint ?? "(unknown)"} violated`, fields.code, cause);
    this.name = "ForeignKeyViolationError";
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.detail = fields.detail;
  }
}

export class NotNullViolationError extends DbError {
  readonly kind = "not_null_violation";
  readonly column: string | undefined;
  readonly table: string | undefined;

  constructor(fields: PgErrorFields, cause: unknown) {
    super(`column ${fields.column ?? "(unknown)"} must not be null`, fields.code, cause);
    this.name = "NotNullViolationError";
    this.column = fields.column;
    this.table = fields.table;
  }
}

/** Serialization failure (40001), deadlock (40P01) or lock_not_available (55P03): rerun the whole transaction. */
export class RetryableTransactionError extends DbError {
  readonly kind = "retryable_transaction";
  declare readonly code: string;

  constructor(code: string, message: string, cause: unknown) {
    super(`transaction conflict (${code}): ${message}`, code, cause);
    this.name = "RetryableTransactionError";
  }
}

/** statement_timeout (57014, query_canceled). */
export class StatementTimeoutError extends DbError {
  readonly kind = "statement_timeout";

  constructor(code: string, message: string, cause: unknown) {
    super(`statement cancelled: ${message}`, code, cause);
    this.name = "StatementTimeoutError";
  }
}

/**
 * The database could not be reached or dropped the connection. If it happened during COMMIT the outcome is
 * unknown, so this is never retried automatically.
 */
export class ConnectionError extends DbError {
  readonly kind = "connection";

  constructor(code: string | undefined, message: string, cause: unknown) {
    super(`database unavailable: ${message}`, code, cause);
    this.name = "ConnectionError";
  }
}

export interface PgErrorFields {
  readonly code: string;
  readonly message: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;
  readonly detail?: string;
}

const RETRYABLE_CODES = new Set(["40001", "40P01", "55P03"]);
// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
const CONNECTION_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);
const NODE_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
// node-postgres reports these without a code.
const PG_CONNECTION_MESSAGES = [
  "Connection terminated",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error",
  "Client was closed and is not queryable",
];

/** Maps a thrown value to a typed DbError when it is a Postgres or connection failure; returns it unchanged otherwise. */
export function mapPgError(err: unknown): unknown {
  if (err instanceof DbError || !(err instanceof Error)) return err;
  // Node socket codes first: "EPIPE" would otherwise pass for a SQLSTATE.
  const nodeCode = (err as { code?: unknown }).code;
  if (typeof nodeCode === "string" && NODE_CONNECTION_CODES.has(nodeCode)) {
    return new ConnectionError(nodeCode, err.message, err);
  }
  const fields = pgErrorFields(err);
  if (fields) return mapSqlState(fields, err);
  if (PG_CONNECTION_MESSAGES.some((m) => err.message.includes(m)))
    return new ConnectionError(undefined, err.message, err);
  return err;
}

function mapSqlState(fields: PgErrorFields, err: unknown): unknown {
  const { code, message } = fields;
  switch (code) {
    case "23505":
      return new UniqueViolationError(fields, err);
    case "23514":
      return new CheckViolationError(fields, err);
    case "23503":
      return new ForeignKeyViolationError(fields, err);
    case "23502":
      return new NotNullViolationError(fields, err);
    case "57014":
      return new StatementTimeoutError(code, message, err);
  }
  if (RETRYABLE_CODES.has(code)) return new RetryableTransactionError(code, message, err);
  if (CONNECTION_CODES.has(code) || code.startsWith("08")) return new ConnectionError(code, message, err);
  return err;
}

// pg's DatabaseError carries the SQLSTATE in `code` (5 characters) plus constraint/table/column names.
function pgErrorFields(err: unknown): PgErrorFields | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & Partial<Record<"code" | "constraint" | "table" | "column" | "detail", unknown>>;
  if (typeof e.code !== "string" || !/^[0-9A-Z]{5}$/.test(e.code)) return undefined;
  return {
    code: e.code,
    message: e.message,
    constraint: optionalString(e.constraint),
    table: optionalString(e.table),
    column: optionalString(e.column),
    detail: optionalString(e.detail),
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** True for transaction conflicts (40001, 40P01, 55P03) that are safe to retry by rerunning the whole transaction. */
export function isRetryable(err: unknown): boolean {
  return mapPgError(err) instanceof RetryableTransactionError;
}
