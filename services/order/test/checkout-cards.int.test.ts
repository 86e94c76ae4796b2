// Each sandbox card behaviour through the whole checkout, the order service's provider client giving up
// before the timeout cards answer: a timeout is an unknown outcome — the saga extends the hold and asks
// the provider (same key) until it knows, never authorizing anew; late and duplicate webhooks change
// nothing of a settled order.
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { level } from "../../warehouse/test/support/warehouse-fixture.ts";
import {
  CARDS,
  createOrderFixture,
  type OrderFixture,
  readyCart,
  settleOrder,
} from "./support/order-fixture.ts";

let f: OrderFixture;

beforeAll(async () => {
  f = await createOrderFixture({ sandboxHangMs: 1_500, paymentTimeoutMs: 400, lateWebhookDelayMs: 1_000 });
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

async function intents(orderId: string) {
  const { rows } = await f.sandboxSchema.pool.query(
    "SELECT status FROM payment_intents WHERE reference = $1",
    [orderId],
  );
  return rows.map((r) => r.status);
}

async function webhookEvents(paymentId: string | undefined) {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT provider_event_id FROM payment_events WHERE payment_id = $1",
    [paymentId],
  );
  return rows.map((r) => r.provider_event_id as string);
}

describe("sandbox card behaviours", () => {
  for (const [name, card, expected] of [
    ["approve", CARDS.approve, "confirmed"],
    ["decline", CARDS.decline, "rejected"],
    ["timeout then approve", CARDS.timeoutThenApprove, "confirmed"],
    ["timeout, outcome unknown until queried", CARDS.timeoutUnknown, "confirmed"],
    ["late webhook", CARDS.lateWebhook, "confirmed"],
    ["duplicate webhook", CARDS.duplicateWebhook, "confirmed"],
  ] as const) {
    it(`${name}: the order ends ${expected}, with one intent at the provider`, async () => {
      const sku = `CARD-${card.slice(-4)}`;
      await f.stock(sku, 5);
      const cartId = await readyCart(f, [{ sku, quantity: 1 }], {
        type: PaymentMethodType.CARD,
        token: card,
      });
      const { orderId } = await f.client.startCheckout(
        { idempotencyKey: `s-${cartId}`, cartId },
        f.as("storefront"),
      );
      const settled = await settleOrder(f, orderId, 30_000);
      expect(settled.order.status).toBe(expected);
      if (card === CARDS.timeoutThenApprove || card === CARDS.timeoutUnknown) {
        // The first answer never came in time: the saga waited and asked again, under the same key.
        expect(settled.saga?.stepOutcomes["checkout.authorize-payment"]).toMatchObject({
          kind: "wait",
          asked: true,
        });
      }
      const atProvider = await intents(orderId);
      expect(atProvider).toHaveLength(1);
      expect(await level(f.warehouse.db, "W1", sku)).toMatchObject(
        expected === "confirmed" ? { committed: 1, reserved: 0 } : { committed: 0, reserved: 0 },
      );
      if (expected === "confirmed") {
        expect(settled.payment?.status).toBe("authorized");
        expect(atProvider).toEqual(["requires_capture"]);
        // Webhooks (late, or twice) arrive after the order settled: recorded once each, no effect.
        await new Promise((r) => setTimeout(r, card === CARDS.lateWebhook ? 1_800 : 600));
        const events = await webhookEvents(settled.payment?.paymentId);
        expect(new Set(events).size).toBe(events.length);
        await f.settle();
        const after = await f.useCases.order.getOrder(orderId);
        expect(after.order.status).toBe("confirmed");
        expect(after.order.version).toBe(settled.order.version);
      }
    }, 60_000);
  }
});
