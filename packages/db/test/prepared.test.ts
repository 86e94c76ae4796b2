// prepared(): a marked statement is parsed once per connection and answers like the unprepared one.
import { afterEach, beforeEach, expect, it } from "vitest";
import { createDb, createPool, type Kysely, migrate, type Pool, prepared, sql } from "../src/index.ts";
import { dropSchema, FIXTURE_MIGRATIONS, testDatabaseUrl, uniqueSchemaName } from "./test-database.ts";

interface FixtureDb {
  warehouse: { id: string };
}

const silent = { info() {}, warn() {}, error() {} };
let schema: string;
let pool: Pool;
let db: Kysely<FixtureDb>;

beforeEach(async () => {
  schema = uniqueSchemaName();
  // One connection, so every statement below runs in the same session.
  pool = createPool({ connectionString: testDatabaseUrl(), schema, max: 1, logger: silent });
  await migrate({ pool, schema, directory: FIXTURE_MIGRATIONS, logger: silent });
  db = createDb<FixtureDb>(pool);
  await db
    .insertInto("warehouse")
    .values([{ id: "A" }, { id: "B" }, { id: "C" }])
    .execute();
});

afterEach(async () => {
  await pool.end();
  await dropSchema(schema);
});

const idsIn = (ids: string[]) =>
  prepared(sql<{ id: string }>`SELECT id FROM warehouse WHERE id = ANY(${ids}::text[]) ORDER BY id`);

it("binds new values to the statement the session prepared once", async () => {
  expect((await idsIn(["A", "C"]).execute(db)).rows.map((r) => r.id)).toEqual(["A", "C"]);
  expect((await idsIn(["B"]).execute(db)).rows.map((r) => r.id)).toEqual(["B"]);
  await db.transaction().execute(async (trx) => {
    expect((await idsIn(["A", "B", "C"]).execute(trx)).rows).toHaveLength(3);
  });
  const { rows } = await sql<{ statements: number }>`
    SELECT count(*)::int AS statements FROM pg_prepared_statements
    WHERE statement LIKE '/* prepared */ SELECT id FROM warehouse%'`.execute(db);
  expect(rows[0]?.statements).toBe(1);
});

it("leaves unmarked statements unprepared", async () => {
  await sql`SELECT id FROM warehouse WHERE id = ${"A"}`.execute(db);
  const { rows } = await sql<{ statements: number }>`
    SELECT count(*)::int AS statements FROM pg_prepared_statements`.execute(db);
  expect(rows[0]?.statements).toBe(0);
});
