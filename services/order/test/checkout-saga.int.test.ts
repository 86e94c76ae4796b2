// The checkout end to end with the real warehouse and catalog (in-process gRPC servers, reached over the
// network through the order service's clients) and the sandbox gateway as its own process: carts refuse
// unknown skus, archived products and unknown warehouses; a checkout confirms with its stock committed
// and OrderConfirmed in the outbox; short stock rejects with per-line availability and the cart can be
// checked out again at the accepted quantities; a decline releases the stock; a retried StartCheckout
// answers the same order.
import { isGrpcCallError, status } from "@stockroom/grpc";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
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

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    if (isGrpcCallError(err)) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

describe("carts ask the catalog and the warehouse (ORD-P0-02)", () => {
  it("refuses an unknown sku, an archived product and an unknown warehouse, naming them", async () => {
    await f.stock("CART-1", 5);
    await f.stock("CART-OLD", 5, "W1", 1_000n, "archived");
    const storefront = f.as("storefront");
    const { cart } = await f.client.createCart({ idempotencyKey: "c-1", customerId: "cust-1" }, storefront);
    const cartId = cart?.cartId ?? "";

    const unknown = await failure(
      f.client.addCartLine({ idempotencyKey: "a-1", cartId, sku: "NOPE-1", quantity: 1 }, storefront),
    );
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.details).toContain("NOPE-1");

    const archived = await failure(
      f.client.addCartLine({ idempotencyKey: "a-4", cartId, sku: "CART-OLD", quantity: 1 }, storefront),
    );
    expect(archived.code).toBe(status.FAILED_PRECONDITION);
    expect(archived.details).toContain("CART-OLD");

    const noWarehouse = await failure(
      f.client.addCartLine(
        { idempotencyKey: "a-2", cartId, sku: "CART-1", quantity: 1, warehouseCode: "NOWHERE" },
        storefront,
      ),
    );
    expect(noWarehouse.code).toBe(status.NOT_FOUND);
    expect(noWarehouse.details).toContain("NOWHERE");

    const { cart: withLine } = await f.client.addCartLine(
      { idempotencyKey: "a-3", cartId, sku: "CART-1", quantity: 2, warehouseCode: "W1" },
      storefront,
    );
    expect(withLine?.lines).toHaveLength(1);
    expect(withLine?.lines[0]).toMatchObject({ sku: "CART-1", quantity: 2, productName: "Product CART-1" });
    expect(withLine?.lines[0]?.unitPrice?.amountMinor).toBe(1_000n);
    expect(withLine?.subtotal?.amountMinor).toBe(2_000n);
    expect(withLine?.lines[0]?.availability?.known).toBe(true);
    expect(withLine?.lines[0]?.availability?.stale).toBe(false);
  });
});

describe("checkout saga", () => {
  it("confirms an order: stock committed in the warehouse, payment authorized, OrderConfirmed in the outbox", async () => {
    await f.stock("CO-1", 10);
    const cartId = await readyCart(f, [{ sku: "CO-1", quantity: 3 }], CARD(CARDS.approve));
    const started = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    expect(started.status).toBe(OrderStatus.PENDING);
    const again = await f.client.startCheckout({ idempotencyKey: `s-${cartId}`, cartId }, f.as("storefront"));
    expect(again.orderId).toBe(started.orderId);

    const settled = await settleOrder(f, started.orderId);
    expect(settled.order.status).toBe("confirmed");
    expect(settled.order.paymentStatus).toBe("authorized");
    expect(settled.order.totalMinor).toBe(3_000);
    expect(settled.order.lines[0]).toMatchObject({ sku: "CO-1", ordered: 3, allocated: 3 });
    const stock = await level(f.warehouse.db, "W1", "CO-1");
    expect(stock).toMatchObject({ reserved: 0, committed: 3 });
    const { rows } = await f.orderSchema.pool.query("SELECT event_type FROM outbox WHERE aggregate_id = $1", [
      started.orderId,
    ]);
    expect(rows.map((r) => r.event_type)).toEqual(["OrderConfirmed"]);
    const { order } = await f.client.getOrder({ orderId: started.orderId }, f.as("storefront"));
    expect(order?.status).toBe(OrderStatus.CONFIRMED);
    expect(order?.payment?.providerPaymentId).not.toBe("");
    const { cart } = await f.client.getCart({ cartId }, f.as("storefront"));
    expect(cart?.latestOrderId).toBe(started.orderId);
  });

  it("refuses short stock with per-line availability; the cart checks out again at the accepted quantity", async () => {
    await f.stock("SH-1", 2);
    const cartId = await readyCart(f, [{ sku: "SH-1", quantity: 5 }], CARD(CARDS.approve));
    const started = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    const rejected = await settleOrder(f, started.orderId);
    expect(rejected.order.status).toBe("rejected");
    expect(rejected.order.shortfall).toEqual([
      { lineNumber: 1, sku: "SH-1", warehouseCode: "W1", requested: 5, available: 2 },
    ]);
    const { order } = await f.client.getOrder({ orderId: started.orderId }, f.as("storefront"));
    expect(order?.shortfall[0]).toMatchObject({ sku: "SH-1", requested: 5, available: 2n });
    expect(await level(f.warehouse.db, "W1", "SH-1")).toMatchObject({ reserved: 0, committed: 0 });

    await f.client.acceptPartialQuantities(
      { idempotencyKey: `p-${cartId}`, cartId, lines: [{ lineNumber: 1, quantity: 2 }] },
      f.as("storefront"),
    );
    const second = await f.client.startCheckout(
      { idempotencyKey: `s2-${cartId}`, cartId },
      f.as("storefront"),
    );
    expect(second.orderId).not.toBe(started.orderId);
    const confirmed = await settleOrder(f, second.orderId);
    expect(confirmed.order.status).toBe("confirmed");
    expect(await level(f.warehouse.db, "W1", "SH-1")).toMatchObject({ reserved: 0, committed: 2 });
  });

  it("a declined card releases the stock and rejects the order; nothing is charged", async () => {
    await f.stock("DC-1", 4);
    const cartId = await readyCart(f, [{ sku: "DC-1", quantity: 1 }], CARD(CARDS.decline));
    const started = await f.client.startCheckout(
      { idempotencyKey: `s-${cartId}`, cartId },
      f.as("storefront"),
    );
    const settled = await settleOrder(f, started.orderId);
    expect(settled.order.status).toBe("rejected");
    expect(settled.order.paymentStatus).toBe("declined");
    expect(await level(f.warehouse.db, "W1", "DC-1")).toMatchObject({ reserved: 0, committed: 0 });
    const { cart } = await f.client.getCart({ cartId }, f.as("storefront"));
    expect(cart?.status).toBe(1);
  });
});
