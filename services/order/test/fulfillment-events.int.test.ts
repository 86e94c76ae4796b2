// The order's life after checkout, fed by the fulfillment service's events on real Kafka (contract-
// encoded envelopes from the fulfillment service's own builders) into the order service's real
// consumers, with stock moving in the real warehouse and money in the sandbox process: shipped →
// captured exactly once whatever the redelivery; delivered → OrderDelivered, completed; delivered before
// shipped (out of order) → one shipment, one capture; short → the line's units cancelled, their
// commitment released and only what shipped captured; returns → one refund per return; VerifyPurchase.
import { randomUUID } from "node:crypto";
import { status } from "@stockroom/grpc";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { level } from "../../warehouse/test/support/warehouse-fixture.ts";
import { createFulfillmentFeed, eventually, type FulfillmentFeed } from "./support/fulfillment-feed.ts";
import { createOrderFixture, type OrderFixture } from "./support/order-fixture.ts";
import {
  confirmedCardOrder,
  orderEvents,
  remoteCalls,
  sandboxIntent,
  shipInWarehouse,
} from "./support/order-life.ts";

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

const line = async (orderId: string, n: number) =>
  (await f.useCases.order.getOrder(orderId)).order.lines[n - 1];

describe("shipment, delivery and return", () => {
  const A = `LA-${S}`;
  const B = `LB-${S}`;
  const customer = `cust-life-${S}`;
  let orderId: string;
  let reservationId: string;
  let intent: string;
  const ids = { fulfillmentId: randomUUID(), shipmentId: randomUUID() };

  it("captures exactly once for a shipment however often its event arrives", async () => {
    await f.stock(A, 10, "W1", 1_000n);
    await f.stock(B, 10, "W1", 500n);
    ({
      orderId,
      reservationId,
      providerPaymentId: intent,
    } = await confirmedCardOrder(
      f,
      [
        { sku: A, quantity: 3 },
        { sku: B, quantity: 2 },
      ],
      customer,
    ));
    expect(await sandboxIntent(f, intent)).toMatchObject({ status: "requires_capture", received: 0 });

    await shipInWarehouse(f, reservationId, [], ids.shipmentId);
    const lines = [
      { orderLineNumber: 1, sku: A, quantity: 3 },
      { orderLineNumber: 2, sku: B, quantity: 2 },
    ];
    const envelope = feed.shipped(ids, orderId, lines, 3);
    // The same envelope three times (redelivery), and the same fact re-emitted under a new event id.
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [envelope, envelope, envelope]);
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
      feed.shipped(ids, orderId, lines, 4),
    ]);
    await eventually(async () => (await line(orderId, 2))?.shipped === 2);
    // Let every copy reach the consumer before checking nothing moved twice.
    await eventually(async () => {
      const { rows } = await f.orderSchema.pool.query("SELECT count(*)::int AS n FROM event_processing_log");
      return rows[0].n >= 2;
    });
    await feed.runWorkers();

    const order = await f.useCases.order.getOrder(orderId);
    expect(order.order.lines.map((l) => l.shipped)).toEqual([3, 2]);
    expect(order.order.fulfillmentStatus).toBe("shipped");
    expect(order.payment).toMatchObject({ status: "captured", capturedMinor: 4_000 });
    expect(await remoteCalls(f, orderId)).toEqual([
      expect.objectContaining({ kind: "capture", amount: 4_000, status: "succeeded" }),
    ]);
    expect(await sandboxIntent(f, intent)).toMatchObject({ status: "succeeded", received: 4_000 });
    expect(await level(f.warehouse.db, "W1", A)).toMatchObject({ on_hand: 7, committed: 0 });
  }, 60_000);

  it("is not a verified purchase before delivery", async () => {
    const { verified } = await f.client.verifyPurchase({ customerId: customer, sku: A }, f.as("service"));
    expect(verified).toBe(false);
  });

  it("delivers: quantities, OrderDelivered, completed; a verified purchase for the buyer only", async () => {
    const lines = [
      { orderLineNumber: 1, sku: A, quantity: 3 },
      { orderLineNumber: 2, sku: B, quantity: 2 },
    ];
    const envelope = feed.delivered(ids, orderId, lines, 5);
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [envelope, envelope]);
    await eventually(async () => (await f.useCases.order.getOrder(orderId)).order.status === "completed");
    const order = (await f.useCases.order.getOrder(orderId)).order;
    expect(order.lines.map((l) => l.delivered)).toEqual([3, 2]);
    expect(order.fulfillmentStatus).toBe("delivered");
    expect((await orderEvents(f, orderId)).filter((e) => e === "OrderDelivered")).toHaveLength(1);

    const service = f.as("service");
    const proof = await f.client.verifyPurchase({ customerId: customer, sku: A }, service);
    expect(proof.verified).toBe(true);
    expect(proof.lines).toEqual([
      expect.objectContaining({ orderId, lineNumber: 1, sku: A, deliveredQuantity: 3, returnedQuantity: 0 }),
    ]);
    expect(proof.lines[0]?.deliveredAt).toBeDefined();
    expect(
      (await f.client.verifyPurchase({ customerId: `someone-else-${S}`, sku: A }, service)).verified,
    ).toBe(false);
    expect(
      (await f.client.verifyPurchase({ customerId: customer, sku: `OTHER-${S}` }, service)).verified,
    ).toBe(false);
  }, 60_000);

  it("refunds a return once however often its events arrive; fully returned is no longer a verified purchase", async () => {
    const returnId = randomUUID();
    const returnedLine = { orderLineNumber: 1, sku: A, quantity: 3 };
    const returned = [returnedLine];
    const received = feed.returnReceived(returnId, orderId, returned, 2);
    const refund = feed.refundRequested(returnId, orderId, [{ ...returnedLine, amountMinor: 3_000 }], 3);
    await feed.produce(feed.topics.topics.return, returnId, [received, received, refund, refund]);
    // The fact re-emitted under a new event id and version: still one refund.
    await feed.produce(feed.topics.topics.return, returnId, [
      feed.refundRequested(returnId, orderId, [{ ...returnedLine, amountMinor: 3_000 }], 4),
    ]);
    await eventually(async () => {
      const { rows } = await f.orderSchema.pool.query(
        "SELECT count(*)::int AS n FROM refunds WHERE order_id = $1",
        [orderId],
      );
      return rows[0].n === 1 && (await line(orderId, 1))?.returned === 3;
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await feed.runWorkers();

    const order = await f.useCases.order.getOrder(orderId);
    expect(order.order.lines.map((l) => l.returned)).toEqual([3, 0]);
    expect(order.order.fulfillmentStatus).toBe("partially_returned");
    expect(order.payment).toMatchObject({ status: "partially_refunded", refundedMinor: 3_000 });
    expect(await sandboxIntent(f, intent)).toMatchObject({ received: 4_000, refunded: 3_000, refunds: 1 });
    const events = await orderEvents(f, orderId);
    expect(events.filter((e) => e === "OrderReturned")).toHaveLength(1);
    expect(events.filter((e) => e === "OrderRefunded")).toHaveLength(1);

    const service = f.as("service");
    expect((await f.client.verifyPurchase({ customerId: customer, sku: A }, service)).verified).toBe(false);
    expect((await f.client.verifyPurchase({ customerId: customer, sku: B }, service)).verified).toBe(true);
  }, 60_000);

  it("VerifyPurchase: bad input named, callers other than services refused", async () => {
    const service = f.as("service");
    await expect(f.client.verifyPurchase({ customerId: "", sku: A }, service)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      errorDetail: expect.objectContaining({ field: "customer_id" }),
    });
    await expect(
      f.client.verifyPurchase({ customerId: customer, sku: "bad sku!" }, service),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      errorDetail: expect.objectContaining({ field: "sku" }),
    });
    await expect(
      f.client.verifyPurchase({ customerId: customer, sku: A }, f.as("storefront")),
    ).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
  });
});

describe("out of order and short", () => {
  it("a delivery seen before its shipment ships the units once and captures once", async () => {
    const C = `LC-${S}`;
    await f.stock(C, 5, "W1", 700n);
    const { orderId, reservationId, providerPaymentId } = await confirmedCardOrder(f, [
      { sku: C, quantity: 2 },
    ]);
    const ids = feed.newFulfillment();
    await shipInWarehouse(f, reservationId, [], ids.shipmentId);
    const lines = [{ orderLineNumber: 1, sku: C, quantity: 2 }];
    // Versions in the fulfillment's order (shipped 3, delivered 4), delivered produced first.
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
      feed.delivered(ids, orderId, lines, 4),
      feed.shipped(ids, orderId, lines, 3),
    ]);
    await eventually(async () => (await f.useCases.order.getOrder(orderId)).order.status === "completed");
    await new Promise((r) => setTimeout(r, 500));
    await feed.runWorkers();
    const order = await f.useCases.order.getOrder(orderId);
    expect(order.order.lines[0]).toMatchObject({ shipped: 2, delivered: 2 });
    expect(await remoteCalls(f, orderId)).toHaveLength(1);
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({ status: "succeeded", received: 1_400 });
  }, 60_000);

  it("a short line: its units cancelled, its commitment released, only what shipped captured", async () => {
    const D = `LD-${S}`;
    const E = `LE-${S}`;
    await f.stock(D, 5, "W1", 1_000n);
    await f.stock(E, 5, "W1", 250n);
    const { orderId, reservationId, providerPaymentId } = await confirmedCardOrder(f, [
      { sku: D, quantity: 2 },
      { sku: E, quantity: 4 },
    ]);
    const ids = feed.newFulfillment();
    const shortEnvelope = feed.short(
      ids.fulfillmentId,
      orderId,
      [{ orderLineNumber: 2, sku: E, quantity: 4 }],
      3,
    );
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [shortEnvelope, shortEnvelope]);
    await eventually(async () => (await line(orderId, 2))?.short === 4);
    // Line 1 ships alone (the warehouse's reservation line 1).
    await shipInWarehouse(f, reservationId, [1], ids.shipmentId);
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
      feed.shipped(ids, orderId, [{ orderLineNumber: 1, sku: D, quantity: 2 }], 4),
    ]);
    await eventually(async () => (await line(orderId, 1))?.shipped === 2);
    await feed.runWorkers();

    const order = await f.useCases.order.getOrder(orderId);
    expect(order.order.lines[1]).toMatchObject({ ordered: 4, short: 4, allocated: 0, shipped: 0 });
    expect(order.payment).toMatchObject({ status: "captured", capturedMinor: 2_000 });
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({
      status: "succeeded",
      received: 2_000,
      refunds: 0,
    });
    const calls = await remoteCalls(f, orderId);
    expect(calls.map((c) => [c.kind, c.status])).toEqual(
      expect.arrayContaining([
        ["capture", "succeeded"],
        ["release_stock", "succeeded"],
      ]),
    );
    expect(calls).toHaveLength(2);
    // The short line's commitment is given back; the shipped line left the warehouse.
    expect(await level(f.warehouse.db, "W1", E)).toMatchObject({ on_hand: 5, committed: 0, reserved: 0 });
    expect(await level(f.warehouse.db, "W1", D)).toMatchObject({ on_hand: 3, committed: 0 });
    expect((await orderEvents(f, orderId)).filter((e) => e === "OrderShortfallDetected")).toHaveLength(1);
  }, 60_000);

  it("a short after the capture refunds the short units' value", async () => {
    const G = `LG-${S}`;
    const H = `LH-${S}`;
    await f.stock(G, 5, "W1", 1_000n);
    await f.stock(H, 5, "W2", 300n);
    const { orderId, reservationId, providerPaymentId } = await confirmedCardOrder(f, [
      { sku: G, quantity: 1 },
      { sku: H, quantity: 2 },
    ]);
    // Two fulfillments (one per warehouse): G ships first (capture of everything deliverable: 1,600),
    // then H goes short (its 600 refunded).
    const first = feed.newFulfillment();
    await shipInWarehouse(f, reservationId, [1], first.shipmentId);
    await feed.produce(feed.topics.topics.fulfillment, first.fulfillmentId, [
      feed.shipped(first, orderId, [{ orderLineNumber: 1, sku: G, quantity: 1 }], 3),
    ]);
    await eventually(async () => (await line(orderId, 1))?.shipped === 1);
    await feed.runWorkers();
    const second = feed.newFulfillment();
    await feed.produce(feed.topics.topics.fulfillment, second.fulfillmentId, [
      feed.short(second.fulfillmentId, orderId, [{ orderLineNumber: 2, sku: H, quantity: 2 }], 3, "W2"),
    ]);
    await eventually(async () => (await line(orderId, 2))?.short === 2);
    await feed.runWorkers();
    const order = await f.useCases.order.getOrder(orderId);
    expect(order.payment).toMatchObject({
      status: "partially_refunded",
      capturedMinor: 1_600,
      refundedMinor: 600,
    });
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({
      received: 1_600,
      refunded: 600,
      refunds: 1,
    });
  }, 60_000);
});

describe("everything short", () => {
  it("every unit short and nothing shipped: the order is cancelled, the authorization voided, the stock released", async () => {
    const K = `LK-${S}`;
    await f.stock(K, 4, "W1", 900n);
    const { orderId, providerPaymentId } = await confirmedCardOrder(f, [{ sku: K, quantity: 2 }]);
    const ids = feed.newFulfillment();
    await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
      feed.short(ids.fulfillmentId, orderId, [{ orderLineNumber: 1, sku: K, quantity: 2 }], 3),
    ]);
    await eventually(async () => (await f.useCases.order.getOrder(orderId)).order.status === "cancelled");
    await feed.runWorkers();
    const order = await f.useCases.order.getOrder(orderId);
    expect(order.order).toMatchObject({ cancelledBy: "system" });
    expect(order.order.lines[0]).toMatchObject({ short: 2, allocated: 0, shipped: 0 });
    expect(order.payment?.status).toBe("voided");
    expect(await sandboxIntent(f, providerPaymentId)).toMatchObject({ status: "canceled", received: 0 });
    expect(await level(f.warehouse.db, "W1", K)).toMatchObject({ on_hand: 4, committed: 0, reserved: 0 });
  }, 60_000);
});

describe("poison messages", () => {
  it("an event naming an unknown order is dead-lettered and the events after it still apply", async () => {
    const J = `LJ-${S}`;
    await f.stock(J, 3, "W1", 100n);
    const { orderId } = await confirmedCardOrder(f, [{ sku: J, quantity: 1 }]);
    const ghost = feed.newFulfillment();
    const ids = feed.newFulfillment();
    await feed.produce(feed.topics.topics.fulfillment, ghost.fulfillmentId, [
      feed.shipped(ghost, randomUUID(), [{ orderLineNumber: 1, sku: J, quantity: 1 }], 3),
      // A line the order does not have.
      feed.shipped(ids, orderId, [{ orderLineNumber: 7, sku: J, quantity: 1 }], 3),
      feed.shipped(ids, orderId, [{ orderLineNumber: 1, sku: J, quantity: 1 }], 4),
    ]);
    await eventually(async () => (await line(orderId, 1))?.shipped === 1);
    const dlq = `${feed.topics.topics.fulfillment}.dlq`;
    const offsets = await feed.topics.admin.fetchTopicOffsets(dlq);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(2);
  }, 60_000);
});
