// Throwaway schemas for the db package's own tests (testkit builds on this package, so it cannot be used here).
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPool, migrate, type Pool } from "../src/index.ts";

export const FIXTURE_MIGRATIONS = fileURLToPath(new URL("./fixtures/migrations", import.meta.url));

export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    throw new Error(
      "TEST_DATABASE_URL is not set: run `npm test` (starts it) or `bash deploy/local/infra-up.sh` then `. deploy/local/env.sh`",
    );
  }
  return url;
}

export function uniqueSchemaName(): string {
  return `t_${randomBytes(6).toString("hex")}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export const silentLogger = { info() {}, warn() {}, error() {} };

/** A pool on a new schema with the fixture migrations applied. */
export async function migratedFixturePool(options: {
  max: number;
  pipeline?: boolean;
}): Promise<{ schema: string; pool: Pool }> {
  const schema = uniqueSchemaName();
  const pool = createPool({ connectionString: testDatabaseUrl(), schema, logger: silentLogger, ...options });
  await migrate({ pool, schema, directory: FIXTURE_MIGRATIONS, logger: silentLogger });
  return { schema, pool };
}
