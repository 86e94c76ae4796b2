// Races that must not oversell or complete one checkout twice, with the real warehouse, catalog and
// sandbox: 200 customers checking out the last 100 units at once through three saga workers; a
// checkout whose webhook (delivered twice, and replayed concurrently) races the saga worker.
import { createHmac } from "node:crypto";
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
const CARD = (token: string) => ({ type: PaymentMethodType.CARD, token });

beforeAll(async () => {
  f = await createOrderFixture();
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

describe("checkout races", () => {
  it("200 customers check out the last 100 units at once: exactly 100 confirmed, 100 refused with availability", async () => {
    await f.stock("LAST-100", 100);
    const carts: string[] = [];
    for (let batch = 0; batch < 200; batch += 25) {
      carts.push(
        ...(await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            readyCart(f, [{ sku: "LAST-100", quantity: 1 }], CARD(CARDS.approve), `race-${batch + i}`),
          ),
        )),
      );
    }
    const started = await Promise.all(
      carts.map((cartId) =>
        f.client.startCheckout({ idempotencyKey: `s-${cartId}`, cartId }, f.as("storefront")),
      ),
    );
    // Three workers at once, as three instances of the service would run.
    const workers = Array.from({ length: 3 }, async () => {
      for (let i = 0; i < 400; i++) {
        const driven = await f.useCases.saga.driveDueCheckouts(16);
        if (driven === 0) {
          const { rows } = await f.orderSchema.pool.query(
            "SELECT count(*)::int AS n FROM checkout_sagas WHERE finished_at IS NULL",
          );
          if (rows[0].n === 0) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    });
    await Promise.all(workers);
    const orders = await Promise.all(started.map((s) => settleOrder(f, s.orderId)));
    const confirmed = orders.filter((o) => o.order.status === "confirmed");
    const rejected = orders.filter((o) => o.order.status === "rejected");
    expect(confirmed).toHaveLength(100);
    expect(rejected).toHaveLength(100);
    for (const o of rejected) {
      expect(o.order.shortfall).toHaveLength(1);
      expect(o.order.shortfall[0]).toMatchObject({ sku: "LAST-100", requested: 1 });
      // Nothing of a refused order is held or charged.
      expect(o.payment).toBeUndefined();
    }
    const stock = await level(f.warehouse.db, "W1", "LAST-100");
    expect(stock).toMatchObject({ on_hand: 100, committed: 100, reserved: 0 });
    const { rows } = await f.orderSchema.pool.query(
      "SELECT count(*)::int AS n FROM outbox WHERE event_type = 'OrderConfirmed'",
    );
    expect(rows[0].n).toBe(100);
  }, 180_000);

  it("the saga and a webhook delivered twice, plus concurrent replays of it, complete one order", async () => {
    await f.stock("WH-1", 5);
    const cartId = await readyCart(f, [{ sku: "WH-1", quantity: 1 }], CARD(CARDS.duplicateWebhook));
    const started = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    const settled = await settleOrder(f, started.orderId);
    expect(settled.order.status).toBe("confirmed");
    // The sandbox delivered its webhook twice; wait for both, then replay one 10 times at once while
    // workers drive the (finished) saga.
    const deadline = Date.now() + 10_000;
    let events: { provider_event_id: string; payload: unknown }[] = [];
    while (Date.now() < deadline) {
      ({ rows: events } = await f.orderSchema.pool.query(
        "SELECT provider_event_id, payload FROM payment_events WHERE payment_id = $1",
        [settled.payment?.paymentId],
      ));
      if (events.length >= 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(events.length).toBeGreaterThanOrEqual(1);
    const eventIds = events.map((e) => e.provider_event_id);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    const body = JSON.stringify({
      id: eventIds[0],
      type: "payment_intent.amount_capturable_updated",
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: settled.payment?.providerPaymentId,
          object: "payment_intent",
          status: "requires_capture",
          amount: 1000,
          amount_capturable: 1000,
          currency: "eur",
          reference: started.orderId,
        },
      },
    });
    const t = Math.floor(Date.now() / 1000);
    const signature = createHmac("sha256", "whsec_order_fixture_0123456789")
      .update(`${t}.${body}`)
      .digest("hex");
    const replays = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(f.webhooks.url("sandbox"), {
          method: "POST",
          headers: { "content-type": "application/json", "sandbox-signature": `t=${t},v1=${signature}` },
          body,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { outcome?: string } })),
      ),
    );
    expect(replays.every((r) => r.status === 200)).toBe(true);
    expect(replays.filter((r) => r.body.outcome !== "duplicate")).toHaveLength(0);
    await Promise.all([f.settle(), f.settle()]);
    const { rows: orders } = await f.orderSchema.pool.query(
      "SELECT order_id, status FROM orders WHERE cart_id = $1",
      [cartId],
    );
    expect(orders).toEqual([{ order_id: started.orderId, status: "confirmed" }]);
    const { rows: confirmations } = await f.orderSchema.pool.query(
      "SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'OrderConfirmed'",
      [started.orderId],
    );
    expect(confirmations[0].n).toBe(1);
    expect(await level(f.warehouse.db, "W1", "WH-1")).toMatchObject({ committed: 1, reserved: 0 });
    // A forged signature changes nothing.
    const forged = await fetch(f.webhooks.url("sandbox"), {
      method: "POST",
      headers: { "content-type": "application/json", "sandbox-signature": `t=${t},v1=${"0".repeat(64)}` },
      body,
    });
    expect(forged.status).toBe(401);
  }, 60_000);
});
