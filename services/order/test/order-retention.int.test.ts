// The order schema under the shared retention worker (as main.ts starts it): processed-event rows older
// than the retention and expired idempotency records go, in batches, through the processed_at index;
// recent rows and live records stay.
import { createDb } from "@stockroom/db";
import { createLogger } from "@stockroom/logging";
import { createRetentionWorker } from "@stockroom/retention";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrderDatabase } from "../src/data/database.ts";
import { ORDER_MIGRATIONS } from "./support/order-fixture.ts";

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: ORDER_MIGRATIONS });
}, 60_000);

afterAll(async () => {
  await schema?.drop();
});

describe("order schema retention", () => {
  it("prunes old processed events and expired idempotency records, keeps the rest", async () => {
    const q = (text: string) => schema.pool.query(text);
    await q(`INSERT INTO event_processing_log (event_id, consumer, processed_at)
      SELECT gen_random_uuid(), 'order.fulfillment-events', now() - interval '40 days' FROM generate_series(1, 25)`);
    await q(`INSERT INTO event_processing_log (event_id, consumer, processed_at)
      SELECT gen_random_uuid(), 'order.fulfillment-events', now() - interval '1 day' FROM generate_series(1, 3)`);
    await q(`INSERT INTO idempotency_records (principal, operation, idempotency_key, fingerprint, created_at, expires_at)
      SELECT 'p', 'add-cart-line', 'old-' || g, 'f', now() - interval '3 days', now() - interval '1 day' FROM generate_series(1, 12) g`);
    await q(`INSERT INTO idempotency_records (principal, operation, idempotency_key, fingerprint, expires_at)
      SELECT 'p', 'add-cart-line', 'live-' || g, 'f', now() + interval '25 hours' FROM generate_series(1, 2) g`);

    const worker = createRetentionWorker({
      db: createDb<OrderDatabase>(schema.pool),
      schema: schema.schema,
      logger: createLogger({ service: "order-retention-test", level: "silent" }),
      processingLogRetentionMs: 30 * 24 * 3_600_000,
      intervalMs: 60_000,
      batchSize: 10,
    });
    const pass = await worker.runOnce();
    expect(pass).toEqual({
      event_processing_log: { rows: 25, batches: 3 },
      idempotency_records: { rows: 12, batches: 2 },
    });
    const { rows } = await q(
      "SELECT (SELECT count(*) FROM event_processing_log)::int AS log, (SELECT count(*) FROM idempotency_records)::int AS records",
    );
    expect(rows[0]).toEqual({ log: 3, records: 2 });
    const { rows: index } = await q(
      "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'event_processing_log_processed_at_idx'",
    );
    expect(index).toHaveLength(1);
  });
});
