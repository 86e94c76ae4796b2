// How kysely reaches pg: prepared() statements are parsed once per connection and answer like unprepared
// ones; a transaction's BEGIN is pipelined with its first statement. The same on a pool in pipeline mode,
// where every statement is written without waiting for the previous answer.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Kysely, type Pool, prepared, sql } from "../src/index.ts";
import { dropSchema, migratedFixturePool } from "./test-database.ts";

interface FixtureDb {
  warehouse: { id: string };
}

describe.each([false, true])("pipeline mode %s", (pipeline) => {
  let schema: string;
  let pool: Pool;
  let db: Kysely<FixtureDb>;

  beforeEach(async () => {
    // One connection, so every statement below runs in the same session.
    ({ schema, pool } = await migratedFixturePool({ max: 1, pipeline }));
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

  it("a connection that breaks while checked out fails its statements, not the process", async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`SELECT pg_terminate_backend(pg_backend_pid())`.execute(trx);
        await sql`SELECT 1`.execute(trx);
      }),
    ).rejects.toThrow();
    // The broken client was dropped: the pool's next statement runs on a new connection.
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("runs a transaction's statements inside its BEGIN, which is not waited for", async () => {
    const ids = await db
      .transaction()
      .setIsolationLevel("serializable")
      .execute(async (trx) => {
        const first = await sql<{ id: string; level: string }>`
          SELECT txid_current()::text AS id, current_setting('transaction_isolation') AS level`.execute(trx);
        await trx.insertInto("warehouse").values({ id: "IN-TX" }).execute();
        const second = await sql<{ id: string }>`SELECT txid_current()::text AS id`.execute(trx);
        return [first.rows[0], second.rows[0]?.id];
      });
    expect(ids[0]).toMatchObject({ level: "serializable" });
    expect(ids[1]).toBe((ids[0] as { id: string }).id);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("warehouse").values({ id: "ROLLED-BACK" }).execute();
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    const { rows } = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM warehouse WHERE id = 'ROLLED-BACK'`.execute(db);
    expect(rows[0]?.n).toBe(0);
  });
});
