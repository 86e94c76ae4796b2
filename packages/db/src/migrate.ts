// Forward-only migrations: plain SQL files applied in file-name order into one schema. The files never name
// their schema (search_path points at it), so tests apply the same files into a throwaway schema.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { type DbLogger, stderrLogger } from "./db-logger.ts";
import { createPool, type Pool } from "./pool.ts";
import { assertSchemaName, quoteIdent } from "./schema-name.ts";

export interface MigrateOptions {
  /** Either a pool (left open) or a connection string (a short-lived pool is made and ended). */
  readonly pool?: Pool;
  readonly connectionString?: string;
  readonly schema: string;
  /** Folder of *.sql files, e.g. migrations/warehouse. */
  readonly directory: string;
  readonly logger?: DbLogger;
}

export interface MigrationFile {
  readonly version: string;
  readonly path: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: readonly string[];
}

export class MigrationChecksumError extends Error {
  readonly versions: readonly string[];

  constructor(schema: string, versions: readonly string[]) {
    super(
      `migrations already applied to schema ${schema} were changed: ${versions.join(", ")}. ` +
        "Applied migrations are immutable; add a new migration instead.",
    );
    this.name = "MigrationChecksumError";
    this.versions = versions;
  }
}

export class MigrationFailedError extends Error {
  readonly version: string;

  constructor(version: string, cause: unknown) {
    super(`migration ${version} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "MigrationFailedError";
    this.version = version;
  }
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const schema = assertSchemaName(options.schema);
  const logger = options.logger ?? stderrLogger;
  const files = await readMigrationFiles(options.directory);
  const ownPool = options.pool ? undefined : createPoolFor(options);
  const pool = options.pool ?? ownPool;
  if (!pool) throw new Error("migrate: pass a pool or a connectionString");
  const client = await pool.connect();
  // A connection that breaks mid-migration fails the statement in flight, which fails migrate(); its
  // "error" event on the checked-out client must not also end the process unheard.
  client.on("error", () => undefined);
  try {
    // One migrator per schema at a time, across processes: a session lock, so each file still gets its
    // own transaction. Taken before CREATE SCHEMA, which itself races between concurrent starters.
    // A pool made for requests caps statements and lock waits; waiting for another instance's migrations
    // and rewriting a big table are neither. RESET restores the pool's connection defaults afterwards.
    await client.query("SET statement_timeout = 0");
    await client.query("SET lock_timeout = 0");
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [lockKey(schema)]);
    try {
      return await applyPending(client, schema, files, logger);
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [lockKey(schema)]);
      await client.query("RESET statement_timeout");
      await client.query("RESET lock_timeout");
    }
  } finally {
    client.release();
    await ownPool?.end();
  }
}

function createPoolFor(options: MigrateOptions): Pool | undefined {
  if (!options.connectionString) return undefined;
  return createPool({
    connectionString: options.connectionString,
    max: 1,
    // Migrations may rewrite big tables; the server-side caps for requests do not apply here.
    statementTimeoutMillis: 0,
    lockTimeoutMillis: 0,
    applicationName: `migrate:${options.schema}`,
    logger: options.logger,
  });
}

function lockKey(schema: string): string {
  return `stockroom.migrate:${schema}`;
}

export async function readMigrationFiles(directory: string): Promise<MigrationFile[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".sql"));
  // Plain code-unit order, never locale order: timestamp prefixes must sort the same everywhere.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const path = join(directory, name);
      const sql = await readFile(path, "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      return { version: name.slice(0, -".sql".length), path, sql, checksum };
    }),
  );
}

async function applyPending(
  client: pg.PoolClient,
  schema: string,
  files: readonly MigrationFile[],
  logger: DbLogger,
): Promise<MigrateResult> {
  const table = `${quoteIdent(schema)}.schema_migrations`;
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (
       version text PRIMARY KEY,
       checksum text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const { rows } = await client.query<{ version: string; checksum: string }>(
    `SELECT version, checksum FROM ${table} ORDER BY version`,
  );
  const applied = new Map(rows.map((row) => [row.version, row.checksum]));
  const changed = files.filter((f) => applied.has(f.version) && applied.get(f.version) !== f.checksum);
  if (changed.length > 0)
    throw new MigrationChecksumError(
      schema,
      changed.map((f) => f.version),
    );
  const known = new Set(files.map((f) => f.version));
  const unknown = [...applied.keys()].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    // Normal during a rolling deploy (an older instance starting after a newer one migrated).
    logger.warn({ schema, versions: unknown }, "schema has migrations this build does not know");
  }

  const pending = files.filter((f) => !applied.has(f.version));
  for (const file of pending) {
    await applyOne(client, schema, table, file);
    logger.info({ schema, migration: file.version }, "migration applied");
  }
  return {
    applied: pending.map((f) => f.version),
    alreadyApplied: files.filter((f) => applied.has(f.version)).map((f) => f.version),
  };
}

async function applyOne(client: pg.PoolClient, schema: string, table: string, file: MigrationFile) {
  await client.query("BEGIN");
  try {
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}, public`);
    await client.query(file.sql);
    await client.query(`INSERT INTO ${table} (version, checksum) VALUES ($1, $2)`, [
      file.version,
      file.checksum,
    ]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw new MigrationFailedError(file.version, err);
  }
}
