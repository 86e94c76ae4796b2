// The search service as deployed with SEARCH_ENGINE=opensearch: a real process on real PostgreSQL,
// Kafka and OpenSearch. Catalog and warehouse events published to Kafka reach the OpenSearch index
// (not the PostgreSQL one), and the storefront's Search over gRPC answers from it: a fully reserved
// product is out of stock until its reservation is released.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { SearchService } from "@stockroom/proto/stockroom/search/v1/search_service_pb.js";
import { requireTestEnv, testKafka, uniqueSuffix } from "@stockroom/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { productEvent, publish, stockEvent } from "./support/events.ts";
import { type SearchProcess, startSearchProcess } from "./support/search-process.ts";
import {
  createTestOpenSearchIndex,
  type TestOpenSearchIndex,
  testOpenSearchUrl,
} from "./support/test-opensearch.ts";

const JWT_SECRET = "search-process-test-secret-0123456789";
const suffix = uniqueSuffix();
const SCHEMA = `t_${suffix}_search`;
const PRODUCT_TOPIC = `sos${suffix}.catalog.product.v1`;
const STOCK_TOPIC = `sos${suffix}.warehouse.stock.v1`;
const TOPICS = [PRODUCT_TOPIC, STOCK_TOPIC].flatMap((t) => [t, dlqTopicOf(t)]);
const { kafka, brokers } = testKafka("search-process-opensearch");
const admin = kafka.admin();
const producer = kafka.producer();
let os: TestOpenSearchIndex;
let service: SearchProcess | undefined;
let search: TypedClient<typeof SearchService>;
let metadata: { authorization: string };

beforeAll(async () => {
  os = createTestOpenSearchIndex();
  await admin.connect();
  await producer.connect();
  await ensureTopics(
    admin,
    TOPICS.map((topic) => ({ topic, numPartitions: 2 })),
  );
  service = await startSearchProcess({
    DATABASE_URL: requireTestEnv("TEST_DATABASE_URL"),
    DB_SCHEMA: SCHEMA,
    KAFKA_BROKERS: brokers.join(","),
    JWT_SECRET,
    ENGINE: "opensearch",
    OPENSEARCH_URL: testOpenSearchUrl(),
    OPENSEARCH_INDEX: os.index,
    PRODUCT_EVENTS_TOPIC: PRODUCT_TOPIC,
    STOCK_EVENTS_TOPIC: STOCK_TOPIC,
    PRODUCT_CONSUMER_GROUP: `sos-p-${suffix}`,
    STOCK_CONSUMER_GROUP: `sos-s-${suffix}`,
    TOPIC_PARTITIONS: "2",
    LOG_LEVEL: "info",
  });
  const issuer = createTokenIssuer({ secret: JWT_SECRET, issuer: "stockroom", audience: "stockroom" });
  metadata = {
    authorization: `Bearer ${await issuer.issue({ subject: "shop", roles: ["storefront"], ttlSec: 600 })}`,
  };
  search = createClient(SearchService, service.grpcAddress, { defaultDeadlineMs: 10_000 });
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await producer.disconnect();
  await admin.deleteTopics({ topics: TOPICS }).catch(() => undefined);
  await admin.disconnect();
  const db = new pg.Client({ connectionString: requireTestEnv("TEST_DATABASE_URL") });
  await db.connect();
  await db.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await db.end();
  await os?.drop();
});

async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("search service on OpenSearch", () => {
  it("indexes catalog and stock events into OpenSearch and answers Search from it", async () => {
    const reserved = `LANT-R-${suffix}`;
    const open = `LANT-O-${suffix}`;
    await publish(producer, PRODUCT_TOPIC, reserved, [
      productEvent({ sku: reserved, version: 1, name: "Storm Lantern" }),
    ]);
    await publish(producer, PRODUCT_TOPIC, open, [
      productEvent({ sku: open, version: 1, name: "Camp Lantern" }),
    ]);
    // Fully reserved in its only warehouse: on hand 4, reserved 4.
    await publish(producer, STOCK_TOPIC, reserved, [
      stockEvent({ sku: reserved, warehouseCode: "W1", version: 1, onHand: 4, reserved: 4 }),
    ]);
    await publish(producer, STOCK_TOPIC, open, [
      stockEvent({ sku: open, warehouseCode: "W1", version: 1, onHand: 3 }),
    ]);

    const query = (inStockOnly: boolean) =>
      search.search(
        { query: "lanterns", filters: { brands: [], inStockOnly, attributes: [], categoryPathPrefix: "" } },
        { metadata },
      );
    const all = await eventually(
      () => query(false),
      (r) => r.hits.length === 2 && r.hits.some((h) => h.sku === open && h.inStock),
    );
    expect(all.hits.map((h) => [h.sku, h.inStock]).sort()).toEqual([
      [open, true],
      [reserved, false],
    ]);
    expect((await query(true)).hits.map((h) => h.sku)).toEqual([open]);

    // The documents are in the OpenSearch index behind the service's alias.
    const count = await os.client.count({ index: os.index });
    expect(count.body.count).toBe(2);

    // The reservation is released: the product is buyable again.
    await publish(producer, STOCK_TOPIC, reserved, [
      stockEvent({ sku: reserved, warehouseCode: "W1", version: 2, onHand: 4, reserved: 0 }),
    ]);
    const released = await eventually(
      () => query(true),
      (r) => r.hits.length === 2,
    );
    expect(released.hits.map((h) => h.sku).sort()).toEqual([open, reserved].sort());
  });
});
