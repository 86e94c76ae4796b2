// Rebuild runs and their progress (rebuild_runs); at most one runs at a time (a unique partial index).
import { type Kysely, type Selectable, sql } from "kysely";
import type { RebuildRun } from "../domain/rebuild-run.ts";
import type { RebuildRunsTable, SearchDatabase } from "./database.ts";

function runOf(row: Selectable<RebuildRunsTable>): RebuildRun {
  return {
    id: row.id,
    engine: row.engine,
    state: row.state,
    productsIndexed: Number(row.products_indexed),
    pagesDone: Number(row.pages_done),
    error: row.error ?? undefined,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
  };
}

export async function findRunByKey(db: Kysely<SearchDatabase>, idempotencyKey: string) {
  const row = await db
    .selectFrom("rebuild_runs")
    .selectAll()
    .where("idempotency_key", "=", idempotencyKey)
    .executeTakeFirst();
  return row ? runOf(row) : undefined;
}

export async function findRun(db: Kysely<SearchDatabase>, id: string) {
  const row = await db.selectFrom("rebuild_runs").selectAll().where("id", "=", id).executeTakeFirst();
  return row ? runOf(row) : undefined;
}

export async function findRunningRun(db: Kysely<SearchDatabase>) {
  const row = await db
    .selectFrom("rebuild_runs")
    .selectAll()
    .where("state", "=", "running")
    .executeTakeFirst();
  return row ? runOf(row) : undefined;
}

// Marks a running run failed when its heartbeat stopped before `staleBefore` (its process died).
export async function failStaleRuns(db: Kysely<SearchDatabase>, staleBefore: Date): Promise<number> {
  const result = await db
    .updateTable("rebuild_runs")
    .set({
      state: "failed",
      error: "the rebuilding process stopped (heartbeat timed out)",
      finished_at: new Date(),
    })
    .where("state", "=", "running")
    .where("heartbeat_at", "<", staleBefore)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// Inserts a running run; undefined when another is running (the unique index refused it) or the key is taken.
export async function insertRunningRun(
  db: Kysely<SearchDatabase>,
  run: { id: string; idempotencyKey: string; engine: RebuildRun["engine"] },
): Promise<RebuildRun | undefined> {
  const row = await db
    .insertInto("rebuild_runs")
    .values({ id: run.id, idempotency_key: run.idempotencyKey, engine: run.engine, state: "running" })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? runOf(row) : undefined;
}

export async function recordPage(db: Kysely<SearchDatabase>, id: string, products: number): Promise<void> {
  await db
    .updateTable("rebuild_runs")
    .set({
      products_indexed: sql<number>`products_indexed + ${products}`,
      pages_done: sql<number>`pages_done + 1`,
      heartbeat_at: new Date(),
    })
    .where("id", "=", id)
    .where("state", "=", "running")
    .execute();
}

export async function finishRun(
  db: Kysely<SearchDatabase>,
  id: string,
  outcome: { state: "completed" } | { state: "failed"; error: string },
): Promise<void> {
  await db
    .updateTable("rebuild_runs")
    .set({
      state: outcome.state,
      error: outcome.state === "failed" ? outcome.error.slice(0, 2000) : null,
      finished_at: new Date(),
    })
    .where("id", "=", id)
    .where("state", "=", "running")
    .execute();
}
