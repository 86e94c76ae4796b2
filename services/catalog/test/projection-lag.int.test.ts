// projection_lag against real Kafka and PostgreSQL: how far the stock consumer trails the broker for the
// partition that carries a sku's events, computed at answer time for cached and uncached views alike.
// Events are produced keyed by sku with kafkajs's default partitioner, as the outbox relay publishes them.
import { toBinary } from "@bufbuild/protobuf";
import {
  createPartitionProgressPoller,
  dlqTopicOf,
  ensureTopics,
  partitionForKey,
} from "@stockroom/messaging";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { Partitioners, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { uncachedSource } from "../src/app/product-cache.ts";
import { withProjectionLag } from "../src/app/projection-lag.ts";
import { getProductUseCase, loadProductViewsUseCase } from "../src/app/read-products.ts";
import { createStockEventsConsumer } from "../src/transport/kafka/stock-events.consumer.ts";
import {
  createStockProjectionLag,
  type StockProjectionLag,
} from "../src/transport/kafka/stock-projection-lag.ts";
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
  stockEvent,
} from "./support/catalog-fixture.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const suffix = uniqueSuffix();
const TOPIC = `lag${suffix}.warehouse.stock.v1`;
const GROUP = `catalog-lag-${suffix}`;
const { kafka } = testKafka("catalog-lag");
const admin = kafka.admin();

// Two skus whose events go to different partitions of the 2-partition topic.
const SKU_A = `LAG-A-${suffix}`.slice(0, 64);
const SKU_B = (() => {
  for (let i = 0; ; i++) {
    const candidate = `LAG-B-${suffix}-${i}`.slice(0, 64);
    if (partitionForKey(TOPIC, candidate, 2) !== partitionForKey(TOPIC, SKU_A, 2)) return candidate;
  }
})();

let catalog: CatalogFixture;
let producer: Producer;
let lag: StockProjectionLag;
const stops: (() => Promise<void>)[] = [];
const versions = new Map<string, number>();

async function publish(sku: string, onHand: number): Promise<number> {
  const version = (versions.get(sku) ?? 0) + 1;
  versions.set(sku, version);
  const sentAt = Date.now();
  await producer.send({
    topic: TOPIC,
    acks: -1,
    messages: [
      {
        key: sku,
        value: Buffer.from(
          toBinary(EventEnvelopeSchema, stockEvent({ sku, warehouseCode: "L1", version, onHand })),
        ),
      },
    ],
  });
  return sentAt;
}

beforeAll(async () => {
  catalog = await createCatalogFixture();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: TOPIC, numPartitions: 2 },
    { topic: dlqTopicOf(TOPIC), numPartitions: 1 },
  ]);
  producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  for (const sku of [SKU_A, SKU_B]) {
    await catalog.createProduct(productInput(sku, { idempotencyKey: `c-${sku}` }), CONTEXT);
  }
  lag = createStockProjectionLag({ topic: TOPIC });
  const consumer = createStockEventsConsumer({
    kafka,
    db: catalog.db,
    apply: catalog.applyStockLevelChanged,
    logger: quiet,
    topic: TOPIC,
    groupId: GROUP,
    progress: lag.progress,
    offsetsIntervalMs: 200,
  });
  await consumer.start();
  stops.push(() => consumer.stop());
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await producer?.disconnect();
  await admin.deleteTopics({ topics: [TOPIC, dlqTopicOf(TOPIC)] }).catch(() => undefined);
  await admin.disconnect();
  await catalog?.cleanup();
});

describe("projection lag", () => {
  it("is 0 for a quiet, caught-up sku on repeated reads, cached or not, with as_of current", async () => {
    await publish(SKU_A, 5);
    await publish(SKU_B, 2);
    const cached = getProductUseCase(withProjectionLag(catalog.cache, lag));
    const uncached = getProductUseCase(
      withProjectionLag(uncachedSource(loadProductViewsUseCase(catalog.deps)), lag),
    );
    await vi.waitFor(
      async () => {
        expect((await uncached(SKU_A)).availability.totalAvailable).toBe(5);
        expect((await uncached(SKU_B)).availability.totalAvailable).toBe(2);
        expect((await uncached(SKU_A)).availability.lagMs).toBe(0);
      },
      { timeout: 30_000, interval: 100 },
    );
    // Quiet from here on: the lag stays 0 over seconds (it used to grow with the age of the last change,
    // and stay frozen in a cached view), and as_of follows the answer time.
    for (let read = 0; read < 5; read++) {
      for (const getProduct of [cached, uncached]) {
        const { availability } = await getProduct(SKU_A);
        expect(availability.totalAvailable).toBe(5);
        expect(availability.lagMs).toBe(0);
        expect(Date.now() - availability.asOf.getTime()).toBeLessThan(2_000);
      }
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
  });

  it("grows with the age of the oldest unapplied event while the consumer is stalled", async () => {
    const uncached = getProductUseCase(
      withProjectionLag(uncachedSource(loadProductViewsUseCase(catalog.deps)), lag),
    );
    // Another instance of the group that consumes nothing itself: it must not claim 0 for a partition
    // it does not consume; it reads the group's committed offsets.
    const bystander = createStockProjectionLag({ topic: TOPIC });
    const bystanderPoller = createPartitionProgressPoller({
      kafka,
      groupId: GROUP,
      topic: TOPIC,
      progress: bystander.progress,
      logger: quiet,
      intervalMs: 200,
    });
    await bystanderPoller.start();
    stops.push(() => bystanderPoller.stop());
    await vi.waitFor(() => expect(bystander.lagOf(SKU_A).lagMs).toBe(0), { timeout: 10_000, interval: 100 });

    // The stall: a transaction holds the projection row, so the consumer's apply waits on its lock.
    const blocker = await catalog.schema.pool.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT 1 FROM availability_by_warehouse WHERE sku = $1 FOR UPDATE", [SKU_A]);
      const sentAt = await publish(SKU_A, 9);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const first = (await uncached(SKU_A)).availability;
      const firstAgeMs = Date.now() - sentAt;
      expect(first.totalAvailable).toBe(5);
      // The age of the unapplied event, measured from its send (its Kafka timestamp is a little later).
      expect(first.lagMs).toBeGreaterThan(1_000);
      expect(first.lagMs).toBeLessThanOrEqual(firstAgeMs + 50);
      expect(first.asOf.getTime()).toBeGreaterThanOrEqual(sentAt - 50);
      // The other partition is caught up.
      expect((await uncached(SKU_B)).availability.lagMs).toBe(0);
      // So says the instance that consumes neither partition: behind on A's, caught up on B's.
      expect(bystander.lagOf(SKU_A).lagMs).toBeGreaterThan(1_000);
      expect(bystander.lagOf(SKU_B).lagMs).toBe(0);

      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const second = (await uncached(SKU_A)).availability;
      expect(second.lagMs).toBeGreaterThanOrEqual(first.lagMs + 900);
      expect(second.asOf).toEqual(first.asOf);
    } finally {
      await blocker.query("ROLLBACK");
      blocker.release();
    }
    // Released: the event applies and the lag is 0 again, here and for the bystander.
    await vi.waitFor(
      async () => {
        const { availability } = await uncached(SKU_A);
        expect(availability.totalAvailable).toBe(9);
        expect(availability.lagMs).toBe(0);
        expect(bystander.lagOf(SKU_A).lagMs).toBe(0);
      },
      { timeout: 15_000, interval: 100 },
    );
  });
});
