// Verified means delivered (REV-P0-01): order events produced contract-encoded onto a real Kafka topic
// feed the projection through the service's own consumer; a non-buyer, a buyer before delivery and a
// buyer of another sku are not verified, a buyer after delivery is; a full return marks the review
// returned and changes the aggregate once; duplicate and out-of-order events leave the projection right.
import { isAppError } from "@stockroom/errors";
import { createLogger } from "@stockroom/logging";
import {
  dlqTopicOf,
  type EventConsumer,
  ensureTopics,
  REVIEW_ORDER_EVENTS_GROUP,
} from "@stockroom/messaging";
import { createTestTopics, type TestTopics, uniqueSuffix } from "@stockroom/testkit";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderEventsConsumer } from "../src/transport/kafka/order-events.consumer.ts";
import { orderConfirmed, orderDelivered, orderReturned, orderSnapshot } from "./support/order-events.ts";
import { createReviewFixture, customer, MODERATOR, type ReviewFixture } from "./support/review-fixture.ts";

let f: ReviewFixture;
let topics: TestTopics<"order">;
let consumer: EventConsumer;
let producer: Producer;
const run = uniqueSuffix().slice(-6);
const sku = (name: string) => `${name}-${run}`;

beforeAll(async () => {
  [f, topics] = await Promise.all([createReviewFixture(), createTestTopics(["order"] as const)]);
  // A poison event goes to <topic>.dlq: it must exist (topics are created up front).
  await ensureTopics(topics.admin, [{ topic: dlqTopicOf(topics.topics.order), numPartitions: 1 }]);
  consumer = createOrderEventsConsumer({
    kafka: topics.kafka,
    db: f.db,
    apply: f.useCases.orderEvents.applyOrderSnapshot,
    logger: createLogger({ service: "review-test", level: "warn" }),
    topic: topics.topics.order,
    groupId: `review-test-${uniqueSuffix()}`,
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

async function publish(orderId: string, ...envelopes: Uint8Array[]): Promise<void> {
  await producer.send({
    topic: topics.topics.order,
    acks: -1,
    messages: envelopes.map((value) => ({ key: orderId, value: Buffer.from(value) })),
  });
}

// Until every distinct envelope of the order is in the consumer's processing log (applied, duplicate
// or stale alike) and so committed.
const processedIds = new Map<string, Set<string>>();
async function consumed(orderId: string): Promise<void> {
  const ids = [...(processedIds.get(orderId) ?? [])];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = await f.q<{ n: number }>(
      "SELECT count(*)::int AS n FROM event_processing_log WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
      [REVIEW_ORDER_EVENTS_GROUP, ids],
    );
    if ((row?.n ?? 0) >= ids.length) return;
    if (Date.now() > deadline) throw new Error(`order ${orderId}: ${ids.length} events not consumed in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Publishes envelopes and waits until each distinct one is in the processing log.
async function deliver(orderId: string, ...envelopes: Uint8Array[]): Promise<void> {
  const { fromBinary } = await import("@bufbuild/protobuf");
  const { EventEnvelopeSchema } = await import("@stockroom/proto/stockroom/common/v1/event_envelope_pb.js");
  const ids = processedIds.get(orderId) ?? new Set<string>();
  for (const e of envelopes) ids.add(fromBinary(EventEnvelopeSchema, e).eventId);
  processedIds.set(orderId, ids);
  await publish(orderId, ...envelopes);
  await consumed(orderId);
}

function submit(who: string, s: string, extra: { orderId?: string; rating?: number; body?: string } = {}) {
  return f.useCases.reviews.submitReview(
    {
      idempotencyKey: `submit-${who}-${s}-${extra.orderId ?? ""}-${extra.body ?? ""}`,
      sku: s,
      orderId: extra.orderId,
      rating: extra.rating ?? 4,
      title: "Solid",
      body: extra.body ?? `Review of ${s} by ${who}`,
      language: "en",
    },
    customer(who),
  );
}

async function refusal(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isAppError(err)) throw new Error(`expected an AppError, got ${String(err)}`);
  return { kind: err.kind, reason: err.reason };
}

const NOT_VERIFIED = { kind: "failed_precondition", reason: 501 };

describe("verified purchase from the order events", () => {
  it("does not verify a buyer before delivery, a non-buyer or a buyer of another sku; verifies after delivery", async () => {
    const X = sku("X");
    const orderId = `O1-${run}`;
    const lines = [{ lineNumber: 1, sku: X, ordered: 1 }];
    await deliver(
      orderId,
      orderConfirmed(topics.topics.order, orderSnapshot(orderId, "cust-a", lines, 1), 1),
    );
    expect(await refusal(submit("cust-a", X))).toEqual(NOT_VERIFIED);

    const delivered = orderSnapshot(orderId, "cust-a", [{ lineNumber: 1, sku: X, delivered: 1 }], 2);
    await deliver(
      orderId,
      orderDelivered(topics.topics.order, delivered, 2, [{ lineNumber: 1, sku: X, quantity: 1 }]),
    );
    expect(await refusal(submit("cust-b", X))).toEqual(NOT_VERIFIED);
    expect(await refusal(submit("cust-a", sku("OTHER")))).toEqual(NOT_VERIFIED);
    expect(await f.q("SELECT count(*)::int AS n FROM reviews")).toEqual([{ n: 0 }]);

    const review = await submit("cust-a", X, { rating: 5 });
    expect(review).toMatchObject({
      verified: true,
      status: "published",
      orderId,
      lineNumber: 1,
      proofSource: "projection",
      purchaseReturned: false,
    });
    const { stored, recomputed } = await f.figures(X);
    expect(stored).toMatchObject({ all_count: 1, all_5: 1, verified_count: 1, verified_5: 1 });
    expect(stored).toEqual(recomputed);
    // The same purchase again (another key): one review per order line.
    expect((await refusal(submit("cust-a", X, { body: "Again!" }))).kind).toBe("already_exists");
  });

  it("marks the review returned after a full return and changes the aggregate once", async () => {
    const R = sku("R");
    const orderId = `O2-${run}`;
    const snap = (v: number, returned: number) =>
      orderSnapshot(orderId, "cust-r", [{ lineNumber: 1, sku: R, delivered: 2, returned }], v);
    await deliver(
      orderId,
      orderDelivered(topics.topics.order, snap(2, 0), 2, [{ lineNumber: 1, sku: R, quantity: 2 }]),
    );
    const review = await submit("cust-r", R, { rating: 2 });
    expect(review.verified).toBe(true);

    // One of two units back: still verified.
    await deliver(
      orderId,
      orderReturned(topics.topics.order, snap(3, 1), 3, [{ lineNumber: 1, sku: R, quantity: 1 }]),
    );
    expect((await f.useCases.admin.getReview(review.reviewId)).review.purchaseReturned).toBe(false);

    const fullReturn = orderReturned(topics.topics.order, snap(4, 2), 4, [
      { lineNumber: 1, sku: R, quantity: 1 },
    ]);
    await deliver(orderId, fullReturn);
    // Redelivered, and a later event of the same order with the same totals: nothing more changes.
    await deliver(orderId, fullReturn, orderReturned(topics.topics.order, snap(5, 2), 5, []));

    const after = (await f.useCases.admin.getReview(review.reviewId)).review;
    expect(after).toMatchObject({ purchaseReturned: true, verified: true, status: "published", version: 2 });
    const { stored, recomputed } = await f.figures(R);
    expect(stored).toMatchObject({ all_count: 1, all_2: 1, verified_count: 0, verified_2: 0 });
    expect(stored).toEqual(recomputed);
    const summaries = await f.q<{ n: number; versions: string[] }>(
      `SELECT count(*)::int AS n, array_agg(aggregate_version::text ORDER BY id) AS versions FROM outbox
       WHERE aggregate_type = 'rating_summary' AND aggregate_id = $1`,
      [R],
    );
    // One change at submit, one at the full return.
    expect(summaries).toEqual([{ n: 2, versions: ["1", "2"] }]);
    const [summary] = await f.useCases.reviews.getRatingSummaries([R]);
    expect(summary?.figures).toMatchObject({ all: { count: 1 }, verified: { count: 0 }, version: 2 });
  });

  it("keeps the newest snapshot whatever the order and repetition of the events", async () => {
    const D = sku("D");
    const orderId = `O3-${run}`;
    const lines = (delivered: number, returned: number) => [{ lineNumber: 1, sku: D, delivered, returned }];
    const delivered = orderDelivered(
      topics.topics.order,
      orderSnapshot(orderId, "cust-d", lines(1, 0), 2),
      2,
      [{ lineNumber: 1, sku: D, quantity: 1 }],
    );
    const returned = orderReturned(topics.topics.order, orderSnapshot(orderId, "cust-d", lines(1, 1), 3), 3, [
      { lineNumber: 1, sku: D, quantity: 1 },
    ]);
    // The return overtakes the delivery, then both come again.
    await deliver(orderId, returned, delivered, returned, delivered);
    expect(
      await f.q(
        "SELECT delivered_quantity, returned_quantity, order_version::int FROM verified_purchases WHERE order_id = $1",
        [orderId],
      ),
    ).toEqual([{ delivered_quantity: 1, returned_quantity: 1, order_version: 3 }]);
    // Everything came back before the review: not verified.
    expect(await refusal(submit("cust-d", D))).toEqual(NOT_VERIFIED);
  });

  it("holds an unverified review for moderation when the deployment accepts them, uncounted until approved", async () => {
    const held = await createReviewFixture({ policy: { unverified: "moderate" } });
    try {
      const M = sku("M");
      const review = await held.useCases.reviews.submitReview(
        { idempotencyKey: "m1", sku: M, rating: 3, title: "", body: "Never bought it", language: "" },
        customer("cust-m"),
      );
      expect(review).toMatchObject({ verified: false, status: "pending", orderId: null });
      expect((await held.figures(M)).stored).toMatchObject({ all_count: 0 });
      const approved = await held.useCases.admin.approveReview(
        { idempotencyKey: "a1", reviewId: review.reviewId, reason: "" },
        MODERATOR,
      );
      expect(approved.status).toBe("published");
      const { stored, recomputed } = await held.figures(M);
      expect(stored).toMatchObject({ all_count: 1, all_3: 1, verified_count: 0 });
      expect(stored).toEqual(recomputed);
    } finally {
      await held.cleanup();
    }
  });
});
