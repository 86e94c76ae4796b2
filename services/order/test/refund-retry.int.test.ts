// The refund worker against the real sandbox process: a return's refund while the sandbox is down is
// retried with backoff under its one key until the sandbox is back, then refunded once; a refund whose
// answer was lost (the sandbox frozen past the client's timeout, then thawed: it may have refunded) is
// asked again under the same key and refunded once; a refund failing past the policy's limit puts the
// order in "needs attention", listed for ops.
import { randomUUID } from "node:crypto";
import { AttentionReason } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refundPaymentUseCase } from "../src/app/refund-payment.ts";
import { DEFAULT_AFTER_CHECKOUT_POLICY } from "../src/domain/after-checkout-policy.ts";
import { createFulfillmentFeed, eventually, type FulfillmentFeed } from "./support/fulfillment-feed.ts";
import { createOrderFixture, type OrderFixture } from "./support/order-fixture.ts";
import { confirmedCardOrder, orderEvents, sandboxIntent, shipInWarehouse } from "./support/order-life.ts";

let f: OrderFixture;
let feed: FulfillmentFeed;
const S = uniqueSuffix().slice(-6).toUpperCase();
const POLICY = { ...DEFAULT_AFTER_CHECKOUT_POLICY, baseDelayMs: 100, maxDelayMs: 300, leaseMs: 5_000 };

beforeAll(async () => {
  f = await createOrderFixture({ settings: { afterCheckout: POLICY }, paymentTimeoutMs: 1_500 });
  feed = await createFulfillmentFeed(f);
}, 120_000);

afterAll(async () => {
  await feed?.close();
  await f?.cleanup();
});

async function refundOf(orderId: string) {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT refund_id, status, attempts, last_error FROM refunds WHERE order_id = $1",
    [orderId],
  );
  return rows as { refund_id: string; status: string; attempts: number; last_error: string | null }[];
}

// A shipped, captured order with a return whose refund (value of 1 unit) is requested.
async function returnedOrder(sku: string) {
  await f.stock(sku, 5, "W1", 800n);
  const o = await confirmedCardOrder(f, [{ sku, quantity: 2 }]);
  const ids = feed.newFulfillment();
  await shipInWarehouse(f, o.reservationId, [], ids.shipmentId);
  const lines = [{ orderLineNumber: 1, sku, quantity: 2 }];
  await feed.produce(feed.topics.topics.fulfillment, ids.fulfillmentId, [
    feed.shipped(ids, o.orderId, lines, 3),
    feed.delivered(ids, o.orderId, lines, 4),
  ]);
  await eventually(async () => (await f.useCases.order.getOrder(o.orderId)).order.lines[0]?.delivered === 2);
  await feed.runWorkers();
  expect(await sandboxIntent(f, o.providerPaymentId)).toMatchObject({ received: 1_600 });
  return { ...o, sku, returnId: randomUUID() };
}

async function requestReturnRefund(o: Awaited<ReturnType<typeof returnedOrder>>) {
  const line = { orderLineNumber: 1, sku: o.sku, quantity: 1 };
  await feed.produce(feed.topics.topics.return, o.returnId, [
    feed.returnReceived(o.returnId, o.orderId, [line], 2),
    feed.refundRequested(o.returnId, o.orderId, [{ ...line, amountMinor: 800 }], 3),
  ]);
  await eventually(async () => (await refundOf(o.orderId)).length === 1);
}

async function retryUntil(orderId: string, done: (r: { status: string; attempts: number }) => boolean) {
  return eventually(async () => {
    await f.useCases.payments.retryDueRefunds(10);
    const [refund] = await refundOf(orderId);
    return refund && done(refund) ? refund : undefined;
  });
}

describe("refund retry", () => {
  it("retries a refund while the sandbox is down, under one key, and refunds once when it is back", async () => {
    const o = await returnedOrder(`RR-${S}`);
    await f.sandbox.stop();
    try {
      await requestReturnRefund(o);
      const failing = await retryUntil(o.orderId, (r) => r.attempts >= 3);
      expect(failing.status).not.toBe("succeeded");
      expect((await refundOf(o.orderId))[0]?.last_error).toBeTruthy();
    } finally {
      await f.sandbox.restart();
    }
    await retryUntil(o.orderId, (r) => r.status === "succeeded");
    // Further passes change nothing.
    await new Promise((r) => setTimeout(r, 500));
    await f.useCases.payments.retryDueRefunds(10);
    expect(await sandboxIntent(f, o.providerPaymentId)).toMatchObject({
      received: 1_600,
      refunded: 800,
      refunds: 1,
    });
    const order = await f.useCases.order.getOrder(o.orderId);
    expect(order.payment).toMatchObject({ status: "partially_refunded", refundedMinor: 800 });
    expect((await orderEvents(f, o.orderId)).filter((e) => e === "OrderRefunded")).toHaveLength(1);
  }, 120_000);

  it("a refund whose answer was lost (sandbox frozen past the timeout) is asked again under its key: one refund", async () => {
    const o = await returnedOrder(`RT-${S}`);
    const pid = f.sandbox.pid();
    if (!pid) throw new Error("sandbox not running");
    process.kill(pid, "SIGSTOP");
    try {
      await requestReturnRefund(o);
      await retryUntil(o.orderId, (r) => r.attempts >= 1);
      expect((await refundOf(o.orderId))[0]?.status).toBe("unknown");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    await retryUntil(o.orderId, (r) => r.status === "succeeded");
    expect(await sandboxIntent(f, o.providerPaymentId)).toMatchObject({ refunded: 800, refunds: 1 });
  }, 120_000);

  it("a refund failing past the limit puts the order in needs attention", async () => {
    const o = await returnedOrder(`RA-${S}`);
    await f.sandbox.stop();
    try {
      await requestReturnRefund(o);
      const [refund] = await refundOf(o.orderId);
      const giveUpAtOnce = refundPaymentUseCase(f.deps, { ...POLICY, giveUpAfterMs: 0 });
      expect(await giveUpAtOnce(refund?.refund_id ?? "")).toBe("needs_attention");
    } finally {
      await f.sandbox.restart();
    }
    expect((await refundOf(o.orderId))[0]?.status).toBe("needs_attention");
    // The worker leaves it alone; ops sees the order.
    await f.useCases.payments.retryDueRefunds(10);
    expect(await sandboxIntent(f, o.providerPaymentId)).toMatchObject({ refunds: 0 });
    const listed = await f.admin.listOrdersNeedingAttention({ pageSize: 50 }, f.as("ops"));
    const mine = listed.orders.find((x) => x.orderId === o.orderId);
    expect(mine?.checkout?.attentionReason).toBe(AttentionReason.REFUND_FAILED);
    const filtered = await f.admin.listOrdersNeedingAttention(
      { pageSize: 50, reasons: [AttentionReason.REFUND_FAILED] },
      f.as("ops"),
    );
    expect(filtered.orders.map((x) => x.orderId)).toContain(o.orderId);
  }, 120_000);
});
