// End to end on real PostgreSQL, Kafka and Redis: a warehouse reservation (the warehouse's own use case)
// → its outbox → the outbox relay → Kafka → the catalog's stock consumer → availability changed and the
// cached view replaced. The warehouse rows are pointed at a topic unique to this test (the relay publishes
// to each row's topic), so parallel test files and a running suite do not share messages.
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
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
} from "./support/catalog-fixture.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const suffix = uniqueSuffix();
// The relay publishes this test's rows under a prefix of its own, to topics this test creates: the broker
// does not create topics on demand, and a fresh one has no warehouse topics.
const TOPIC_PREFIX = `e2e${suffix}.`;
const TOPIC = `${TOPIC_PREFIX}warehouse.stock.v1`;
const RESERVATION_TOPIC = `${TOPIC_PREFIX}warehouse.reservation.v1`;
const SKU = `E2E-${suffix}`.slice(0, 64);

let warehouse: WarehouseFixture;
let catalog: CatalogFixture;
const { kafka } = testKafka("catalog-e2e");
const admin = kafka.admin();

beforeAll(async () => {
  [warehouse, catalog] = await Promise.all([createWarehouseFixture({ poolMax: 4 }), createCatalogFixture()]);
  await admin.connect();
  await ensureTopics(admin, [
    { topic: TOPIC, numPartitions: 2 },
    { topic: dlqTopicOf(TOPIC), numPartitions: 1 },
    { topic: RESERVATION_TOPIC, numPartitions: 1 },
  ]);
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [TOPIC, dlqTopicOf(TOPIC), RESERVATION_TOPIC] }).catch(() => undefined);
  await admin.disconnect();
  await catalog?.cleanup();
  await warehouse?.drop();
});

// Publishes everything the warehouse wrote so far, on this test's topics.
async function relayWarehouseOutbox(): Promise<void> {
  const relay = createOutboxRelay({
    pool: warehouse.schema.pool,
    kafka,
    schema: warehouse.schema.schema,
    logger: quiet,
    batchSize: 100,
    pollIntervalMs: 100,
    topicPrefix: TOPIC_PREFIX,
  });
  try {
    let pass = await relay.runOnce();
    while (pass.published > 0) pass = await relay.runOnce();
  } finally {
    await relay.stop();
  }
}

describe("warehouse stock events reach the catalog", () => {
  it("a reservation changes the catalog's availability and its cached view", async () => {
    await catalog.createProduct(productInput(SKU, { idempotencyKey: `c-${SKU}` }), CONTEXT);
    await insertWarehouse(warehouse.db, "E1");
    await receive(warehouse.useCases, "E1", [{ sku: SKU, quantity: 10 }]);

    const consumer = createStockEventsConsumer({
      kafka,
      db: catalog.db,
      apply: catalog.applyStockLevelChanged,
      logger: quiet,
      topic: TOPIC,
      groupId: `catalog-e2e-${suffix}`,
    });
    await consumer.start();
    try {
      await relayWarehouseOutbox();
      await vi.waitFor(
        async () => expect((await catalog.getProduct(SKU)).availability.totalAvailable).toBe(10),
        {
          timeout: 30_000,
          interval: 100,
        },
      );
      // Cached now: a second read does not touch the database.
      const loads = catalog.dbLoads.length;
      expect((await catalog.getProduct(SKU)).availability.totalAvailable).toBe(10);
      expect(catalog.dbLoads.length).toBe(loads);

      await warehouse.useCases.reserve(
        {
          idempotencyKey: key("r"),
          reference: { type: "cart", id: key("cart") },
          lines: [{ sku: SKU, quantity: 3 }],
          allowPartial: false,
          allowSplit: false,
        },
        WAREHOUSE_CONTEXT,
      );
      await relayWarehouseOutbox();
      await vi.waitFor(
        async () => {
          const view = await catalog.getProduct(SKU);
          expect(view.availability.totalAvailable).toBe(7);
          expect(view.availability.warehouses[0]).toMatchObject({
            warehouseCode: "E1",
            reserved: 3,
            onHand: 10,
          });
        },
        { timeout: 30_000, interval: 100 },
      );
      // Applied once each: the processing log holds one row per event.
      const { rows } = await catalog.schema.pool.query(
        "SELECT count(*)::int AS n FROM event_processing_log WHERE consumer = 'catalog.stock-projection'",
      );
      expect(rows[0].n).toBeGreaterThanOrEqual(2);
    } finally {
      await consumer.stop();
    }
  });
});
