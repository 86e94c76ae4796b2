import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CheckViolationError,
  ConnectionError,
  createDb,
  createPool,
  type Executor,
  ForeignKeyViolationError,
  isRetryable,
  type Kysely,
  mapPgError,
  NotNullViolationError,
  type Pool,
  RetryableTransactionError,
  StatementTimeoutError,
  sql,
  UniqueViolationError,
  withTransaction,
} from "../src/index.ts";
import { dropSchema, migratedFixturePool, silentLogger, testDatabaseUrl } from "./test-database.ts";

interface FixtureDb {
  warehouse: { id: string };
  stock_level: { warehouse_id: string; sku: string; on_hand: number };
  counter: { id: number; n: number };
}

const silent = silentLogger;
let schema: string;
let pool: Pool;
let db: Kysely<FixtureDb>;

beforeEach(async () => {
  ({ schema, pool } = await migratedFixturePool({ max: 4 }));
  db = createDb<FixtureDb>(pool);
});

afterEach(async () => {
  await db.destroy(); // ends the pool too
  await dropSchema(schema);
});

// A repository function as services write them: it runs on whatever executor the use case hands it.
function addStock(executor: Executor<FixtureDb>, sku: string, quantity: number) {
  return executor
    .insertInto("stock_level")
    .values({ warehouse_id: "main", sku, on_hand: quantity })
    .onConflict((oc) =>
      oc.columns(["warehouse_id", "sku"]).doUpdateSet({ on_hand: sql`stock_level.on_hand + ${quantity}` }),
    )
    .execute();
}

describe("withTransaction", () => {
  it("commits what fn wrote and returns its result", async () => {
    const result = await withTransaction(db, async (trx) => {
      await addStock(trx, "SKU-1", 3);
      await addStock(trx, "SKU-1", 2);
      return "done";
    });
    expect(result).toBe("done");
    const row = await db
      .selectFrom("stock_level")
      .select("on_hand")
      .where("sku", "=", "SKU-1")
      .executeTakeFirst();
    expect(row?.on_hand).toBe(5);
  });

  it("joins the surrounding transaction when given one, so composed use cases commit or roll back together", async () => {
    const failure = new Error("outer failed after inner succeeded");
    await expect(
      withTransaction(db, async (trx) => {
        await withTransaction(trx, (inner) => addStock(inner, "SKU-5", 1));
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await db.selectFrom("stock_level").selectAll().execute()).toEqual([]);
  });

  it("rolls everything back when fn throws, and rethrows the same error", async () => {
    const failure = new Error("business rule said no");
    await expect(
      withTransaction(db, async (trx) => {
        await addStock(trx, "SKU-2", 3);
        throw failure;
      }),
    ).rejects.toBe(failure);
    const rows = await db.selectFrom("stock_level").selectAll().execute();
    expect(rows).toEqual([]);
  });

  it("reruns the whole function after a serialization failure between two SERIALIZABLE transactions", async () => {
    // Both transactions read the counter before either writes; whichever writes second must fail with 40001
    // on its first attempt and succeed on its rerun, so no increment is lost.
    const bothRead = twoPartyBarrier();
    let attempts = 0;
    const retries: string[] = [];
    const increment = (party: 0 | 1) =>
      withTransaction(
        db,
        async (trx) => {
          attempts++;
          const { n } = await trx
            .selectFrom("counter")
            .select("n")
            .where("id", "=", 1)
            .executeTakeFirstOrThrow();
          if (!bothRead.done) await bothRead.arrive(party);
          await trx
            .updateTable("counter")
            .set({ n: n + 1 })
            .where("id", "=", 1)
            .execute();
          return n + 1;
        },
        { isolationLevel: "serializable", onRetry: (err) => retries.push(err.code) },
      );

    const results = await Promise.all([increment(0), increment(1)]);
    expect(results.sort()).toEqual([1, 2]);
    expect(attempts).toBe(3);
    expect(retries).toEqual(["40001"]);
    const { n } = await db.selectFrom("counter").select("n").where("id", "=", 1).executeTakeFirstOrThrow();
    expect(n).toBe(2);
  });

  it("gives up after maxRetries with a RetryableTransactionError", async () => {
    const bothRead = twoPartyBarrier();
    const increment = (party: 0 | 1) =>
      withTransaction(
        db,
        async (trx) => {
          const { n } = await trx
            .selectFrom("counter")
            .select("n")
            .where("id", "=", 1)
            .executeTakeFirstOrThrow();
          if (!bothRead.done) await bothRead.arrive(party);
          await trx
            .updateTable("counter")
            .set({ n: n + 1 })
            .where("id", "=", 1)
            .execute();
        },
        { isolationLevel: "repeatable read", maxRetries: 0 },
      );
    const outcomes = await Promise.allSettled([increment(0), increment(1)]);
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(rejected).toHaveLength(1);
    const reason = (rejected[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(RetryableTransactionError);
    expect(isRetryable(reason)).toBe(true);
  });

  it("maps constraint violations to typed errors naming the constraint", async () => {
    await addStock(db, "SKU-3", 1);
    const duplicate = await withTransaction(db, (trx) =>
      trx.insertInto("stock_level").values({ warehouse_id: "main", sku: "SKU-3", on_hand: 1 }).execute(),
    ).catch((err: unknown) => err);
    expect(duplicate).toBeInstanceOf(UniqueViolationError);
    expect(duplicate).toMatchObject({ constraint: "stock_level_pkey", table: "stock_level", code: "23505" });

    const negative = await withTransaction(db, (trx) =>
      trx.updateTable("stock_level").set({ on_hand: -1 }).where("sku", "=", "SKU-3").execute(),
    ).catch((err: unknown) => err);
    expect(negative).toBeInstanceOf(CheckViolationError);
    expect(negative).toMatchObject({ constraint: "stock_level_on_hand_non_negative", code: "23514" });
    expect(isRetryable(negative)).toBe(false);

    const orphan = await db
      .insertInto("stock_level")
      .values({ warehouse_id: "nowhere", sku: "SKU-4", on_hand: 1 })
      .execute()
      .catch(mapPgError);
    expect(orphan).toBeInstanceOf(ForeignKeyViolationError);
    expect(orphan).toMatchObject({ constraint: "stock_level_warehouse_id_fkey" });

    const missing = await sql`INSERT INTO warehouse (id) VALUES (NULL)`.execute(db).catch(mapPgError);
    expect(missing).toBeInstanceOf(NotNullViolationError);
    expect(missing).toMatchObject({ column: "id" });
  });

  it("maps a statement timeout", async () => {
    const timed = await withTransaction(db, async (trx) => {
      await sql`SET LOCAL statement_timeout = 50`.execute(trx);
      await sql`SELECT pg_sleep(5)`.execute(trx);
    }).catch((err: unknown) => err);
    expect(timed).toBeInstanceOf(StatementTimeoutError);
  });
});

describe("pool", () => {
  it("resolves unqualified names in the service's schema", async () => {
    const { rows } = await pool.query(
      "SELECT current_schema() AS s, current_setting('application_name') AS app",
    );
    expect(rows[0]).toEqual({ s: schema, app: schema });
  });

  it("survives the server killing an idle connection, logs it, and keeps serving", async () => {
    let logged: (value: unknown) => void = () => {};
    const loggedError = new Promise((resolve) => {
      logged = resolve;
    });
    const watched = createPool({
      connectionString: testDatabaseUrl(),
      schema,
      max: 1,
      logger: { ...silent, error: (obj) => logged(obj) },
    });
    try {
      const { rows } = await watched.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const admin = new pg.Client({ connectionString: testDatabaseUrl() });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
      await admin.end();

      const entry = (await loggedError) as { err: Error; schema: string };
      expect(entry.schema).toBe(schema);
      expect(entry.err).toBeInstanceOf(Error);
      const after = await watched.query("SELECT 1 AS ok");
      expect(after.rows[0].ok).toBe(1);
    } finally {
      await watched.end();
    }
  });

  it("maps an unreachable server to ConnectionError", async () => {
    const nowhere = createPool({ connectionString: "postgres://postgres@127.0.0.1:1/x", logger: silent });
    try {
      const err = await nowhere.query("SELECT 1").catch(mapPgError);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(isRetryable(err)).toBe(false);
    } finally {
      await nowhere.end();
    }
  });
});

// Lets two concurrent transactions each reach a point before either goes on; used once, on first attempts.
function twoPartyBarrier() {
  const arrived: [boolean, boolean] = [false, false];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const barrier = {
    done: false,
    arrive(party: 0 | 1): Promise<void> {
      arrived[party] = true;
      if (arrived[0] && arrived[1]) {
        barrier.done = true;
        release();
      }
      return released;
    },
  };
  return barrier;
}
