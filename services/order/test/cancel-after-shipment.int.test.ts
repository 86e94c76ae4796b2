// Cancelling an order after part of it shipped, with the real warehouse moving stock, the sandbox
// holding the money and the fulfillment's events on real Kafka: only the unshipped units are cancelled
// and released, the money of exactly those is refunded or never captured, OrderCancelled lists them; and
// cancels racing shipments (the warehouse ships some lines while the cancel runs, the shipped event
// arriving after) end with stock and money exact.

import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { OrderCancelledSchema } from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { level } from "../../warehouse/test/support/warehouse-fixture.ts";
import { createFulfillmentFeed, eventually, type FulfillmentFeed } from "./support/fulfillment-feed.ts";
import { createOrderFixture, type OrderFixture, settleOrder } from "./support/order-fixture.ts";
import { confirmedCardOrder, sandboxIntent, shipInWarehouse } from "./support/order-life.ts";

let f: OrderFixture;
let feed: FulfillmentFeed;
const S = uniqueSuffix().slice(-6).toUpperCase();

beforeAll(async () => {
  f = await createOrderFixture();
  feed = await createFulfillmentFeed(f);
}, 120_000);

afterAll(async () => {
  await feed?.close();
  await f?.cleanup();
});

async function cancel(orderId: string) {
  await f.client.cancelOrder(
    { idempotencyKey: `c-${orderId}`, orderId, reason: "too slow" },
    f.as("storefront"),
  );
  return settleOrder(f, orderId);
}

async function cancelledEvent(orderId: string) {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT envelope FROM outbox WHERE aggregate_id = $1 AND event_type = 'OrderCancelled'",
    [orderId],
  );
  expect(rows).toHaveLength(1);
  const envelope = fromBinary(EventEnvelopeSchema, rows[0].envelope);
  return envelope.payload ? anyUnpack(envelope.payload, OrderCancelledSchema) : undefined;
}

describe("cancel after a partial shipment", () => {
  it("cancels and releases only the unshipped units; the money of those is refunded after the capture", async () => {
    const A = `CA-${S}`;
    const B = `CB-${S}`;
    await f.stock(A, 10, "W1", 1_000n);
    await f.stock(B, 10, "W1", 500n);
    const { orderId, reservationId, providerPaymentId } = await confirmedCardOrder(f, [
      { sku: A, quantity: 3 },
      { sku: B, quantity: 2 },
    ]);
    const ids = feed.newFulfillment();
    await shipInWarehouse(f, reservationId, [1], ids.shipmentId);
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
      feed.shipped(ids, orderId, [{ orderLineNumber: 1, sku: A, quantity: 3 }], 3),
    ]);
    await eventually(async () => (await f.useCases.order.getOrder(orderId)).order.lines[0]?.shipped === 3);
    await feed.runWorkers();
    // The sandbox captures once: everything still deliverable at the first shipment.
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({ received: 4_000 });

    const cancelled = await cancel(orderId);
    await feed.runWorkers();
    expect(cancelled.order.status).toBe("cancelled");
    const order = await f.useCases.order.getOrder(orderId);
    expect(order.order.lines.map((l) => [l.shipped, l.cancelled, l.allocated])).toEqual([
      [3, 0, 3],
      [0, 2, 0],
    ]);
    expect(await level(f.warehouse.db, "W1", A)).toMatchObject({ on_hand: 7, committed: 0 });
    expect(await level(f.warehouse.db, "W1", B)).toMatchObject({ on_hand: 10, committed: 0, reserved: 0 });
    expect(order.payment).toMatchObject({
      capturedMinor: 4_000,
      refundedMinor: 1_000,
      status: "partially_refunded",
    });
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({
      received: 4_000,
      refunded: 1_000,
      refunds: 1,
    });
    const event = await cancelledEvent(orderId);
    expect(event?.lines.filter((l) => l.quantity > 0).map((l) => [l.lineNumber, l.quantity])).toEqual([
      [2, 2],
    ]);
    expect(event?.paymentReversed).toBe(true);

    // Twice acts once.
    await f.client.cancelOrder(
      { idempotencyKey: `c2-${orderId}`, orderId, reason: "again" },
      f.as("storefront"),
    );
    await settleOrder(f, orderId);
    await feed.runWorkers();
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({ refunded: 1_000, refunds: 1 });
  }, 90_000);

  it("cancel racing shipments: the warehouse's shipped lines stay, the rest is released; money exact", async () => {
    const ORDERS = 6;
    const A = `RA-${S}`;
    const B = `RB-${S}`;
    await f.stock(A, ORDERS * 2, "W1", 1_000n);
    await f.stock(B, ORDERS * 2, "W1", 300n);
    const orders = [];
    for (let i = 0; i < ORDERS; i++) {
      orders.push(
        await confirmedCardOrder(f, [
          { sku: A, quantity: 2 },
          { sku: B, quantity: 1 },
        ]),
      );
    }
    // Each order: the fulfillment ships line 1 in the warehouse and announces it, while the customer
    // cancels; which one reaches the warehouse first differs per order.
    await Promise.all(
      orders.map(async (o, i) => {
        const ids = feed.newFulfillment();
        const ship = async () => {
          if (i % 2 === 0) await new Promise((r) => setTimeout(r, 20 * i));
          try {
            await shipInWarehouse(f, o.reservationId, [1], ids.shipmentId);
          } catch {
            return; // The cancel released the line first: nothing ships, nothing is announced.
          }
          await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
            feed.shipped(ids, o.orderId, [{ orderLineNumber: 1, sku: A, quantity: 2 }], 3),
          ]);
        };
        const cancelIt = async () => {
          if (i % 2 === 1) await new Promise((r) => setTimeout(r, 20 * i));
          await f.client.cancelOrder(
            { idempotencyKey: `rc-${o.orderId}`, orderId: o.orderId, reason: "race" },
            f.as("storefront"),
          );
          // The cancellation's saga runs now (un-commit, then the payment), racing the shipment.
          await settleOrder(f, o.orderId);
        };
        await Promise.all([ship(), cancelIt()]);
      }),
    );
    for (const o of orders) await settleOrder(f, o.orderId);
    // Let every announced shipment arrive, then settle the money.
    await new Promise((r) => setTimeout(r, 2_000));
    await feed.runWorkers();

    let shippedUnits = 0;
    for (const o of orders) {
      const { rows } = await f.warehouse.schema.pool.query<{ sku: string; status: string; quantity: number }>(
        "SELECT sku, status, quantity FROM reservation_lines WHERE reservation_id = $1",
        [o.reservationId],
      );
      const shippedA = rows
        .filter((r) => r.sku === A && r.status === "shipped")
        .reduce((n, r) => n + r.quantity, 0);
      shippedUnits += shippedA;
      const order = await f.useCases.order.getOrder(o.orderId);
      const [lineA, lineB] = order.order.lines;
      // The order agrees with the warehouse on what shipped; nothing else is left open or committed.
      expect(lineA?.shipped).toBe(shippedA);
      expect(lineA?.cancelled).toBe(2 - shippedA);
      expect(lineB).toMatchObject({ shipped: 0, cancelled: 1 });
      expect(rows.every((r) => r.status === "shipped" || r.status === "released")).toBe(true);
      // Money: exactly what shipped is kept.
      const intent = await sandboxIntent(f, o.providerPaymentId);
      expect(intent.received - intent.refunded).toBe(shippedA * 1_000);
      const payment = order.payment;
      expect((payment?.capturedMinor ?? 0) - (payment?.refundedMinor ?? 0)).toBe(shippedA * 1_000);
    }
    // Both outcomes of the race occur across the orders (shipped first, or released first).
    if (process.env.ORDER_TEST_DEBUG)
      console.error(`race: ${shippedUnits / 2} of ${ORDERS} orders shipped line 1`);
    expect(await level(f.warehouse.db, "W1", A)).toMatchObject({
      on_hand: ORDERS * 2 - shippedUnits,
      committed: 0,
      reserved: 0,
    });
    expect(await level(f.warehouse.db, "W1", B)).toMatchObject({
      on_hand: ORDERS * 2,
      committed: 0,
      reserved: 0,
    });
  }, 120_000);
});
