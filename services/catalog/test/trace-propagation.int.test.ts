// One trace from a storefront Reserve to the catalog's projection, with OpenTelemetry's in-memory
// exporter: the warehouse's gRPC server span, its transaction and outbox write (the row keeps the trace
// context in its envelope), the relay's producer span (sent as the Kafka message's traceparent header)
// and the catalog consumer's apply with its transaction. Real PostgreSQL, Kafka and Redis; topics of its
// own (a prefix), as in stock-events-e2e.int.test.ts.

import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { createClient, createGrpcServer, type GrpcServer } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { createOutboxRelay } from "@stockroom/outbox";
import { PaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { SpanKind } from "@stockroom/telemetry";
import { type InMemoryTracing, startInMemoryTracing } from "@stockroom/telemetry/testing";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_TTL_POLICY } from "../../warehouse/src/domain/reservation-ttl.ts";
import {
  createWarehouseHandler,
  WAREHOUSE_POLICY,
} from "../../warehouse/src/transport/grpc/warehouse.handler.ts";
import {
  createWarehouseFixture,
  insertWarehouse,
  receive,
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
const SECRET = "trace-test-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };
const suffix = uniqueSuffix();
const TOPIC_PREFIX = `trace${suffix}.`;
const TOPIC = `${TOPIC_PREFIX}warehouse.stock.v1`;
const RESERVATION_TOPIC = `${TOPIC_PREFIX}warehouse.reservation.v1`;
const SKU = `TRACE-${suffix}`.slice(0, 64);

let tracing: InMemoryTracing;
let warehouse: WarehouseFixture;
let catalog: CatalogFixture;
let server: GrpcServer;
let port: number;
const { kafka } = testKafka("catalog-trace");
const admin = kafka.admin();

beforeAll(async () => {
  tracing = startInMemoryTracing();
  [warehouse, catalog] = await Promise.all([createWarehouseFixture({ poolMax: 4 }), createCatalogFixture()]);
  await admin.connect();
  await ensureTopics(admin, [
    { topic: TOPIC, numPartitions: 1 },
    { topic: dlqTopicOf(TOPIC), numPartitions: 1 },
    { topic: RESERVATION_TOPIC, numPartitions: 1 },
  ]);
  server = createGrpcServer({
    logger: createLogger({ service: "warehouse-trace", level: "silent" }),
    registry: createMetricsRegistry({ service: "warehouse-trace", collectDefaults: false }),
    verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
  });
  server.register(
    WarehouseService,
    createWarehouseHandler(warehouse.useCases, DEFAULT_TTL_POLICY),
    WAREHOUSE_POLICY,
  );
  port = await server.start("127.0.0.1:0");
});

afterAll(async () => {
  await server?.shutdown(1000);
  await admin.deleteTopics({ topics: [TOPIC, dlqTopicOf(TOPIC), RESERVATION_TOPIC] }).catch(() => undefined);
  await admin.disconnect();
  await catalog?.cleanup();
  await warehouse?.drop();
  await tracing?.stop();
});

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

describe("tracing across gRPC, the outbox, the relay and Kafka", () => {
  it("puts a storefront Reserve and the catalog's apply of its stock event in one trace", async () => {
    await catalog.createProduct(productInput(SKU, { idempotencyKey: `c-${SKU}` }), CONTEXT);
    await insertWarehouse(warehouse.db, "T1");
    await receive(warehouse.useCases, "T1", [{ sku: SKU, quantity: 10 }]);
    const consumer = createStockEventsConsumer({
      kafka,
      db: catalog.db,
      apply: catalog.applyStockLevelChanged,
      logger: quiet,
      topic: TOPIC,
      groupId: `catalog-trace-${suffix}`,
    });
    const token = await createTokenIssuer({ secret: SECRET, ...AUTH }).issue({
      subject: "trace-shop",
      roles: ["storefront"],
    });
    const client = createClient(WarehouseService, `127.0.0.1:${port}`, { retry: { maxAttempts: 1 }, token });
    await consumer.start();
    try {
      await client.reserve({
        idempotencyKey: `trace-${suffix}`,
        reference: { type: "cart", id: `cart-${suffix}` },
        lines: [{ sku: SKU, quantity: 3 }],
        paymentMethod: PaymentMethod.CARD,
      });
      await relayWarehouseOutbox();
      await vi.waitFor(
        async () => expect((await catalog.getProduct(SKU)).availability.totalAvailable).toBe(7),
        { timeout: 30_000, interval: 100 },
      );
    } finally {
      client.close();
      await consumer.stop();
    }

    const spans = tracing.spans();
    const reserve = spans.find((s) => s.name === "stockroom.warehouse.v1.WarehouseService/Reserve");
    expect(reserve?.kind).toBe(SpanKind.SERVER);
    const traceId = reserve?.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: (typeof spans)[number]) => byId.get(s.parentSpanContext?.spanId ?? "");
    const ancestors = (s: (typeof spans)[number]) => {
      const names: string[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) names.push(p.name);
      return names;
    };

    // The catalog's transaction, under the consumer's apply, under the relay's publish of the Reserve's
    // stock event, under the Reserve's transaction and its server span: one unbroken chain.
    const apply = inTrace.find((s) => s.name === `${TOPIC} process` && s.kind === SpanKind.CONSUMER);
    expect(apply).toBeDefined();
    const catalogTransaction = inTrace.find(
      (s) => s.name === "db.transaction" && parentOf(s)?.spanContext().spanId === apply?.spanContext().spanId,
    );
    expect(catalogTransaction).toBeDefined();
    const publish = apply && parentOf(apply);
    expect(publish?.name).toBe("warehouse.stock.v1 publish");
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    expect(ancestors(catalogTransaction ?? apply ?? (reserve as never))).toEqual([
      `${TOPIC} process`,
      "warehouse.stock.v1 publish",
      "db.transaction",
      "stockroom.warehouse.v1.WarehouseService/Reserve",
    ]);
    expect(reserve?.parentSpanContext).toBeUndefined();
  });
});
