// Races over stock held from add-to-cart, with the real warehouse, catalog and sandbox: many carts edited
// at once (add, update, remove, replayed keys) while the abandoned-cart worker abandons idle ones and
// some carts check out, on scarce stock. Whatever order things happen in: no hold is leaked (the
// warehouse's active cart reservations are exactly the carts' current holds, reserved units are exactly
// what those holds and nothing else hold), every open cart's hold matches its lines, committed units
// are the confirmed orders' units, and no reservation is released twice.
import { isGrpcCallError, status } from "@stockroom/grpc";
import { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeCartReservations, holdsOf, releasedTwice } from "./support/cart-hold-checks.ts";
import { CARDS, createOrderFixture, DESTINATION, type OrderFixture } from "./support/order-fixture.ts";

let f: OrderFixture;
const SKUS = ["RACE-H1", "RACE-H2", "RACE-H3"];
const STOCK = 12;
const CARTS = 12;
const EDITS_PER_CART = 5;
const ABANDON_AFTER_MS = 3_000;

// Refusals a cart edit may meet in this race; anything else fails the test.
const EXPECTED_REFUSALS = new Set([
  ErrorReason.INSUFFICIENT_STOCK,
  ErrorReason.CART_NOT_OPEN,
  ErrorReason.CHECKOUT_IN_PROGRESS,
  ErrorReason.CONCURRENT_MODIFICATION,
  ErrorReason.CART_LINE_NOT_FOUND,
  ErrorReason.CHECKOUT_NOT_READY,
]);

beforeAll(async () => {
  f = await createOrderFixture({
    settings: {
      stockHoldMode: "from_add_to_cart",
      cartAbandonAfterMs: ABANDON_AFTER_MS,
      cartHoldIntentTimeoutMs: 300,
    },
  });
  for (const sku of SKUS) await f.stock(sku, STOCK);
}, 60_000);

afterAll(async () => {
  await f?.cleanup();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

describe("cart holds under races", () => {
  it("edits, the abandoned-cart worker and checkouts racing leak no hold and release none twice", async () => {
    const storefront = f.as("storefront");
    const unexpected: string[] = [];
    const tally = new Map<string, number>();
    const attempt = async (name: string, call: () => Promise<unknown>) => {
      try {
        await call();
        tally.set(name, (tally.get(name) ?? 0) + 1);
      } catch (err) {
        if (isGrpcCallError(err) && err.code !== status.INTERNAL && EXPECTED_REFUSALS.has(err.reason)) {
          tally.set(
            `${name}:${ErrorReason[err.reason]}`,
            (tally.get(`${name}:${ErrorReason[err.reason]}`) ?? 0) + 1,
          );
          return;
        }
        unexpected.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };

    // Every cart at once, so none is idle before the race starts.
    const cartIds = await Promise.all(
      Array.from({ length: CARTS }, async (_, i) => {
        const { cart } = await f.client.createCart(
          { idempotencyKey: `rc-${i}`, customerId: `race-${i}` },
          storefront,
        );
        const cartId = cart?.cartId ?? "";
        await f.client.setShippingDestination(
          { idempotencyKey: `rd-${i}`, cartId, shippingDestination: DESTINATION },
          storefront,
        );
        await f.client.setPaymentMethod(
          {
            idempotencyKey: `rp-${i}`,
            cartId,
            paymentMethod: { type: PaymentMethodType.CARD, token: CARDS.approve },
          },
          storefront,
        );
        return cartId;
      }),
    );

    // The abandoned-cart worker, passing again and again while the carts are edited.
    let storming = true;
    const worker = (async () => {
      while (storming) {
        await f.useCases.carts.abandonIdleCarts(50);
        await pause(15);
      }
    })();
    // Two saga drivers, as two instances would run.
    const drivers = Array.from({ length: 2 }, async () => {
      while (storming) {
        if ((await f.useCases.saga.driveDueCheckouts(16)) === 0) await pause(20);
      }
    });

    const orderIds: string[] = [];
    await Promise.all(
      cartIds.map(async (cartId, c) => {
        let lastAdd: { idempotencyKey: string; cartId: string; sku: string; quantity: number } | undefined;
        for (let e = 0; e < EDITS_PER_CART; e++) {
          const k = `e-${c}-${e}`;
          const roll = Math.random();
          if (roll < 0.45) {
            const add = {
              idempotencyKey: k,
              cartId,
              sku: pick(SKUS),
              quantity: 1 + Math.floor(Math.random() * 3),
            };
            lastAdd = add;
            await attempt("add", () => f.client.addCartLine(add, storefront));
          } else if (roll < 0.65) {
            await attempt("update", () =>
              f.client.updateCartLine(
                {
                  idempotencyKey: k,
                  cartId,
                  lineNumber: 1 + Math.floor(Math.random() * 3),
                  quantity: 1 + Math.floor(Math.random() * 4),
                },
                storefront,
              ),
            );
          } else if (roll < 0.8) {
            await attempt("remove", () =>
              f.client.removeCartLine(
                { idempotencyKey: k, cartId, lineNumber: 1 + Math.floor(Math.random() * 3) },
                storefront,
              ),
            );
          } else if (roll < 0.9) {
            // A retry of an earlier edit's key (the client lost the answer): the first answer, no new hold.
            const again = lastAdd;
            if (again) await attempt("replay", () => f.client.addCartLine(again, storefront));
          } else {
            await attempt("checkout", async () => {
              const started = await f.client.startCheckout(
                { idempotencyKey: `co-${c}-${e}`, cartId },
                storefront,
              );
              orderIds.push(started.orderId);
            });
          }
          // Some carts go quiet long enough to be abandoned between two edits (or during one).
          await pause(c % 3 === 0 ? ABANDON_AFTER_MS + 50 : Math.random() * 40);
        }
        // Every other cart checks out at the end, while the others are still being edited.
        if (c % 2 === 1) {
          await attempt("checkout", async () => {
            const started = await f.client.startCheckout(
              { idempotencyKey: `co-${c}-end`, cartId },
              storefront,
            );
            orderIds.push(started.orderId);
          });
        }
      }),
    );
    storming = false;
    await Promise.all([worker, ...drivers]);
    if (process.env.ORDER_TEST_DEBUG) console.error(Object.fromEntries(tally), { orders: orderIds.length });
    expect(unexpected).toEqual([]);

    // Settle: every checkout finishes, every superseded or lost hold is released.
    await f.settle(200);
    await pause(350);
    for (let i = 0; i < 5; i++) await f.useCases.carts.abandonIdleCarts(200);

    const holds = await holdsOf(f);
    expect(holds.filter((h) => h.status === "reserving" || h.status === "releasing")).toEqual([]);
    const held = holds.filter((h) => h.status === "held");
    // No leaked hold: the warehouse holds exactly the carts' current holds for carts.
    expect(await activeCartReservations(f)).toEqual(held.map((h) => h.reservation_id).sort());
    const { rows: carts } = await f.orderSchema.pool.query<{
      cart_id: string;
      status: string;
      hold_reservation_id: string | null;
    }>("SELECT cart_id, status, hold_reservation_id FROM carts");
    for (const cart of carts) {
      const current = held.find((h) => h.cart_id === cart.cart_id);
      // Only open carts hold stock; the cart's pointer names its hold.
      if (cart.status !== "open") expect(current, `cart ${cart.cart_id} is ${cart.status}`).toBeUndefined();
      expect(cart.hold_reservation_id).toBe(current?.reservation_id ?? null);
      if (current) {
        const { rows: lines } = await f.orderSchema.pool.query<{ sku: string; quantity: number }>(
          "SELECT sku, quantity FROM cart_lines WHERE cart_id = $1 ORDER BY sku",
          [cart.cart_id],
        );
        expect(
          current.lines
            .map((l) => ({ sku: l.sku, quantity: l.quantity }))
            .sort((a, b) => a.sku.localeCompare(b.sku)),
        ).toEqual(lines);
      }
    }
    // Units: reserved = what the held holds hold; committed = what the confirmed orders bought.
    const { rows: confirmed } = await f.orderSchema.pool.query<{ sku: string; units: number }>(
      `SELECT l.sku, sum(l.ordered)::int AS units FROM order_lines l JOIN orders o USING (order_id)
       WHERE o.status = 'confirmed' GROUP BY l.sku`,
    );
    const { rows: levels } = await sql<{ sku: string; reserved: number; committed: number; on_hand: number }>`
      SELECT sku, reserved::int, committed::int, on_hand::int FROM stock_levels WHERE sku = ANY(${SKUS})`.execute(
      f.warehouse.db,
    );
    for (const sku of SKUS) {
      const level = levels.find((l) => l.sku === sku);
      const heldUnits = held
        .flatMap((h) => h.lines)
        .filter((l) => l.sku === sku)
        .reduce((n, l) => n + l.quantity, 0);
      expect(level?.reserved, `${sku} reserved`).toBe(heldUnits);
      expect(level?.committed, `${sku} committed`).toBe(confirmed.find((r) => r.sku === sku)?.units ?? 0);
      expect(level?.on_hand).toBe(STOCK);
    }
    expect(await releasedTwice(f)).toEqual([]);
    // The race did what it was meant to: edits applied, carts abandoned, checkouts started.
    expect(tally.get("add") ?? 0).toBeGreaterThan(0);
    const { rows: abandoned } = await f.orderSchema.pool.query(
      "SELECT 1 FROM carts WHERE status = 'abandoned'",
    );
    expect(abandoned.length).toBeGreaterThan(0);
    expect(orderIds.length).toBeGreaterThan(0);
  }, 120_000);
});
