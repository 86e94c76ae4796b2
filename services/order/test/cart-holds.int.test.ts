// Stock held from add-to-cart (ORD-P1-01), with the real warehouse, catalog and sandbox: the cart's one
// reservation follows its lines (add, update, remove, a replayed key), a cart may grow into units it
// holds itself, a change beyond the stock is refused with nothing changed, the checkout takes the cart's
// hold over (no second reservation), idle carts are abandoned with their holds released, and a hold
// intent a crashed command left behind (Reserve answered, or never reached) is released.
import { isGrpcCallError, status } from "@stockroom/grpc";
import { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { CartStatus, PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { sql } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertReservingHold } from "../src/data/cart-hold.repo.ts";
import { activeCartReservations, holdsOf, releasedTwice, reservedUnits } from "./support/cart-hold-checks.ts";
import {
  CARDS,
  createOrderFixture,
  type OrderFixture,
  readyCart,
  settleOrder,
} from "./support/order-fixture.ts";

let f: OrderFixture;
const ABANDON_AFTER_MS = 600;
const INTENT_TIMEOUT_MS = 400;
let n = 0;
const key = () => `hold-${n++}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  f = await createOrderFixture({
    settings: {
      stockHoldMode: "from_add_to_cart",
      cartAbandonAfterMs: ABANDON_AFTER_MS,
      cartHoldIntentTimeoutMs: INTENT_TIMEOUT_MS,
    },
  });
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

async function refusal(call: Promise<unknown>) {
  try {
    await call;
  } catch (err) {
    if (isGrpcCallError(err)) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

async function emptyCart(customerId = `c-${key()}`) {
  const { cart } = await f.client.createCart({ idempotencyKey: key(), customerId }, f.as("storefront"));
  return cart?.cartId ?? "";
}

const storefront = () => f.as("storefront");

describe("stock held from add-to-cart", () => {
  it("follows the cart's lines: add, update, a replayed key, remove; a change beyond the stock changes nothing", async () => {
    await f.stock("HOLD-A", 10);
    const cartId = await emptyCart();
    const added = await f.client.addCartLine(
      { idempotencyKey: "a-1", cartId, sku: "HOLD-A", quantity: 3 },
      storefront(),
    );
    expect(await reservedUnits(f, "HOLD-A")).toBe(3);
    const first = added.cart?.holdReservationId;
    expect(first).toMatch(/^[0-9a-f-]{36}$/);

    const updated = await f.client.updateCartLine(
      { idempotencyKey: "a-2", cartId, lineNumber: 1, quantity: 5 },
      storefront(),
    );
    expect(await reservedUnits(f, "HOLD-A")).toBe(5);
    expect(updated.cart?.holdReservationId).not.toBe(first);
    expect(await activeCartReservations(f)).toEqual([updated.cart?.holdReservationId]);

    // The same quantity again: the same hold, nothing reserved anew.
    const same = await f.client.updateCartLine(
      { idempotencyKey: "a-2b", cartId, lineNumber: 1, quantity: 5 },
      storefront(),
    );
    expect(same.cart?.holdReservationId).toBe(updated.cart?.holdReservationId);

    // The same key again: the first answer, no second hold.
    const replay = await f.client.addCartLine(
      { idempotencyKey: "a-1", cartId, sku: "HOLD-A", quantity: 3 },
      storefront(),
    );
    expect(replay.cart?.lines[0]?.quantity).toBe(5);
    expect(await reservedUnits(f, "HOLD-A")).toBe(5);

    const tooMany = await refusal(
      f.client.updateCartLine({ idempotencyKey: "a-3", cartId, lineNumber: 1, quantity: 11 }, storefront()),
    );
    expect(tooMany.code).toBe(status.FAILED_PRECONDITION);
    expect(tooMany.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    const { cart: unchanged } = await f.client.getCart({ cartId }, storefront());
    expect(unchanged?.lines[0]?.quantity).toBe(5);
    expect(await reservedUnits(f, "HOLD-A")).toBe(5);
    expect(unchanged?.holdReservationId).toMatch(/^[0-9a-f-]{36}$/);

    const removed = await f.client.removeCartLine(
      { idempotencyKey: "a-4", cartId, lineNumber: 1 },
      storefront(),
    );
    expect(removed.cart?.holdReservationId).toBe("");
    expect(await reservedUnits(f, "HOLD-A")).toBe(0);
    expect(await activeCartReservations(f)).toEqual([]);
    expect((await holdsOf(f, cartId)).filter((h) => !["released", "refused"].includes(h.status))).toEqual([]);
    expect(await releasedTwice(f)).toEqual([]);
  });

  it("a cart grows into the units it holds itself; past them it keeps what it held", async () => {
    await f.stock("HOLD-B", 4);
    const cartId = await emptyCart();
    await f.client.addCartLine({ idempotencyKey: key(), cartId, sku: "HOLD-B", quantity: 2 }, storefront());
    // Only 2 are free: the cart's own 2 make up the 4.
    await f.client.updateCartLine(
      { idempotencyKey: key(), cartId, lineNumber: 1, quantity: 4 },
      storefront(),
    );
    expect(await reservedUnits(f, "HOLD-B")).toBe(4);
    const err = await refusal(
      f.client.updateCartLine({ idempotencyKey: key(), cartId, lineNumber: 1, quantity: 5 }, storefront()),
    );
    expect(err.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    expect(err.errorDetail?.metadata).toMatchObject({ line_1_sku: "HOLD-B", line_1_available: "4" });
    const { cart } = await f.client.getCart({ cartId }, storefront());
    expect(cart?.lines[0]?.quantity).toBe(4);
    expect(await reservedUnits(f, "HOLD-B")).toBe(4);
    expect((await holdsOf(f, cartId)).filter((h) => h.status === "held")).toHaveLength(1);
    // Someone else finds nothing left.
    const other = await emptyCart();
    const none = await refusal(
      f.client.addCartLine(
        { idempotencyKey: key(), cartId: other, sku: "HOLD-B", quantity: 1 },
        storefront(),
      ),
    );
    expect(none.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    expect(await releasedTwice(f)).toEqual([]);
  });

  it("the checkout takes the cart's hold over: the same reservation is confirmed, none is made twice", async () => {
    await f.stock("HOLD-C", 3);
    const cartId = await readyCart(f, [{ sku: "HOLD-C", quantity: 3 }], {
      type: PaymentMethodType.CARD,
      token: CARDS.approve,
    });
    const { cart } = await f.client.getCart({ cartId }, storefront());
    const held = cart?.holdReservationId ?? "";
    expect(await reservedUnits(f, "HOLD-C")).toBe(3);
    const started = await f.client.startCheckout({ idempotencyKey: key(), cartId }, storefront());
    const done = await settleOrder(f, started.orderId);
    expect(done.order.status).toBe("confirmed");
    const { rows } = await sql<{ reservation_id: string; status: string }>`
      SELECT reservation_id, status FROM reservations WHERE reference_type = 'cart' AND reference_id = ${cartId}`.execute(
      f.warehouse.db,
    );
    expect(rows).toEqual([{ reservation_id: held, status: "confirmed" }]);
    const { rows: orderRows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM reservations WHERE reference_type = 'order' AND reference_id = ${started.orderId}`.execute(
      f.warehouse.db,
    );
    expect(orderRows[0]?.n).toBe(0);
    const level = await sql<{ reserved: number; committed: number }>`
      SELECT reserved::int, committed::int FROM stock_levels WHERE sku = 'HOLD-C'`.execute(f.warehouse.db);
    expect(level.rows[0]).toEqual({ reserved: 0, committed: 3 });
    const { order } = await f.client.getOrder({ orderId: started.orderId }, storefront());
    expect(order?.status).toBe(OrderStatus.CONFIRMED);
  });

  it("idle carts are abandoned and their holds released; an abandoned cart takes no change", async () => {
    await f.stock("HOLD-D", 5);
    const idle = await emptyCart();
    await f.client.addCartLine(
      { idempotencyKey: key(), cartId: idle, sku: "HOLD-D", quantity: 2 },
      storefront(),
    );
    expect(await reservedUnits(f, "HOLD-D")).toBe(2);
    // Not idle yet: nothing happens.
    await f.useCases.carts.abandonIdleCarts(100);
    expect(await reservedUnits(f, "HOLD-D")).toBe(2);
    await new Promise((r) => setTimeout(r, ABANDON_AFTER_MS + 100));
    const pass = await f.useCases.carts.abandonIdleCarts(100);
    expect(pass.abandoned).toBeGreaterThanOrEqual(1);
    expect(await reservedUnits(f, "HOLD-D")).toBe(0);
    const { cart } = await f.client.getCart({ cartId: idle }, storefront());
    expect(cart?.status).toBe(CartStatus.ABANDONED);
    expect(cart?.holdReservationId).toBe("");
    const late = await refusal(
      f.client.addCartLine({ idempotencyKey: key(), cartId: idle, sku: "HOLD-D", quantity: 1 }, storefront()),
    );
    expect(late.reason).toBe(ErrorReason.CART_NOT_OPEN);
    expect(await reservedUnits(f, "HOLD-D")).toBe(0);
    // A second pass releases nothing twice.
    await f.useCases.carts.abandonIdleCarts(100);
    expect(await releasedTwice(f)).toEqual([]);
  });

  it("a hold intent left by a crashed command is released, whether Reserve answered or never ran", async () => {
    await f.stock("HOLD-E", 6);
    const cartId = await emptyCart();
    const answered = uuidv7();
    const neverRan = uuidv7();
    for (const holdId of [answered, neverRan]) {
      await insertReservingHold(f.db, {
        holdId,
        cartId,
        lines: [{ sku: "HOLD-E", warehouseCode: null, quantity: 2 }],
        paymentMethod: "card",
        ttlMs: 600_000,
      });
    }
    // The command reserved, then died before its transaction.
    await f.warehouseClient.reserve({
      idempotencyKey: `cart-hold:${answered}`,
      cartId,
      lines: [{ sku: "HOLD-E", quantity: 2, warehouseCode: null }],
      paymentMethod: "card",
      ttlMs: 600_000,
    });
    expect(await reservedUnits(f, "HOLD-E")).toBe(2);
    // Not yet past the intent timeout: a command may still be running.
    await f.useCases.carts.abandonIdleCarts(100);
    expect(await reservedUnits(f, "HOLD-E")).toBe(2);
    await new Promise((r) => setTimeout(r, INTENT_TIMEOUT_MS + 100));
    await f.useCases.carts.abandonIdleCarts(100);
    expect(await reservedUnits(f, "HOLD-E")).toBe(0);
    const statuses = (await holdsOf(f, cartId)).map((h) => h.status);
    expect(statuses).toEqual(["released", "released"]);
    // A week later they are gone; the cart's other holds are not touched.
    await f.orderSchema.pool.query(
      "UPDATE cart_holds SET updated_at = now() - interval '8 days' WHERE hold_id = ANY($1::uuid[])",
      [[answered, neverRan]],
    );
    await f.useCases.carts.abandonIdleCarts(100);
    expect(await holdsOf(f, cartId)).toEqual([]);
    expect(await activeCartReservations(f, cartId)).toEqual([]);
    expect(await releasedTwice(f)).toEqual([]);
  });
});
