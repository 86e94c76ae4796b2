// A dependency goes away (its real gRPC server stops): carts still answer with stale-marked availability
// (ORD-P0-03), checkouts fail fast through the breaker and compensate with nothing held, and once the
// dependency is back, checkouts work again without restarting anything of the order service.
import { isGrpcCallError, status } from "@stockroom/grpc";
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
const CARD = { type: PaymentMethodType.CARD, token: CARDS.approve };

beforeAll(async () => {
  f = await createOrderFixture();
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

async function codeOf(promise: Promise<unknown>): Promise<status | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (isGrpcCallError(err)) return err.code;
    throw err;
  }
}

describe("dependency outages", () => {
  it("catalog down: the cart still answers, availability stale with its age, never out of stock", async () => {
    await f.stock("OUT-C1", 7);
    const cartId = await readyCart(f, [{ sku: "OUT-C1", quantity: 2 }], CARD);
    const before = await f.client.getCart({ cartId }, f.as("storefront"));
    expect(before.cart?.lines[0]?.availability?.stale).toBe(false);
    await f.stop("catalog");
    try {
      await new Promise((r) => setTimeout(r, 50));
      const { cart } = await f.client.getCart({ cartId }, f.as("storefront"));
      const availability = cart?.lines[0]?.availability;
      expect(availability?.stale).toBe(true);
      expect(availability?.known).toBe(true);
      expect(availability?.available).toBe(before.cart?.lines[0]?.availability?.available);
      expect(
        Number(availability?.age?.seconds ?? 0n) * 1000 + (availability?.age?.nanos ?? 0) / 1e6,
      ).toBeGreaterThan(0);
      // Adding a line needs a fresh answer: refused as UNAVAILABLE, the cart unchanged.
      expect(
        await codeOf(
          f.client.addCartLine(
            { idempotencyKey: "oc-1", cartId, sku: "OUT-C1", quantity: 1 },
            f.as("storefront"),
          ),
        ),
      ).toBe(status.UNAVAILABLE);
      const after = await f.client.getCart({ cartId }, f.as("storefront"));
      expect(after.cart?.lines[0]?.quantity).toBe(2);
    } finally {
      await f.restart("catalog");
    }
    // Back: the same client answers fresh figures again.
    const deadline = Date.now() + 10_000;
    let fresh = false;
    while (!fresh && Date.now() < deadline) {
      const { cart } = await f.client.getCart({ cartId }, f.as("storefront"));
      fresh = cart?.lines[0]?.availability?.stale === false;
      if (!fresh) await new Promise((r) => setTimeout(r, 100));
    }
    expect(fresh).toBe(true);
  }, 30_000);

  it("warehouse down: checkouts fail fast through the breaker with nothing held; back up, checkouts work", async () => {
    await f.stock("OUT-W1", 10);
    const carts = await Promise.all(
      [1, 2, 3, 4].map((i) => readyCart(f, [{ sku: "OUT-W1", quantity: 1 }], CARD, `out-${i}`)),
    );
    await f.stop("warehouse");
    let orders: string[] = [];
    try {
      const started = Date.now();
      orders = (
        await Promise.all(
          carts.map((cartId) =>
            f.client.startCheckout({ idempotencyKey: `s-${cartId}`, cartId }, f.as("storefront")),
          ),
        )
      ).map((s) => s.orderId);
      const settled = await Promise.all(orders.map((id) => settleOrder(f, id)));
      // Four attempts each with backoff (50 ms base) and an open breaker: seconds, not deadlines.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(f.warehouseClient.breakerState()).not.toBe("closed");
      for (const o of settled) {
        expect(o.order.status, JSON.stringify(o.saga)).toBe("rejected");
        expect(o.saga?.refusalReason).toBe("dependency_unavailable");
        expect(o.payment).toBeUndefined();
      }
      // A read that needs the warehouse: UNAVAILABLE at once.
      const t0 = Date.now();
      expect(
        await codeOf(
          f.client.addCartLine(
            {
              idempotencyKey: "ow-1",
              cartId: carts[0] ?? "",
              sku: "OUT-W1",
              quantity: 1,
              warehouseCode: "W1",
            },
            f.as("storefront"),
          ),
        ),
      ).toBe(status.UNAVAILABLE);
      expect(Date.now() - t0).toBeLessThan(2_000);
    } finally {
      await f.restart("warehouse");
    }
    expect(await level(f.warehouse.db, "W1", "OUT-W1")).toMatchObject({ reserved: 0, committed: 0 });
    // The breaker half-opens after its reset time and the client's channel reconnects (grpc-js backs
    // off its reconnects for about a second): within seconds, with the same clients, checkouts confirm.
    const cartId = carts[0] ?? "";
    let confirmed: Awaited<ReturnType<typeof settleOrder>> | undefined;
    const deadline = Date.now() + 15_000;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const again = await f.client.startCheckout(
        { idempotencyKey: `s${attempt}-${cartId}`, cartId },
        f.as("storefront"),
      );
      const settled = await settleOrder(f, again.orderId);
      if (settled.order.status === "confirmed") {
        confirmed = settled;
        break;
      }
      expect(settled.saga?.refusalReason).toBe("dependency_unavailable");
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(confirmed?.order.status).toBe("confirmed");
    expect(f.warehouseClient.breakerState()).toBe("closed");
    expect(await level(f.warehouse.db, "W1", "OUT-W1")).toMatchObject({ reserved: 0, committed: 1 });
  }, 60_000);
});
