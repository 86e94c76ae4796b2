// The order service's API contract over an in-process server and the generated clients, over both
// transports (the gRPC port, and Connect JSON over HTTP/1.1 on the HTTP port): every RPC's auth policy
// (a role outside it is PERMISSION_DENIED, no token UNAUTHENTICATED), and bad input on every RPC refused
// with INVALID_ARGUMENT naming the field, with nothing changed.
import { isGrpcCallError, status } from "@stockroom/grpc";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import type { AttentionReason, OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { CONTRACT_TRANSPORTS } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_POLICY } from "../src/transport/grpc/order.handler.ts";
import { ORDER_ADMIN_POLICY } from "../src/transport/grpc/order-admin.handler.ts";
import {
  CARDS,
  createOrderFixture,
  DESTINATION,
  type OrderFixture,
  readyCart,
} from "./support/order-fixture.ts";

let f: OrderFixture;
let cartId: string;
const ROLES = ["storefront", "ops", "admin", "service"] as const;
const UUID = "0190f1a2-0000-7000-8000-000000000001";

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    f = await createOrderFixture({ transport });
    await f.stock("API-1", 5);
    cartId = await readyCart(f, [{ sku: "API-1", quantity: 1 }], {
      type: PaymentMethodType.CARD,
      token: CARDS.approve,
    });
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

  async function counts() {
    const { rows } = await f.orderSchema.pool.query(
      "SELECT (SELECT count(*) FROM carts)::int AS carts, (SELECT count(*) FROM cart_lines)::int AS lines, (SELECT count(*) FROM orders)::int AS orders, (SELECT sum(version) FROM carts)::int AS versions",
    );
    return rows[0];
  }

  type AnyClient = Record<string, (request: unknown, options?: unknown) => Promise<unknown>>;

  describe("auth policy", () => {
    for (const [service, policy] of [
      ["OrderService", ORDER_POLICY],
      ["OrderAdminService", ORDER_ADMIN_POLICY],
    ] as const) {
      for (const [method, allowed] of Object.entries(policy)) {
        it(`${service}.${method}: ${(allowed as readonly string[]).join(", ")} only`, async () => {
          const client = (service === "OrderService" ? f.client : f.admin) as unknown as AnyClient;
          const call = client[method];
          if (!call) throw new Error(`no client method ${method}`);
          for (const role of ROLES) {
            if ((allowed as readonly string[]).includes(role)) continue;
            const err = await failure(call({}, f.as(role)));
            expect(err.code, `${method} as ${role}`).toBe(status.PERMISSION_DENIED);
          }
          expect((await failure(call({}))).code).toBe(status.UNAUTHENTICATED);
        });
      }
    }
  });

  describe("bad input names the field and changes nothing", () => {
    const storefront = () => f.as("storefront");
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        "createCart without key",
        () => f.client.createCart({ customerId: "c" }, storefront()),
        "idempotency_key",
      ],
      [
        "createCart without customer",
        () => f.client.createCart({ idempotencyKey: "b1" }, storefront()),
        "customer_id",
      ],
      [
        "createCart bad currency",
        () => f.client.createCart({ idempotencyKey: "b2", customerId: "c", currency: "eur" }, storefront()),
        "currency",
      ],
      ["getCart bad id", () => f.client.getCart({ cartId: "nope" }, storefront()), "cart_id"],
      [
        "addCartLine bad sku",
        () =>
          f.client.addCartLine({ idempotencyKey: "b3", cartId, sku: "bad sku", quantity: 1 }, storefront()),
        "sku",
      ],
      [
        "addCartLine zero quantity",
        () => f.client.addCartLine({ idempotencyKey: "b4", cartId, sku: "API-1", quantity: 0 }, storefront()),
        "quantity",
      ],
      [
        "addCartLine bad warehouse",
        () =>
          f.client.addCartLine(
            { idempotencyKey: "b5", cartId, sku: "API-1", quantity: 1, warehouseCode: "w 1" },
            storefront(),
          ),
        "warehouse_code",
      ],
      [
        "updateCartLine bad line",
        () =>
          f.client.updateCartLine({ idempotencyKey: "b6", cartId, lineNumber: 0, quantity: 1 }, storefront()),
        "line_number",
      ],
      [
        "updateCartLine quantity",
        () =>
          f.client.updateCartLine(
            { idempotencyKey: "b7", cartId, lineNumber: 1, quantity: 1001 },
            storefront(),
          ),
        "quantity",
      ],
      [
        "removeCartLine bad line",
        () => f.client.removeCartLine({ idempotencyKey: "b8", cartId, lineNumber: -1 }, storefront()),
        "line_number",
      ],
      [
        "setShippingDestination country",
        () =>
          f.client.setShippingDestination(
            { idempotencyKey: "b9", cartId, shippingDestination: { ...DESTINATION, countryCode: "germany" } },
            storefront(),
          ),
        "shipping_destination.country_code",
      ],
      [
        "setShippingDestination missing",
        () => f.client.setShippingDestination({ idempotencyKey: "b10", cartId }, storefront()),
        "shipping_destination",
      ],
      [
        "setPaymentMethod card without token",
        () =>
          f.client.setPaymentMethod(
            { idempotencyKey: "b11", cartId, paymentMethod: { type: PaymentMethodType.CARD } },
            storefront(),
          ),
        "payment_method.token",
      ],
      [
        "setPaymentMethod no type",
        () =>
          f.client.setPaymentMethod(
            { idempotencyKey: "b12", cartId, paymentMethod: { token: "x" } },
            storefront(),
          ),
        "payment_method.type",
      ],
      [
        "startCheckout bad cart",
        () => f.client.startCheckout({ idempotencyKey: "b13", cartId: "x" }, storefront()),
        "cart_id",
      ],
      [
        "startCheckout without key",
        () => f.client.startCheckout({ cartId }, storefront()),
        "idempotency_key",
      ],
      [
        "acceptPartialQuantities bad line",
        () =>
          f.client.acceptPartialQuantities(
            { idempotencyKey: "b14", cartId, lines: [{ lineNumber: 0, quantity: 0 }] },
            storefront(),
          ),
        "lines[0].line_number",
      ],
      [
        "acceptPartialQuantities above the line",
        () =>
          f.client.acceptPartialQuantities(
            { idempotencyKey: "b15", cartId, lines: [{ lineNumber: 1, quantity: 5 }] },
            storefront(),
          ),
        "lines[0].quantity",
      ],
      ["getOrder bad id", () => f.client.getOrder({ orderId: "1" }, storefront()), "order_id"],
      ["listOrders without customer", () => f.client.listOrders({}, storefront()), "customer_id"],
      [
        "listOrders page size",
        () => f.client.listOrders({ customerId: "c", pageSize: 101 }, storefront()),
        "page_size",
      ],
      [
        "listOrders page token",
        () => f.client.listOrders({ customerId: "c", pageToken: "garbage" }, storefront()),
        "page_token",
      ],
      [
        "listOrders status",
        () => f.client.listOrders({ customerId: "c", statuses: [99 as OrderStatus] }, storefront()),
        "statuses[0]",
      ],
      [
        "cancelOrder bad id",
        () => f.client.cancelOrder({ idempotencyKey: "b16", orderId: "x" }, storefront()),
        "order_id",
      ],
      [
        "markPaymentReceived no amount",
        () =>
          f.admin.markPaymentReceived(
            { idempotencyKey: "b17", orderId: UUID, paymentReference: "r" },
            f.as("ops"),
          ),
        "amount",
      ],
      [
        "markPaymentReceived bad order",
        () =>
          f.admin.markPaymentReceived(
            {
              idempotencyKey: "b18",
              orderId: "x",
              amount: { amountMinor: 1n, currency: "EUR" },
              paymentReference: "r",
            },
            f.as("ops"),
          ),
        "order_id",
      ],
      [
        "listOrdersNeedingAttention reason",
        () => f.admin.listOrdersNeedingAttention({ reasons: [42 as AttentionReason] }, f.as("ops")),
        "reasons[0]",
      ],
      [
        "refundOrder without reason",
        () => f.admin.refundOrder({ idempotencyKey: "b20", orderId: UUID }, f.as("ops")),
        "reason",
      ],
      [
        "retryCheckout bad id",
        () => f.admin.retryCheckout({ idempotencyKey: "b19", orderId: "x" }, f.as("ops")),
        "order_id",
      ],
      [
        "verifyPurchase without customer",
        () => f.client.verifyPurchase({ sku: "SKU-1" }, f.as("service")),
        "customer_id",
      ],
      [
        "verifyPurchase bad sku",
        () => f.client.verifyPurchase({ customerId: "c", sku: "bad sku" }, f.as("service")),
        "sku",
      ],
      [
        "abandonCheckout without key",
        () => f.admin.abandonCheckout({ orderId: UUID }, f.as("ops")),
        "idempotency_key",
      ],
    ];
    for (const [name, call, field] of cases) {
      it(`${name}: INVALID_ARGUMENT naming ${field}`, async () => {
        const before = await counts();
        const err = await failure(call());
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(err.errorDetail?.field).toBe(field);
        expect(await counts()).toEqual(before);
      });
    }
  });
});
