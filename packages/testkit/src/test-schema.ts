// A throwaway PostgreSQL schema per test (file), optionally migrated with the service's own migrations.
import { createPool, migrate, type Pool, quoteIdent } from "@stockroom/db";
import pg from "pg";
import { requireTestEnv } from "./test-infrastructure.ts";
import { uniqueSuffix } from "./unique-name.ts";

export interface CreateTestSchemaOptions {
  /** A migrations folder (e.g. migrations/warehouse) applied into the new schema. */
  readonly migrations?: string;
  readonly poolMax?: number;
}

export interface TestSchema {
  readonly schema: string;
  /** search_path is the test schema, like a service's pool. */
  readonly pool: Pool;
  readonly connectionString: string;
  /** Ends the pool and drops the schema with everything in it. */
  drop(): Promise<void>;
}

const quiet = { info() {}, warn() {}, error() {} };

export async function createTestSchema(options: CreateTestSchemaOptions = {}): Promise<TestSchema> {
  const connectionString = requireTestEnv("TEST_DATABASE_URL");
  const schema = `t_${uniqueSuffix()}`;
  const pool = createPool({ connectionString, schema, max: options.poolMax ?? 5, logger: quiet });
  try {
    if (options.migrations) {
      await migrate({ pool, schema, directory: options.migrations, logger: quiet });
    } else {
      await pool.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    }
  } catch (err) {
    await pool.end();
    await dropSchema(connectionString, schema);
    throw err;
  }
  let dropped = false;
  return {
    schema,
    pool,
    connectionString,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end();
      await dropSchema(connectionString, schema);
    },
  };
}

// On a fresh connection: the test's pool may already be ended, or broken by the test itself.
async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}
