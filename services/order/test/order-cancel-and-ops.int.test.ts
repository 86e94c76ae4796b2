// After checkout: cancelling a confirmed order before shipment (stock available again, payment voided;
// twice acts once), bank transfers (pending until ops marks them received; a lapsed hold cancels the
// order and frees the stock), and a stuck checkout abandoned by ops.
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { OrderStatus, RefundReason } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { level } from "../../warehouse/test/support/warehouse-fixture.ts";
import { DEFAULT_PAYMENT_HOLD } from "../src/domain/payment-hold.ts";
import {
  CARDS,
  createOrderFixture,
  type OrderFixture,
  readyCart,
  settleOrder,
} from "./support/order-fixture.ts";

let f: OrderFixture;
const BANK_HOLD_MS = 3_000;

beforeAll(async () => {
  f = await createOrderFixture({
    settings: { paymentHold: { ...DEFAULT_PAYMENT_HOLD, bank_transfer: BANK_HOLD_MS } },
  });
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

async function events(orderId: string): Promise<string[]> {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY aggregate_version",
    [orderId],
  );
  return rows.map((r) => r.event_type);
}

describe("cancellation", () => {
  it("cancels a confirmed order before shipment: stock available again, payment voided; twice acts once", async () => {
    await f.stock("CX-1", 5);
    const cartId = await readyCart(f, [{ sku: "CX-1", quantity: 2 }], {
      type: PaymentMethodType.CARD,
      token: CARDS.approve,
    });
    const { orderId } = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    expect((await settleOrder(f, orderId)).order.status).toBe("confirmed");
    expect(await level(f.warehouse.db, "W1", "CX-1")).toMatchObject({ committed: 2, reserved: 0 });

    const [first, second] = await Promise.all([
      f.client.cancelOrder(
        { idempotencyKey: `c1-${orderId}`, orderId, reason: "changed my mind" },
        f.as("storefront"),
      ),
      f.client.cancelOrder(
        { idempotencyKey: `c2-${orderId}`, orderId, reason: "changed my mind" },
        f.as("storefront"),
      ),
    ]).catch(async (err) => {
      // One of two racing cancels may lose the row lock race and be told to retry; retry it once.
      if (!String(err).includes("ABORTED")) throw err;
      return [
        await f.client.cancelOrder(
          { idempotencyKey: `c3-${orderId}`, orderId, reason: "x" },
          f.as("storefront"),
        ),
        undefined,
      ];
    });
    expect(first?.order?.orderId).toBe(orderId);
    void second;
    const cancelled = await settleOrder(f, orderId);
    expect(cancelled.order.status).toBe("cancelled");
    expect(cancelled.order.cancelledBy).toBe("customer");
    expect(cancelled.payment?.status).toBe("voided");
    expect(cancelled.order.lines[0]).toMatchObject({ ordered: 2, cancelled: 2, allocated: 0 });
    expect(await level(f.warehouse.db, "W1", "CX-1")).toMatchObject({
      on_hand: 5,
      committed: 0,
      reserved: 0,
    });

    const third = await f.client.cancelOrder(
      { idempotencyKey: `c4-${orderId}`, orderId, reason: "again" },
      f.as("storefront"),
    );
    expect(third.order?.status).toBe(OrderStatus.CANCELLED);
    await f.settle();
    expect(await events(orderId)).toEqual(["OrderConfirmed", "OrderCancelled"]);
    expect(await level(f.warehouse.db, "W1", "CX-1")).toMatchObject({
      on_hand: 5,
      committed: 0,
      reserved: 0,
    });
  }, 60_000);
});

describe("manual payments", () => {
  it("a bank transfer waits for ops: MarkPaymentReceived confirms the order", async () => {
    await f.stock("BT-1", 5);
    const cartId = await readyCart(f, [{ sku: "BT-1", quantity: 1 }], {
      type: PaymentMethodType.BANK_TRANSFER,
      token: "",
    });
    const { orderId } = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    const waiting = await settleOrder(f, orderId);
    expect(waiting.order.status).toBe("awaiting_payment");
    expect(waiting.payment?.provider).toBe("manual");
    expect(await level(f.warehouse.db, "W1", "BT-1")).toMatchObject({ reserved: 1 });

    await f.admin.markPaymentReceived(
      {
        idempotencyKey: `m-${orderId}`,
        orderId,
        amount: { amountMinor: 1_000n, currency: "EUR" },
        paymentReference: "BANK-REF-1",
      },
      f.as("ops"),
    );
    const deadline = Date.now() + 10_000;
    let order = await f.useCases.order.getOrder(orderId);
    while (order.order.status !== "confirmed" && Date.now() < deadline) {
      await f.settle();
      order = await f.useCases.order.getOrder(orderId);
    }
    expect(order.order.status).toBe("confirmed");
    expect(order.payment?.status).toBe("captured");
    expect(await level(f.warehouse.db, "W1", "BT-1")).toMatchObject({ reserved: 0, committed: 1 });

    // Refunds: part, then the rest (no amount), then nothing is left to refund.
    const part = await f.admin.refundOrder(
      {
        idempotencyKey: `r1-${orderId}`,
        orderId,
        amount: { amountMinor: 400n, currency: "EUR" },
        reason: RefundReason.GOODWILL,
      },
      f.as("ops"),
    );
    expect(part.order?.payment?.refunded?.amountMinor).toBe(400n);
    const replay = await f.admin.refundOrder(
      {
        idempotencyKey: `r1-${orderId}`,
        orderId,
        amount: { amountMinor: 400n, currency: "EUR" },
        reason: RefundReason.GOODWILL,
      },
      f.as("ops"),
    );
    expect(replay.refund?.refundId).toBe(part.refund?.refundId);
    const rest = await f.admin.refundOrder(
      { idempotencyKey: `r2-${orderId}`, orderId, reason: RefundReason.CUSTOMER_REQUEST },
      f.as("ops"),
    );
    expect(rest.refund?.amount?.amountMinor).toBe(600n);
    expect(rest.order?.payment?.refunded?.amountMinor).toBe(1_000n);
    await expect(
      f.admin.refundOrder(
        {
          idempotencyKey: `r3-${orderId}`,
          orderId,
          amount: { amountMinor: 1n, currency: "EUR" },
          reason: RefundReason.OTHER,
        },
        f.as("ops"),
      ),
    ).rejects.toMatchObject({ code: 9 });
    expect(await events(orderId)).toEqual(["OrderConfirmed", "OrderRefunded", "OrderRefunded"]);
  }, 30_000);

  it("a bank transfer not received within its hold: the order is cancelled, the stock freed, OrderCancelled emitted", async () => {
    await f.stock("BT-2", 5);
    const cartId = await readyCart(f, [{ sku: "BT-2", quantity: 2 }], {
      type: PaymentMethodType.BANK_TRANSFER,
      token: "",
    });
    const { orderId } = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    expect((await settleOrder(f, orderId)).order.status).toBe("awaiting_payment");
    await new Promise((r) => setTimeout(r, BANK_HOLD_MS + 200));
    const settled = await settleOrder(f, orderId);
    expect(settled.order.status).toBe("cancelled");
    expect(settled.order.cancelledBy).toBe("system");
    expect(await level(f.warehouse.db, "W1", "BT-2")).toMatchObject({ reserved: 0, committed: 0 });
    expect(await events(orderId)).toEqual(["OrderCancelled"]);
    // Too late for ops now.
    await expect(
      f.admin.markPaymentReceived(
        {
          idempotencyKey: `m-${orderId}`,
          orderId,
          amount: { amountMinor: 2_000n, currency: "EUR" },
          paymentReference: "LATE",
        },
        f.as("ops"),
      ),
    ).rejects.toMatchObject({ code: 9 });
  }, 30_000);
});
