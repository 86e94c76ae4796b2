// SIGKILL of the real order process (node src/main.ts) while it consumes the fulfillment's events from
// real Kafka and makes the calls they make due: killed right after a shipment was applied (its offset
// maybe not yet committed, the capture not yet made) and right after a return's refund was recorded,
// then restarted on the same schema: the events are applied once (redeliveries absorbed), the payment is
// captured once for what shipped and refunded once for the return, at the sandbox and in the order.
import { randomUUID } from "node:crypto";
import { FULFILLMENT_RETURN_TOPIC, FULFILLMENT_TOPIC } from "@stockroom/messaging";
import { toOutboxRow } from "@stockroom/outbox";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import type { Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fulfillmentDeliveredEvent,
  fulfillmentShippedEvent,
} from "../../fulfillment/src/app/fulfillment-events.ts";
import { returnReceivedEvent, returnRefundRequestedEvent } from "../../fulfillment/src/app/return-events.ts";
import { createOrderFixture, JWT, type OrderFixture, WEBHOOK_SECRET } from "./support/order-fixture.ts";
import { confirmedCardOrder, sandboxIntent, shipInWarehouse } from "./support/order-life.ts";
import { freePort, type OrderProcess, orderProcess } from "./support/order-process.ts";

let f: OrderFixture;
let proc: OrderProcess;
let producer: Producer;
const prefix = `t${uniqueSuffix()}.`;
const topics = {
  fulfillment: `${prefix}${FULFILLMENT_TOPIC}`,
  returns: `${prefix}${FULFILLMENT_RETURN_TOPIC}`,
};

beforeAll(async () => {
  f = await createOrderFixture();
  const addresses = f.addresses();
  const [grpc, metrics, webhook, http] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  proc = orderProcess({
    ORDER_DATABASE_URL: f.orderSchema.connectionString,
    ORDER_DB_SCHEMA: f.orderSchema.schema,
    ORDER_GRPC_PORT: String(grpc),
    ORDER_HTTP_PORT: String(http),
    ORDER_METRICS_PORT: String(metrics),
    ORDER_WEBHOOK_PORT: String(webhook),
    ORDER_WAREHOUSE_GRPC_ADDRESS: addresses.warehouse,
    ORDER_CATALOG_GRPC_ADDRESS: addresses.catalog,
    ORDER_PAYMENT_SANDBOX_URL: f.sandbox.baseUrl,
    ORDER_PAYMENT_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ORDER_JWT_SECRET: JWT.secret,
    ORDER_KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092",
    ORDER_OUTBOX_TOPIC_PREFIX: prefix,
    ORDER_TOPIC_PARTITIONS: "1",
    ORDER_AFTER_CHECKOUT_INTERVAL_MS: "100",
    ORDER_REFUND_RETRY_BASE_MS: "200",
    ORDER_LOG_LEVEL: "info",
  });
  // The process creates the consumed topics (under the prefix) at start.
  await proc.start();
  const { kafka } = testKafka();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 90_000);

afterAll(async () => {
  await producer?.disconnect();
  await proc?.kill();
  await f?.cleanup();
  const { kafka } = testKafka();
  const admin = kafka.admin();
  const tidy = (async () => {
    await admin.connect();
    const own = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (own.length > 0) await admin.deleteTopics({ topics: own, timeout: 5_000 });
  })();
  await Promise.race([tidy.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
  await admin.disconnect().catch(() => undefined);
}, 60_000);

const q = async (text: string, values: unknown[]) => (await f.orderSchema.pool.query(text, values)).rows;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${proc.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function send(topic: string, key: string, event: Parameters<typeof toOutboxRow>[1], copies = 1) {
  const value = Buffer.from(toOutboxRow({ producer: "fulfillment" }, event).envelope);
  await producer.send({ topic, acks: -1, messages: Array.from({ length: copies }, () => ({ key, value })) });
}

describe("SIGKILL of the order process while it applies fulfillment events", () => {
  it("captures once and refunds once across kills and redeliveries", async () => {
    const sku = `FK-${uniqueSuffix().slice(-6)}`;
    await f.stock(sku, 5, "W1", 1_200n);
    const o = await confirmedCardOrder(f, [{ sku, quantity: 2 }]);
    const fulfillmentId = randomUUID();
    const shipmentId = randomUUID();
    await shipInWarehouse(f, o.reservationId, [], shipmentId);
    const subject = { topic: topics.fulfillment, fulfillmentId, orderId: o.orderId, warehouseCode: "W1" };
    const lines = [{ orderLineNumber: 1, sku, quantity: 2, lotCode: "" }];
    const at = new Date();
    await send(
      topics.fulfillment,
      fulfillmentId,
      fulfillmentShippedEvent(
        { ...subject, version: 3 },
        { shipmentId, carrier: "dhl", trackingNumber: "T", shippedAt: at },
        lines,
        at,
      ),
      2,
    );
    // Killed as soon as the shipment is applied (the capture recorded, maybe not made, the offset maybe
    // not committed), then restarted.
    await until(
      "the shipment applied",
      async () => (await q("SELECT 1 FROM order_remote_calls WHERE order_id = $1", [o.orderId])).length > 0,
    );
    await proc.kill();
    await proc.start();
    await send(
      topics.fulfillment,
      fulfillmentId,
      fulfillmentDeliveredEvent({ ...subject, version: 4 }, shipmentId, lines, new Date()),
    );
    await until(
      "the capture",
      async () => (await f.useCases.order.getOrder(o.orderId)).payment?.status === "captured",
    );
    await until(
      "the delivery",
      async () => (await f.useCases.order.getOrder(o.orderId)).order.lines[0]?.delivered === 2,
    );

    const returnId = randomUUID();
    const rsubject = { topic: topics.returns, returnId, orderId: o.orderId };
    const rline = { orderLineNumber: 1, sku, quantity: 1 };
    await send(
      topics.returns,
      returnId,
      returnReceivedEvent(
        { ...rsubject, version: 2, warehouseCode: "W1" },
        [{ ...rline, condition: "sellable" }],
        new Date(),
      ),
    );
    await send(
      topics.returns,
      returnId,
      returnRefundRequestedEvent(
        { ...rsubject, version: 3, currency: "EUR", reason: "too big" },
        [{ ...rline, amountMinor: 1_200 }],
        1_200,
        new Date(),
      ),
      2,
    );
    await until(
      "the refund recorded",
      async () => (await q("SELECT 1 FROM refunds WHERE order_id = $1", [o.orderId])).length > 0,
    );
    await proc.kill();
    await proc.start();
    await until(
      "the refund",
      async () => (await f.useCases.order.getOrder(o.orderId)).payment?.status === "partially_refunded",
    );
    await new Promise((r) => setTimeout(r, 1_000));
    await proc.kill();

    const order = await f.useCases.order.getOrder(o.orderId);
    expect(order.order.lines[0]).toMatchObject({ shipped: 2, delivered: 2, returned: 1 });
    expect(order.payment).toMatchObject({ capturedMinor: 2_400, refundedMinor: 1_200 });
    expect(await sandboxIntent(f, o.providerPaymentId)).toMatchObject({
      received: 2_400,
      refunded: 1_200,
      refunds: 1,
    });
    expect(await q("SELECT kind, status FROM order_remote_calls WHERE order_id = $1", [o.orderId])).toEqual([
      { kind: "capture", status: "succeeded" },
    ]);
    expect(await q("SELECT status FROM refunds WHERE order_id = $1", [o.orderId])).toEqual([
      { status: "succeeded" },
    ]);
    const events = (await q("SELECT event_type FROM outbox WHERE aggregate_id = $1", [o.orderId])).map(
      (r) => r.event_type,
    );
    expect(events.filter((e) => e === "OrderRefunded")).toHaveLength(1);
    expect(events.filter((e) => e === "OrderDelivered")).toHaveLength(1);
  }, 180_000);
});
