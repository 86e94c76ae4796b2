// Short stock at checkout (ORD-P1-03), with the real warehouse, catalog and sandbox and the saga worker
// running, over both transports: StartCheckout is refused with FAILED_PRECONDITION (INSUFFICIENT_STOCK)
// carrying a CheckoutShortfall per short cart line (requested, available) in the error detail, holds
// nothing, leaves the cart open, and answers a retry of the same key the same way; the customer accepts
// the quantities from the detail (AcceptPartialQuantities) and the checkout under a new key confirms.
import { createRegistry } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { type GrpcCallError, isGrpcCallError, status } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { ErrorReason } from "@stockroom/proto/stockroom/common/v1/error_pb.js";
import { CartStatus, PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import {
  type CheckoutShortfall,
  CheckoutShortfallSchema,
  OrderStatus,
} from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { CONTRACT_TRANSPORTS } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { level } from "../../warehouse/test/support/warehouse-fixture.ts";
import { createCheckoutSagaWorker } from "../src/workers/checkout-saga.worker.ts";
import { CARDS, createOrderFixture, type OrderFixture, readyCart } from "./support/order-fixture.ts";

const CARD = { type: PaymentMethodType.CARD, token: CARDS.approve };

async function refusal(call: Promise<unknown>): Promise<GrpcCallError> {
  try {
    await call;
  } catch (err) {
    if (isGrpcCallError(err)) return err;
    throw err;
  }
  throw new Error("expected StartCheckout to be refused");
}

function shortfallOf(err: GrpcCallError): CheckoutShortfall | undefined {
  const packed = err.errorDetail?.details[0];
  return packed
    ? (anyUnpack(packed, createRegistry(CheckoutShortfallSchema)) as CheckoutShortfall)
    : undefined;
}

describe.each(CONTRACT_TRANSPORTS)("checkout shortfall over $name", (transport) => {
  let f: OrderFixture;
  let worker: ReturnType<typeof createCheckoutSagaWorker>;
  const sku = (name: string) => `${name}-${transport.kind === "grpc" ? "G" : "C"}`;

  beforeAll(async () => {
    f = await createOrderFixture({ transport, settings: { checkoutStockAnswerWaitMs: 10_000 } });
    worker = createCheckoutSagaWorker({
      driveDueCheckouts: f.useCases.saga.driveDueCheckouts,
      batchSize: 16,
      intervalMs: 50,
      logger: createLogger({ service: "order-shortfall-test", level: "silent" }),
    });
    worker.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await f?.cleanup();
  });

  it("refuses with the available quantity per short line, then checks out the accepted quantities", async () => {
    const plenty = sku("SF-PLENTY");
    const scarce = sku("SF-SCARCE");
    await f.stock(plenty, 5);
    await f.stock(scarce, 1);
    const cartId = await readyCart(
      f,
      [
        { sku: plenty, quantity: 3 },
        { sku: scarce, quantity: 2 },
      ],
      CARD,
    );
    const storefront = f.as("storefront");

    const err = await refusal(f.client.startCheckout({ idempotencyKey: "short-1", cartId }, storefront));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe(ErrorReason.INSUFFICIENT_STOCK);
    const shortfall = shortfallOf(err);
    expect(shortfall).toMatchObject({
      cartId,
      lines: [{ lineNumber: 2, sku: scarce, requested: 2, available: 1n }],
    });
    expect(shortfall?.orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.errorDetail?.metadata).toMatchObject({ line_2_requested: "2", line_2_available: "1" });

    // Nothing held, the cart open again, the order rejected with its shortfall.
    expect(await level(f.warehouse.db, "W1", scarce)).toMatchObject({ reserved: 0, committed: 0 });
    expect(await level(f.warehouse.db, "W1", plenty)).toMatchObject({ reserved: 0, committed: 0 });
    const { cart } = await f.client.getCart({ cartId }, storefront);
    expect(cart?.status).toBe(CartStatus.OPEN);
    const { order } = await f.client.getOrder({ orderId: shortfall?.orderId ?? "" }, storefront);
    expect(order?.status).toBe(OrderStatus.REJECTED);
    expect(order?.shortfall).toMatchObject([{ lineNumber: 2, requested: 2, available: 1n }]);

    // The same key: the same refusal, for the same order; no second order.
    const again = await refusal(f.client.startCheckout({ idempotencyKey: "short-1", cartId }, storefront));
    expect(again.code).toBe(status.FAILED_PRECONDITION);
    expect(shortfallOf(again)?.orderId).toBe(shortfall?.orderId);

    // The customer takes what is there, from the detail, and checks out again.
    const accepted = await f.client.acceptPartialQuantities(
      {
        idempotencyKey: "accept-1",
        cartId,
        lines: (shortfall?.lines ?? []).map((l) => ({
          lineNumber: l.lineNumber,
          quantity: Number(l.available),
        })),
      },
      storefront,
    );
    expect(accepted.cart?.lines.map((l) => [l.sku, l.quantity])).toEqual([
      [plenty, 3],
      [scarce, 1],
    ]);
    const started = await f.client.startCheckout({ idempotencyKey: "short-2", cartId }, storefront);
    expect(started.orderId).not.toBe(shortfall?.orderId);
    for (let i = 0; i < 200; i++) {
      const { order: now } = await f.client.getOrder({ orderId: started.orderId }, storefront);
      if (now?.status === OrderStatus.CONFIRMED) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { order: confirmed } = await f.client.getOrder({ orderId: started.orderId }, storefront);
    expect(confirmed?.status).toBe(OrderStatus.CONFIRMED);
    expect(await level(f.warehouse.db, "W1", scarce)).toMatchObject({ reserved: 0, committed: 1 });
    expect(await level(f.warehouse.db, "W1", plenty)).toMatchObject({ reserved: 0, committed: 3 });
  });

  it("a line with nothing left is dropped by accepting 0; a cart with enough answers with the order at once", async () => {
    const gone = sku("SF-GONE");
    const some = sku("SF-SOME");
    await f.stock(gone, 0);
    await f.stock(some, 4);
    const cartId = await readyCart(
      f,
      [
        { sku: gone, quantity: 1 },
        { sku: some, quantity: 2 },
      ],
      CARD,
    );
    const storefront = f.as("storefront");
    const err = await refusal(f.client.startCheckout({ idempotencyKey: "gone-1", cartId }, storefront));
    const lines = shortfallOf(err)?.lines ?? [];
    expect(lines).toMatchObject([{ lineNumber: 1, sku: gone, requested: 1, available: 0n }]);
    const { cart } = await f.client.acceptPartialQuantities(
      {
        idempotencyKey: "gone-accept",
        cartId,
        lines: lines.map((l) => ({ lineNumber: l.lineNumber, quantity: 0 })),
      },
      storefront,
    );
    expect(cart?.lines.map((l) => l.sku)).toEqual([some]);
    const started = await f.client.startCheckout({ idempotencyKey: "gone-2", cartId }, storefront);
    // Answered once the stock was reserved: the order is on its way, not refused.
    expect([OrderStatus.PENDING, OrderStatus.CONFIRMED]).toContain(started.status);
  });
});
