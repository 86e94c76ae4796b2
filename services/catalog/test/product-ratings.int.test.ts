// Rating figures from the review service's RatingSummaryChanged events (review.review.v1), produced
// contract-encoded onto a real Kafka topic and consumed by the catalog's own consumer: the product answer
// (through the cache) shows rating and count; a duplicate or older summary changes nothing; the topic's
// review events are ignored.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createLogger } from "@stockroom/logging";
import {
  CATALOG_RATING_PROJECTION_GROUP,
  dlqTopicOf,
  type EventConsumer,
  ensureTopics,
} from "@stockroom/messaging";
import { toOutboxRow } from "@stockroom/outbox";
import {
  RatingSummaryChangedSchema,
  ReviewPublishedSchema,
} from "@stockroom/proto/stockroom/review/v1/events_pb.js";
import { createTestTopics, type TestTopics, uniqueSuffix } from "@stockroom/testkit";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { productMessage } from "../src/app/product-message.ts";
import { createRatingEventsConsumer } from "../src/transport/kafka/rating-events.consumer.ts";
import { type CatalogFixture, createCatalogFixture, productInput } from "./support/catalog-fixture.ts";

let f: CatalogFixture;
let topics: TestTopics<"review">;
let consumer: EventConsumer;
let producer: Producer;
const CONTEXT = { producer: "catalog", actor: "test", principal: "test" };

beforeAll(async () => {
  [f, topics] = await Promise.all([createCatalogFixture(), createTestTopics(["review"] as const)]);
  await ensureTopics(topics.admin, [{ topic: dlqTopicOf(topics.topics.review), numPartitions: 1 }]);
  consumer = createRatingEventsConsumer({
    kafka: topics.kafka,
    db: f.db,
    apply: f.useCases.ratingEvents.applyRatingSummaryChanged,
    logger: createLogger({ service: "catalog-test", level: "warn" }),
    topic: topics.topics.review,
    groupId: `catalog-rating-test-${uniqueSuffix()}`,
  });
  await consumer.start();
  producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await consumer?.stop();
  await topics?.delete();
  await f?.cleanup();
});

function summaryChanged(sku: string, version: number, all: [number, number], verified: [number, number]) {
  const figures = ([count, average]: [number, number]) => ({ count: BigInt(count), average });
  return toOutboxRow(
    { producer: "review" },
    {
      topic: topics.topics.review,
      messageKey: sku,
      aggregateType: "rating_summary",
      aggregateId: sku,
      aggregateVersion: version,
      eventType: "RatingSummaryChanged",
      payloadSchema: RatingSummaryChangedSchema,
      payload: create(RatingSummaryChangedSchema, {
        summary: {
          sku,
          all: figures(all),
          verified: figures(verified),
          version: BigInt(version),
          updatedAt: timestampFromDate(new Date()),
        },
      }),
    },
  );
}

function reviewPublished(sku: string) {
  return toOutboxRow(
    { producer: "review" },
    {
      topic: topics.topics.review,
      messageKey: "01a2348d-a638-7597-905e-5a71e3f354f4",
      aggregateType: "review",
      aggregateId: "01a2348d-a638-7597-905e-5a71e3f354f4",
      aggregateVersion: 1,
      eventType: "ReviewPublished",
      payloadSchema: ReviewPublishedSchema,
      payload: create(ReviewPublishedSchema, { review: { reviewId: "r", sku, rating: 1 } }),
    },
  );
}

async function deliver(rows: { event_id: string; message_key: string; envelope: Uint8Array }[]) {
  await producer.send({
    topic: topics.topics.review,
    acks: -1,
    messages: rows.map((r) => ({ key: r.message_key, value: Buffer.from(r.envelope) })),
  });
  const ids = rows.map((r) => r.event_id);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows: done } = await f.schema.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM event_processing_log WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
      [CATALOG_RATING_PROJECTION_GROUP, ids],
    );
    if ((done[0]?.n ?? 0) >= new Set(ids).size) return;
    if (Date.now() > deadline) throw new Error("rating events not consumed in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("product ratings from review events", () => {
  it("shows rating and count in the product answer, newest summary only", async () => {
    const sku = `RT-${uniqueSuffix().slice(-6)}`;
    await f.createProduct(productInput(sku), CONTEXT);
    expect((await f.getProduct(sku)).rating).toBeUndefined();

    const v2 = summaryChanged(sku, 2, [3, 4], [2, 4.5]);
    await deliver([reviewPublished(sku), summaryChanged(sku, 1, [1, 5], [1, 5]), v2]);
    const view = await f.getProduct(sku);
    expect(view.rating).toEqual({
      reviewCount: 3,
      averageRating: 4,
      verifiedReviewCount: 2,
      verifiedAverageRating: 4.5,
      summaryVersion: 2,
    });
    expect(productMessage(view.product, view.availability, view.rating).rating).toMatchObject({
      reviewCount: 3n,
      averageRating: 4,
      verifiedReviewCount: 2n,
    });

    // The same event again, and an older one under a new id: the answer stays at version 2.
    await deliver([v2, summaryChanged(sku, 1, [9, 1], [9, 1])]);
    expect((await f.getProduct(sku)).rating?.summaryVersion).toBe(2);
    await deliver([summaryChanged(sku, 3, [4, 3.5], [2, 4.5])]);
    expect((await f.getProduct(sku)).rating).toMatchObject({
      reviewCount: 4,
      averageRating: 3.5,
      summaryVersion: 3,
    });
  });
});
