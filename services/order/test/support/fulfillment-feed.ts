// The fulfillment service's side of the order's life, for tests: its events built by the fulfillment
// service's own builders (the contract in proto/stockroom/fulfillment/v1), encoded as outbox envelopes
// and produced onto real Kafka topics of the test's own, consumed by the order service's real consumers
// (createFulfillmentEventConsumers). Stock moves in the real warehouse (ShipReservation) before the
// shipment is announced, as the fulfillment service does. The order's workers are run by hand.
import { randomUUID } from "node:crypto";
import { createLogger } from "@stockroom/logging";
import { dlqTopicOf, type EventConsumer, ensureTopics } from "@stockroom/messaging";
import { type OutboxEvent, toOutboxRow } from "@stockroom/outbox";
import { createTestTopics, type TestTopics, uniqueSuffix } from "@stockroom/testkit";
import type { Producer } from "kafkajs";
import {
  fulfillmentDeliveredEvent,
  fulfillmentShippedEvent,
  fulfillmentShortEvent,
  ShortReason,
} from "../../../fulfillment/src/app/fulfillment-events.ts";
import {
  returnReceivedEvent,
  returnRefundRequestedEvent,
} from "../../../fulfillment/src/app/return-events.ts";
import { createFulfillmentEventConsumers } from "../../src/transport/kafka/fulfillment-events.consumer.ts";
import type { OrderFixture } from "./order-fixture.ts";

export interface FeedLine {
  orderLineNumber: number;
  sku: string;
  quantity: number;
}

export async function createFulfillmentFeed(f: OrderFixture) {
  const topics: TestTopics<"fulfillment" | "return"> = await createTestTopics([
    "fulfillment",
    "return",
  ] as const);
  await ensureTopics(
    topics.admin,
    [topics.topics.fulfillment, topics.topics.return].map((t) => ({
      topic: dlqTopicOf(t),
      numPartitions: 1,
    })),
  );
  const suffix = uniqueSuffix();
  const consumers: EventConsumer[] = createFulfillmentEventConsumers({
    kafka: topics.kafka,
    db: f.db,
    useCases: f.useCases.fulfillment,
    logger: createLogger({ service: "order-test-consumer", level: "silent" }),
    topics: { fulfillment: topics.topics.fulfillment, returns: topics.topics.return },
    groups: { fulfillment: `order-test-f-${suffix}`, returns: `order-test-r-${suffix}` },
    retryBackoffMs: 50,
  });
  for (const c of consumers) await c.start();
  const producer: Producer = topics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  async function produce(topic: string, key: string, envelopes: readonly Uint8Array[]) {
    await producer.send({
      topic,
      acks: -1,
      messages: envelopes.map((value) => ({ key, value: Buffer.from(value) })),
    });
  }
  const encode = (event: OutboxEvent) => toOutboxRow({ producer: "fulfillment" }, event).envelope;
  const lines = (ls: readonly FeedLine[]) => ls.map((l) => ({ ...l, lotCode: "" }));

  return {
    topics,
    produce,
    encode,
    newFulfillment: () => ({ fulfillmentId: randomUUID(), shipmentId: randomUUID() }),
    shipped(
      ids: { fulfillmentId: string; shipmentId: string },
      orderId: string,
      ls: readonly FeedLine[],
      version: number,
      warehouseCode = "W1",
    ) {
      const subject = { topic: topics.topics.fulfillment, ...ids, orderId, warehouseCode, version };
      const at = new Date();
      return encode(
        fulfillmentShippedEvent(
          subject,
          { shipmentId: ids.shipmentId, carrier: "dhl", trackingNumber: "T1", shippedAt: at },
          lines(ls),
          at,
        ),
      );
    },
    delivered(
      ids: { fulfillmentId: string; shipmentId: string },
      orderId: string,
      ls: readonly FeedLine[],
      version: number,
      warehouseCode = "W1",
    ) {
      const subject = { topic: topics.topics.fulfillment, ...ids, orderId, warehouseCode, version };
      return encode(fulfillmentDeliveredEvent(subject, ids.shipmentId, lines(ls), new Date()));
    },
    short(
      fulfillmentId: string,
      orderId: string,
      ls: readonly FeedLine[],
      version: number,
      warehouseCode = "W1",
    ) {
      const subject = { topic: topics.topics.fulfillment, fulfillmentId, orderId, warehouseCode, version };
      return encode(fulfillmentShortEvent(subject, lines(ls), ShortReason.SHORT_PICK, new Date()));
    },
    returnReceived(returnId: string, orderId: string, ls: readonly FeedLine[], version: number) {
      const subject = { topic: topics.topics.return, returnId, orderId, version, warehouseCode: "W1" };
      return encode(
        returnReceivedEvent(
          subject,
          ls.map((l) => ({ ...l, condition: "sellable" as const })),
          new Date(),
        ),
      );
    },
    refundRequested(
      returnId: string,
      orderId: string,
      ls: readonly (FeedLine & { amountMinor: number })[],
      version: number,
    ) {
      const subject = {
        topic: topics.topics.return,
        returnId,
        orderId,
        version,
        currency: "EUR",
        reason: "damaged box",
      };
      const total = ls.reduce((n, l) => n + l.amountMinor, 0);
      return encode(returnRefundRequestedEvent(subject, ls, total, new Date()));
    },
    // The order's after-checkout workers, run by hand until nothing is due.
    async runWorkers(rounds = 20) {
      for (let i = 0; i < rounds; i++) {
        const calls = await f.useCases.payments.runDueOrderCalls(32);
        const refunds = await f.useCases.payments.retryDueRefunds(32);
        if (calls + refunds === 0) return;
      }
    },
    async close() {
      await producer.disconnect();
      await Promise.all(consumers.map((c) => c.stop()));
      await topics.delete().catch(() => undefined);
    },
  };
}

export type FulfillmentFeed = Awaited<ReturnType<typeof createFulfillmentFeed>>;

export async function eventually<T>(
  read: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
