// The search consumers on real Kafka and PostgreSQL: catalog product events and warehouse stock events
// reach the index; duplicated and out-of-order deliveries change nothing; a fully reserved product is
// out of stock; the index lag metric keeps growing while the consumer is stopped and returns to 0 once
// it catches up.
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createIndexLag } from "../src/transport/kafka/index-lag.ts";
import { createProductEventsConsumer } from "../src/transport/kafka/product-events.consumer.ts";
import { createStockEventsConsumer } from "../src/transport/kafka/stock-events.consumer.ts";
import { queryOf } from "./engine-contract.ts";
import { priceEvent, productEvent, publish, stockEvent } from "./support/events.ts";
import { createSearchFixture, quietLogger, type SearchFixture } from "./support/search-fixture.ts";

const suffix = uniqueSuffix();
const PRODUCT_TOPIC = `ix${suffix}.catalog.product.v1`;
const STOCK_TOPIC = `ix${suffix}.warehouse.stock.v1`;
const TOPICS = [PRODUCT_TOPIC, STOCK_TOPIC].flatMap((t) => [t, dlqTopicOf(t)]);
const { kafka } = testKafka("search-index-events");
const admin = kafka.admin();
const producer = kafka.producer();
let f: SearchFixture;

beforeAll(async () => {
  f = await createSearchFixture({ poolMax: 6 });
  await admin.connect();
  await producer.connect();
  await ensureTopics(
    admin,
    TOPICS.map((topic) => ({ topic, numPartitions: 2 })),
  );
});

afterAll(async () => {
  await producer.disconnect();
  await admin.deleteTopics({ topics: TOPICS }).catch(() => undefined);
  await admin.disconnect();
  await f?.cleanup();
});

describe("search index consumers", () => {
  it("apply product and stock events once, in version order, whatever the delivery", async () => {
    const products = createProductEventsConsumer({
      kafka,
      db: f.db,
      useCases: f.useCases.catalogEvents,
      logger: quietLogger,
      topic: PRODUCT_TOPIC,
      groupId: `search-ix-p-${suffix}`,
    });
    const stock = createStockEventsConsumer({
      kafka,
      db: f.db,
      useCases: f.useCases.stockEvents,
      logger: quietLogger,
      topic: STOCK_TOPIC,
      groupId: `search-ix-s-${suffix}`,
    });
    await Promise.all([products.start(), stock.start()]);
    try {
      const sku = `IX-${suffix}`.slice(0, 64);
      const v1 = productEvent({ sku, version: 1, name: "Evented Lantern" });
      const v3 = productEvent({ sku, version: 3, name: "Evented Lantern Pro" });
      // Stock before the product exists, then the product; duplicates and an older version after newer.
      await publish(producer, STOCK_TOPIC, sku, [
        stockEvent({ sku, warehouseCode: "W1", version: 2, onHand: 5, reserved: 1 }),
        stockEvent({ sku, warehouseCode: "W1", version: 1, onHand: 50 }),
      ]);
      await publish(producer, PRODUCT_TOPIC, sku, [
        v1,
        v1,
        v3,
        productEvent({ sku, version: 2, name: "Evented Lantern Old" }),
        v3,
      ]);
      await vi.waitFor(
        async () => {
          const [doc] = await f.engine.getDocuments([sku]);
          expect(doc?.product).toMatchObject({ name: "Evented Lantern Pro", productVersion: 3 });
          expect(doc?.stock.available).toBe(4);
        },
        { timeout: 30_000, interval: 100 },
      );
      // A second warehouse adds, a full reservation there takes it to 0 only there.
      await publish(producer, STOCK_TOPIC, sku, [
        stockEvent({ sku, warehouseCode: "W2", version: 1, onHand: 2 }),
        stockEvent({ sku, warehouseCode: "W2", version: 2, onHand: 2, reserved: 2 }),
        stockEvent({ sku, warehouseCode: "W1", version: 3, onHand: 5, reserved: 3, committed: 2 }),
      ]);
      await vi.waitFor(
        async () => {
          const [doc] = await f.engine.getDocuments([sku]);
          expect(doc?.stock.available).toBe(0);
          expect(doc?.inStock).toBe(false);
        },
        { timeout: 30_000, interval: 100 },
      );
      const inStock = await f.engine.search(queryOf({ text: "lantern", filters: { inStockOnly: true } }));
      expect(inStock.hits).toEqual([]);
      // Price change (version 4), then archive (version 5) removes it from search.
      await publish(producer, PRODUCT_TOPIC, sku, [priceEvent({ sku, version: 4, priceMinor: 777 })]);
      await vi.waitFor(
        async () => expect((await f.engine.getDocuments([sku]))[0]?.product.price.amountMinor).toBe(777),
        {
          timeout: 30_000,
          interval: 100,
        },
      );
      expect((await f.engine.search(queryOf({ text: "lantern" }))).hits.map((h) => h.sku)).toEqual([sku]);
      await publish(producer, PRODUCT_TOPIC, sku, [
        productEvent({ sku, version: 5, name: "Evented Lantern Pro", status: "archived" }),
      ]);
      await vi.waitFor(
        async () => expect((await f.engine.search(queryOf({ text: "lantern" }))).noMatch).toBe(true),
        {
          timeout: 30_000,
          interval: 100,
        },
      );
      const { rows } = await f.schema.pool.query(
        "SELECT consumer, count(*)::int AS n FROM event_processing_log GROUP BY consumer ORDER BY consumer",
      );
      // One row per distinct event: the duplicate v1 and v3 deliveries were recorded once (same event
      // ids); the overtaken v2 is logged as handled, skipped by the aggregate-version guard.
      expect(rows).toEqual([
        { consumer: "search.product-index", n: 5 },
        { consumer: "search.stock-index", n: 5 },
      ]);
    } finally {
      await Promise.all([products.stop(), stock.stop()]);
    }
  });

  it("reports an index lag that keeps growing while the consumer is stopped", async () => {
    const groupId = `search-ix-lag-${suffix}`;
    const registry = createMetricsRegistry({ service: "search-lag-test", collectDefaults: false });
    const lag = createIndexLag({
      kafka,
      feeds: [{ feed: "stock", topic: STOCK_TOPIC, groupId }],
      logger: quietLogger,
      registry,
      intervalMs: 200,
    });
    await lag.start();
    const stock = createStockEventsConsumer({
      kafka,
      db: f.db,
      useCases: f.useCases.stockEvents,
      logger: quietLogger,
      topic: STOCK_TOPIC,
      groupId,
      progress: lag.progressOf("stock"),
    });
    try {
      // Caught up first: everything on the topic applied.
      await stock.start();
      await vi.waitFor(() => expect(lag.lagSeconds("stock")).toBe(0), { timeout: 30_000, interval: 100 });
      await stock.stop();
      const sku = `LAG-${suffix}`.slice(0, 64);
      await publish(producer, STOCK_TOPIC, sku, [
        stockEvent({ sku, warehouseCode: "W1", version: 1, onHand: 1 }),
      ]);
      await vi.waitFor(() => expect(lag.lagSeconds("stock")).toBeGreaterThan(0.5), {
        timeout: 30_000,
        interval: 100,
      });
      const first = lag.lagSeconds("stock");
      await new Promise((r) => setTimeout(r, 1_000));
      const second = lag.lagSeconds("stock");
      expect(second).toBeGreaterThan(first + 0.5);
      const metrics = await registry.getSingleMetricAsString("search_index_lag_seconds");
      expect(metrics).toMatch(/search_index_lag_seconds\{feed="stock"[^}]*\} [1-9]/);
      const restarted = createStockEventsConsumer({
        kafka,
        db: f.db,
        useCases: f.useCases.stockEvents,
        logger: quietLogger,
        topic: STOCK_TOPIC,
        groupId,
        progress: lag.progressOf("stock"),
      });
      await restarted.start();
      await vi.waitFor(() => expect(lag.lagSeconds("stock")).toBe(0), { timeout: 30_000, interval: 100 });
      await restarted.stop();
    } finally {
      await lag.stop();
    }
  });
});
