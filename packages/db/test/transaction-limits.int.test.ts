// withTransaction for a caller with a deadline or an abort signal (limits), against real PostgreSQL: a
// statement blocked on a row lock another transaction holds is cancelled when the caller's deadline
// passes or it aborts (not when the pool's lock_timeout would end it), the lock queue is left at once,
// nothing is written, and no transaction starts for a caller already gone. Both pool modes: the
// warehouse's reserve batches run in pipeline mode on a pool with no connection to spare.
import { AppError, cancelled } from "@stockroom/errors";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createDb,
  type Kysely,
  type Pool,
  StatementTimeoutError,
  sql,
  withTransaction,
} from "../src/index.ts";
import { dropSchema, migratedFixturePool, testDatabaseUrl } from "./test-database.ts";

interface FixtureDb {
  counter: { id: number; n: number };
}

describe.each([
  { mode: "plain", pipeline: false },
  { mode: "pipeline", pipeline: true },
])("withTransaction limits ($mode pool)", ({ pipeline }) => {
  let schema: string;
  let pool: Pool;
  let db: Kysely<FixtureDb>;
  let holder: pg.Client;

  beforeEach(async () => {
    // One connection, as the reserve pool: the cancel must not need a second one from it.
    ({ schema, pool } = await migratedFixturePool({ max: 1, pipeline }));
    db = createDb<FixtureDb>(pool);
    holder = new pg.Client({ connectionString: testDatabaseUrl() });
    await holder.connect();
  });

  afterEach(async () => {
    await holder.end();
    await db.destroy();
    await dropSchema(schema);
  });

  // Another transaction holds the counter row's lock until released.
  async function holdCounterLock(): Promise<{ pid: number; release(): Promise<void> }> {
    await holder.query("BEGIN");
    await holder.query(`SELECT n FROM "${schema}".counter WHERE id = 1 FOR UPDATE`);
    const { rows } = await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return { pid: rows[0]?.pid ?? 0, release: async () => void (await holder.query("ROLLBACK")) };
  }

  // Backends waiting for the holder's locks.
  async function waitingOn(pid: number): Promise<number> {
    const { rows } = await holder.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
      [pid],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const bump = (deadline?: Date, signal?: AbortSignal) =>
    withTransaction(
      db,
      async (trx) => {
        await trx.updateTable("counter").set({ n: sql`n + 1` }).where("id", "=", 1).execute();
      },
      { limits: { deadline, signal } },
    );

  async function statementTimeoutMs(executor: Kysely<FixtureDb>): Promise<number | undefined> {
    const { rows } = await sql<{ ms: number }>`
      SELECT (extract(epoch FROM current_setting('statement_timeout')::interval) * 1000)::int AS ms`.execute(
      executor,
    );
    return rows[0]?.ms;
  }

  async function counter(): Promise<number> {
    const row = await db.selectFrom("counter").select("n").where("id", "=", 1).executeTakeFirstOrThrow();
    return row.n;
  }

  it("ends a statement blocked on a lock when the caller's deadline passes, and leaves the lock queue", async () => {
    const lock = await holdCounterLock();
    const startedAt = Date.now();
    const outcome = bump(new Date(Date.now() + 1_000)).catch((e: unknown) => e);
    await until(async () => (await waitingOn(lock.pid)) === 1, 5_000);
    const err = await outcome;
    const tookMs = Date.now() - startedAt;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).kind).toBe("deadline_exceeded");
    // The pool's lock_timeout is 10 s: the deadline, not it, ended the wait.
    expect(tookMs).toBeLessThan(6_000);
    expect(await waitingOn(lock.pid)).toBe(0);
    await lock.release();
    expect(await counter()).toBe(0);
  });

  it("cancels the blocked statement when the caller aborts (no deadline) and writes nothing", async () => {
    const lock = await holdCounterLock();
    const caller = new AbortController();
    const outcome = bump(undefined, caller.signal).catch((e: unknown) => e);
    await until(async () => (await waitingOn(lock.pid)) === 1, 5_000);
    const abortedAt = Date.now();
    caller.abort(cancelled("the client cancelled the call"));
    const err = await outcome;
    expect((err as AppError).kind).toBe("cancelled");
    await until(async () => (await waitingOn(lock.pid)) === 0, 5_000);
    expect(Date.now() - abortedAt).toBeLessThan(5_000);
    await lock.release();
    expect(await counter()).toBe(0);
    // The pool's one connection is usable again (it was not left inside the cancelled transaction).
    await bump(new Date(Date.now() + 5_000));
    expect(await counter()).toBe(1);
  });

  it("starts no transaction for a caller already gone, and sends no statement after an abort", async () => {
    let ran = false;
    await expect(
      withTransaction(
        db,
        async () => {
          ran = true;
        },
        { limits: { deadline: new Date(Date.now() - 1) } },
      ),
    ).rejects.toMatchObject({ kind: "deadline_exceeded" });
    expect(ran).toBe(false);

    const caller = new AbortController();
    await expect(
      withTransaction(
        db,
        async (trx) => {
          await trx.updateTable("counter").set({ n: 41 }).where("id", "=", 1).execute();
          caller.abort(cancelled("gone"));
          await trx.updateTable("counter").set({ n: 42 }).where("id", "=", 1).execute();
        },
        { limits: { signal: caller.signal } },
      ),
    ).rejects.toMatchObject({ kind: "cancelled" });
    expect(await counter()).toBe(0);
  });

  it("caps statements at the time left, never above the pool's own statement_timeout", async () => {
    const settingWith = (deadline: Date) =>
      withTransaction(db, async (trx) => await statementTimeoutMs(trx), { limits: { deadline } });
    const near = await settingWith(new Date(Date.now() + 5_000));
    expect(near).toBeLessThanOrEqual(5_000);
    expect(near).toBeGreaterThan(1_000);
    // The pool's default (30 s) stays when the caller waits longer.
    expect(await settingWith(new Date(Date.now() + 3_600_000))).toBe(30_000);
    // And after the transaction the session is back to the pool's.
    expect(await statementTimeoutMs(db)).toBe(30_000);
  });

  it("a statement timeout of the pool's own is still a StatementTimeoutError, not the caller's deadline", async () => {
    const lock = await holdCounterLock();
    const err = await withTransaction(
      db,
      async (trx) => {
        await sql`SET LOCAL statement_timeout = 200`.execute(trx);
        await trx.updateTable("counter").set({ n: sql`n + 1` }).where("id", "=", 1).execute();
      },
      { limits: { deadline: new Date(Date.now() + 60_000) } },
    ).catch((e: unknown) => e);
    await lock.release();
    expect(err).toBeInstanceOf(StatementTimeoutError);
  });
});
