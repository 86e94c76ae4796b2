// In-stock correctness under churn, end to end on real PostgreSQL and Kafka with the real warehouse
// (its own use cases, schema, outbox and relay): reservations, releases, confirmations and expiries race
// with each other and with searches while the search service's stock consumer feeds the index. After the
// churn settles, every product's in-stock flag equals the warehouse's availability (on hand less reserved
// and committed, summed over warehouses), and the in-stock filter returns exactly the skus with stock.
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { createOutboxRelay } from "@stockroom/outbox";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createWarehouseFixture,
  insertWarehouse,
  key,
  receive,
  CONTEXT as WAREHOUSE_CONTEXT,
  type WarehouseFixture,
} from "../../warehouse/test/support/warehouse-fixture.ts";
import { createStockEventsConsumer } from "../src/transport/kafka/stock-events.consumer.ts";
import { queryOf } from "./engine-contract.ts";
import { createSearchFixture, productOf, quietLogger, type SearchFixture } from "./support/search-fixture.ts";

const suffix = uniqueSuffix();
const TOPIC_PREFIX = `churn${suffix}.`;
const TOPIC = `${TOPIC_PREFIX}warehouse.stock.v1`;
const OTHER_TOPICS = [`${TOPIC_PREFIX}warehouse.reservation.v1`];
const SKUS = Array.from({ length: 16 }, (_, i) => `CH-${suffix}-${i}`.slice(0, 64));
const WAREHOUSES = ["CW1", "CW2"];

let warehouse: WarehouseFixture;
let search: SearchFixture;
const { kafka } = testKafka("search-churn");
const admin = kafka.admin();

beforeAll(async () => {
  [warehouse, search] = await Promise.all([
    createWarehouseFixture({ poolMax: 8 }),
    createSearchFixture({ poolMax: 6 }),
  ]);
  await admin.connect();
  await ensureTopics(admin, [
    { topic: TOPIC, numPartitions: 3 },
    { topic: dlqTopicOf(TOPIC), numPartitions: 1 },
    ...OTHER_TOPICS.map((topic) => ({ topic, numPartitions: 1 })),
  ]);
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [TOPIC, dlqTopicOf(TOPIC), ...OTHER_TOPICS] }).catch(() => undefined);
  await admin.disconnect();
  await search?.cleanup();
  await warehouse?.drop();
});

async function warehouseAvailability(): Promise<Map<string, number>> {
  const { rows } = await warehouse.schema.pool.query<{ sku: string; available: string }>(
    `SELECT sku, sum(greatest(on_hand - reserved - committed - safety_stock, 0)) AS available
     FROM stock_levels WHERE sku = ANY($1) GROUP BY sku`,
    [SKUS],
  );
  return new Map(rows.map((r) => [r.sku, Number(r.available)]));
}

describe("in-stock flags under reservation churn", () => {
  it("equal the warehouse's availability once the churn settles", async () => {
    for (const code of WAREHOUSES) await insertWarehouse(warehouse.db, code);
    for (const sku of SKUS) {
      await search.applyProduct(productOf(sku, { name: `Churn lamp ${sku}`, brand: "Churn" }));
    }
    // Few units per level, so reservations take skus in and out of stock.
    for (const [i, code] of WAREHOUSES.entries()) {
      await receive(
        warehouse.useCases,
        code,
        SKUS.filter((_, s) => (s + i) % 3 !== 0).map((sku, s) => ({ sku, quantity: 1 + ((s + i) % 3) })),
      );
    }
    const real = warehouse.useCasesAt(() => new Date());
    const relay = createOutboxRelay({
      pool: warehouse.schema.pool,
      kafka,
      schema: warehouse.schema.schema,
      logger: quietLogger,
      batchSize: 200,
      pollIntervalMs: 50,
      topicPrefix: TOPIC_PREFIX,
    });
    const consumer = createStockEventsConsumer({
      kafka,
      db: search.db,
      useCases: search.useCases.stockEvents,
      logger: quietLogger,
      topic: TOPIC,
      groupId: `search-churn-${suffix}`,
      partitionsConsumedConcurrently: 3,
    });
    await consumer.start();
    let relaying = true;
    const relayLoop = (async () => {
      while (relaying) {
        await relay.runOnce();
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    const outcomes = {
      reserved: 0,
      refused: 0,
      released: 0,
      confirmed: 0,
      expired: 0,
      searches: 0,
      raced: 0,
    };
    try {
      const held: string[] = [];
      const deadline = Date.now() + 8_000;
      const worker = async (w: number) => {
        let n = 0;
        while (Date.now() < deadline) {
          n++;
          const action = (w + n) % 4;
          if (action <= 1 || held.length === 0) {
            const sku = SKUS[(w * 7 + n * 3) % SKUS.length] as string;
            try {
              const result = await real.reserve(
                {
                  idempotencyKey: key("r"),
                  reference: { type: "cart", id: key("cart") },
                  lines: [{ sku, quantity: 1 }],
                  ttlMs: 300 + ((w + n) % 5) * 200,
                  allowPartial: false,
                  allowSplit: false,
                },
                WAREHOUSE_CONTEXT,
              );
              if (result.reservation) {
                held.push(result.reservation.reservationId);
                outcomes.reserved++;
              } else outcomes.refused++;
            } catch {
              outcomes.refused++;
            }
          } else {
            const reservationId = held.splice((w + n) % held.length, 1)[0] as string;
            try {
              if (action === 2) {
                await real.release(
                  { idempotencyKey: key("rel"), reservationId, reason: "cart abandoned" },
                  WAREHOUSE_CONTEXT,
                );
                outcomes.released++;
              } else {
                await real.confirm(
                  { idempotencyKey: key("conf"), reservationId, orderReference: null },
                  WAREHOUSE_CONTEXT,
                );
                outcomes.confirmed++;
              }
            } catch {
              // Expired under us: the race this test is about; exactly one transition wins.
              outcomes.raced++;
            }
          }
        }
      };
      const expirer = async () => {
        while (Date.now() < deadline) {
          outcomes.expired += await real.expire(100, WAREHOUSE_CONTEXT);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const searcher = async () => {
        while (Date.now() < deadline) {
          await search.engine.search(
            queryOf({ text: "churn lamp", filters: { inStockOnly: true }, facets: ["in_stock"] }),
          );
          outcomes.searches++;
        }
      };
      await Promise.all([...[0, 1, 2, 3].map(worker), expirer(), searcher(), searcher()]);
      // Let every remaining reservation expire, so the final state also covers expiries.
      await new Promise((r) => setTimeout(r, 1_500));
      outcomes.expired += await real.expire(1_000, WAREHOUSE_CONTEXT);
      expect(outcomes.reserved).toBeGreaterThan(10);
      expect(outcomes.expired + outcomes.released).toBeGreaterThan(5);
      expect(outcomes.searches).toBeGreaterThan(10);
      // Whatever the churn left, one sku ends fully committed and one with stock, so the check below always
      // covers both sides of the in-stock filter.
      const [drained, restocked] = SKUS as [string, string];
      const left = (await warehouseAvailability()).get(drained) ?? 0;
      if (left > 0) {
        const drain = await real.reserve(
          {
            idempotencyKey: key("drain"),
            reference: { type: "cart", id: key("cart") },
            lines: [{ sku: drained, quantity: left }],
            ttlMs: 60_000,
            allowPartial: false,
            allowSplit: true,
          },
          WAREHOUSE_CONTEXT,
        );
        const reservationId = drain.reservation?.reservationId;
        if (!reservationId) throw new Error(`could not reserve the ${left} units left of ${drained}`);
        await real.confirm(
          { idempotencyKey: key("conf"), reservationId, orderReference: null },
          WAREHOUSE_CONTEXT,
        );
      }
      await receive(warehouse.useCases, "CW1", [{ sku: restocked, quantity: 5 }]);

      await vi.waitFor(
        async () => {
          const expected = await warehouseAvailability();
          const docs = await search.engine.getDocuments(SKUS);
          expect(docs).toHaveLength(SKUS.length);
          for (const doc of docs) {
            const available = expected.get(doc.product.sku) ?? 0;
            expect({ sku: doc.product.sku, inStock: doc.inStock, available: doc.stock.available }).toEqual({
              sku: doc.product.sku,
              inStock: available > 0,
              available,
            });
          }
          const hits = await search.engine.search(
            queryOf({ text: "churn lamp", pageSize: 100, filters: { inStockOnly: true } }),
          );
          expect(hits.hits.map((h) => h.sku).sort()).toEqual(
            SKUS.filter((s) => (expected.get(s) ?? 0) > 0).sort(),
          );
        },
        { timeout: 60_000, interval: 250 },
      );
      const final = await warehouseAvailability();
      // The churn left some skus out of stock (fully reserved or committed) and some in stock.
      expect([...final.values()].some((a) => a > 0)).toBe(true);
      expect(SKUS.some((s) => (final.get(s) ?? 0) === 0)).toBe(true);
      process.stdout.write(`\nchurn: ${JSON.stringify(outcomes)}\n`);
    } finally {
      relaying = false;
      await relayLoop;
      await relay.stop();
      await consumer.stop();
    }
  }, 180_000);
});
