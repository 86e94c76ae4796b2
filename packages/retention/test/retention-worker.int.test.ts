// Retention on real PostgreSQL (a schema migrated like the catalog's): processed events past the
// retention and expired idempotency records go, younger ones stay, every DELETE is bounded by the batch
// size, and the counter counts what went, by table.
import { fileURLToPath } from "node:url";
import { createDb, type Kysely } from "@stockroom/db";
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import { deleteProcessedEventsBefore } from "@stockroom/messaging";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { Registry } from "prom-client";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createRetentionWorker, startRetentionWorker } from "../src/index.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/catalog", import.meta.url));
const DAY_MS = 24 * 3_600_000;
const quiet = { info() {}, error() {} };

let schema: TestSchema;
// Its pool is the test schema's (drop() ends it).
let db: Kysely<IdempotencyDatabase>;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  db = createDb<IdempotencyDatabase>(schema.pool);
});

afterAll(async () => {
  await schema?.drop();
});

beforeEach(async () => {
  await schema.pool.query("TRUNCATE event_processing_log, idempotency_records");
});

async function insertProcessed(count: number, ageDays: number): Promise<void> {
  await schema.pool.query(
    `INSERT INTO event_processing_log (event_id, consumer, processed_at)
     SELECT gen_random_uuid(), 'retention-test', now() - make_interval(days => $2)
       FROM generate_series(1, $1)`,
    [count, ageDays],
  );
}

// expiresInHours < 0: already expired (created long enough before to satisfy the table's CHECK).
async function insertIdempotency(count: number, expiresInHours: number, tag: string): Promise<void> {
  await schema.pool.query(
    `INSERT INTO idempotency_records
       (principal, operation, idempotency_key, fingerprint, created_at, expires_at)
     SELECT 'user:test', 'op', $3 || i, 'fp',
            now() + make_interval(hours => $2) - interval '48 hours', now() + make_interval(hours => $2)
       FROM generate_series(1, $1) AS i`,
    [count, expiresInHours, tag],
  );
}

async function count(table: string): Promise<number> {
  const { rows } = await schema.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

async function prunedCounter(registry: Registry, table: string): Promise<number> {
  const metric = await registry.getSingleMetric("retention_pruned_rows_total")?.get();
  return metric?.values.find((v) => v.labels.table === table)?.value ?? 0;
}

describe("retention worker", () => {
  it("prunes old processed events and expired idempotency records in bounded batches, and counts them", async () => {
    await insertProcessed(7, 31);
    await insertProcessed(2, 29);
    await insertIdempotency(5, -1, "old-");
    await insertIdempotency(2, 1, "live-");
    const registry = new Registry();
    const worker = createRetentionWorker({
      db,
      schema: schema.schema,
      logger: quiet,
      registry,
      processingLogRetentionMs: 30 * DAY_MS,
      intervalMs: 60_000,
      batchSize: 3,
    });

    const pass = await worker.runOnce();

    expect(pass).toEqual({
      event_processing_log: { rows: 7, batches: 3 },
      idempotency_records: { rows: 5, batches: 2 },
    });
    expect(await count("event_processing_log")).toBe(2);
    expect(await count("idempotency_records")).toBe(2);
    const { rows: live } = await schema.pool.query<{ k: string }>(
      "SELECT idempotency_key AS k FROM idempotency_records ORDER BY 1",
    );
    expect(live.map((r) => r.k)).toEqual(["live-1", "live-2"]);
    expect(await prunedCounter(registry, "event_processing_log")).toBe(7);
    expect(await prunedCounter(registry, "idempotency_records")).toBe(5);

    // Nothing due: a pass deletes nothing and the counter stays.
    expect(await worker.runOnce()).toEqual({
      event_processing_log: { rows: 0, batches: 1 },
      idempotency_records: { rows: 0, batches: 1 },
    });
    expect(await prunedCounter(registry, "event_processing_log")).toBe(7);
  });

  it("one DELETE removes at most the batch size", async () => {
    await insertProcessed(5, 40);
    expect(await deleteProcessedEventsBefore(db, 30 * DAY_MS, 2)).toBe(2);
    expect(await count("event_processing_log")).toBe(3);
  });

  it("the retention is configurable: a shorter one prunes younger rows", async () => {
    await insertProcessed(3, 2);
    await insertProcessed(1, 0);
    const worker = createRetentionWorker({
      db,
      schema: schema.schema,
      logger: quiet,
      processingLogRetentionMs: DAY_MS,
      intervalMs: 60_000,
      batchSize: 100,
      tables: ["event_processing_log"],
    });
    expect(await worker.runOnce()).toEqual({ event_processing_log: { rows: 3, batches: 1 } });
    expect(await count("event_processing_log")).toBe(1);
  });

  it("started from a service's config, it prunes in the background until stopped", async () => {
    await insertProcessed(4, 31);
    await insertIdempotency(3, -2, "gone-");
    const registry = new Registry();
    const worker = startRetentionWorker({
      config: {
        PROCESSING_LOG_RETENTION_MS: 30 * DAY_MS,
        RETENTION_INTERVAL_MS: 50,
        RETENTION_BATCH_SIZE: 2,
      },
      db,
      schema: schema.schema,
      logger: quiet,
      registry,
    });
    try {
      await vi.waitFor(async () => {
        expect(await count("event_processing_log")).toBe(0);
        expect(await count("idempotency_records")).toBe(0);
      });
      // A row that becomes due later is pruned by a later pass.
      await insertProcessed(1, 31);
      await vi.waitFor(async () => expect(await count("event_processing_log")).toBe(0));
      expect(await prunedCounter(registry, "event_processing_log")).toBe(5);
      expect(await prunedCounter(registry, "idempotency_records")).toBe(3);
    } finally {
      await worker.stop();
    }
  });
});
