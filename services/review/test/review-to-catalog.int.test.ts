// The flow with the real processes: the review service (node src/main.ts) consumes an OrderDelivered
// produced onto a real Kafka topic, takes a verified review over gRPC, refuses to verify a purchase it
// has not seen while the order service it would ask is down (nothing listens at its address), and its
// relay publishes the rating summary that a real catalog process shows in its GetProduct answer.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, isGrpcCallError, status, type TypedClient } from "@stockroom/grpc";
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { ReviewService } from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import { requireTestEnv, testKafka, uniqueSuffix } from "@stockroom/testkit";
import type { Admin, Producer } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderDelivered, orderSnapshot } from "./support/order-events.ts";
import { freePort, type ServiceProcess, startServiceProcess } from "./support/service-process.ts";

const SECRET = "review-process-test-secret-0123456789";
const suffix = uniqueSuffix();
const prefix = `proc${suffix}.`;
const orderTopic = `${prefix}order.order.v1`;
const reviewTopic = `${prefix}review.review.v1`;
const schemas = { review: `t_${suffix}_rev`, catalog: `t_${suffix}_cat` };
const brokers = requireTestEnv("TEST_KAFKA_BROKERS");
const databaseUrl = requireTestEnv("TEST_DATABASE_URL");

let review: ServiceProcess;
let catalog: ServiceProcess;
let admin: Admin;
let producer: Producer;
let reviews: TypedClient<typeof ReviewService>;
let catalogReads: TypedClient<typeof CatalogService>;
const issuer = createTokenIssuer({ secret: SECRET, issuer: "stockroom", audience: "stockroom" });

beforeAll(async () => {
  const { kafka } = testKafka();
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    [orderTopic, dlqTopicOf(orderTopic), reviewTopic, dlqTopicOf(reviewTopic)].map((topic) => ({
      topic,
      numPartitions: 2,
    })),
  );
  const common = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    JWT_SECRET: SECRET,
    TOPIC_PARTITIONS: "2",
    OUTBOX_TOPIC_PREFIX: prefix,
  };
  [review, catalog] = await Promise.all([
    startServiceProcess("review", {
      ...common,
      DB_SCHEMA: schemas.review,
      ORDER_EVENTS_TOPIC: orderTopic,
      ORDER_EVENTS_GROUP: `proc-${suffix}-review`,
      // The order service is down: nothing listens there.
      ORDER_GRPC_ADDRESS: `127.0.0.1:${await freePort()}`,
      ORDER_VERIFY_DEADLINE_MS: "500",
    }),
    startServiceProcess("catalog", {
      ...common,
      DB_SCHEMA: schemas.catalog,
      STOCK_EVENTS_TOPIC: `${prefix}warehouse.stock.v1`,
      STOCK_CONSUMER_GROUP: `proc-${suffix}-stock`,
      RATING_EVENTS_TOPIC: reviewTopic,
      RATING_CONSUMER_GROUP: `proc-${suffix}-rating`,
      CACHE_ENABLED: "false",
      REDIS_URL: "redis://127.0.0.1:6379",
    }),
  ]);
  const token = (subject: string, role: "storefront" | "ops") => () =>
    issuer.issue({ subject, roles: [role], ttlSec: 600 });
  reviews = createClient(ReviewService, review.grpcAddress, {
    token: token("cust-e2e", "storefront"),
    defaultDeadlineMs: 10_000,
  });
  catalogReads = createClient(CatalogService, catalog.grpcAddress, { token: token("shop", "storefront") });
  const catalogAdmin = createClient(CatalogAdminService, catalog.grpcAddress, { token: token("ops", "ops") });
  await catalogAdmin.createProduct({
    idempotencyKey: "create-E2E-1",
    sku: "E2E-1",
    name: "Kettle",
    price: { amountMinor: 2999n, currency: "EUR" },
    status: ProductStatus.ACTIVE,
  });
  catalogAdmin.close();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 180_000);

afterAll(async () => {
  reviews?.close();
  catalogReads?.close();
  await producer?.disconnect();
  await Promise.all([review?.stop(), catalog?.stop()]);
  await admin
    ?.deleteTopics({
      topics: [
        orderTopic,
        dlqTopicOf(orderTopic),
        reviewTopic,
        dlqTopicOf(reviewTopic),
        `${prefix}warehouse.stock.v1`,
        `${prefix}warehouse.stock.v1.dlq`,
        `${prefix}catalog.product.v1`,
      ],
    })
    .catch(() => undefined);
  await admin?.disconnect();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (const schema of Object.values(schemas))
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("review service and catalog as processes", () => {
  it("verifies from delivery events, fails closed without them, and the catalog shows the rating", async () => {
    const order = orderSnapshot("ORD-E2E", "cust-e2e", [{ lineNumber: 1, sku: "E2E-1", delivered: 1 }], 2);
    await producer.send({
      topic: orderTopic,
      acks: -1,
      messages: [
        {
          key: "ORD-E2E",
          value: Buffer.from(
            orderDelivered(orderTopic, order, 2, [{ lineNumber: 1, sku: "E2E-1", quantity: 1 }]),
          ),
        },
      ],
    });
    // Not in the projection, and the order service cannot be asked: not verified, refused.
    const refused = await reviews
      .submitReview({ idempotencyKey: "e2e-0", sku: "E2E-2", rating: 5, body: "Never got it" })
      .catch((e: unknown) => e);
    expect(isGrpcCallError(refused) && refused.code).toBe(status.FAILED_PRECONDITION);

    const submitted = await eventually(
      async () =>
        (
          await reviews.submitReview({
            idempotencyKey: "e2e-1",
            sku: "E2E-1",
            rating: 4,
            title: "Boils fast",
            body: "Quiet too",
          })
        ).review,
    );
    expect(submitted).toMatchObject({
      customerId: "cust-e2e",
      verified: true,
      proof: { orderId: "ORD-E2E", lineNumber: 1 },
    });

    const rating = await eventually(
      async () => (await catalogReads.getProduct({ sku: "E2E-1" })).product?.rating,
    );
    expect(rating).toMatchObject({
      reviewCount: 1n,
      averageRating: 4,
      verifiedReviewCount: 1n,
      summaryVersion: 1n,
    });
  });
});
