// `stockroom orders …` as a child process against the real order service, warehouse and catalog (each
// its own process): bank transfer checkouts paid (`orders mark-paid`) while the warehouse is down reach
// needs_attention and are listed; with the warehouse back one is retried (confirmed, then refunded in
// parts) and the other abandoned (its stock released); bad arguments, unknown orders, refusals and the wrong role each
// get their exit code and a message that names the problem.
import { randomUUID } from "node:crypto";
import { createClient } from "@stockroom/grpc";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderServices, startOrderServices } from "./support/order-services.ts";
import { runCli } from "./support/run-cli.ts";

const SKU = "CLI-ORD-1";
const WAREHOUSE = "CLI-ORD";

let services: OrderServices;
let env: NodeJS.ProcessEnv;
let storefrontToken: string;
const key = () => `k-${randomUUID()}`;

async function stockLevel(): Promise<{ onHand: number; reserved: number; committed: number }> {
  const { rows } = await services.warehouse.schema.pool.query(
    "SELECT on_hand::int, reserved::int, committed::int FROM stock_levels WHERE warehouse_code = $1 AND sku = $2",
    [WAREHOUSE, SKU],
  );
  const row = rows[0] ?? { on_hand: 0, reserved: 0, committed: 0 };
  return { onHand: row.on_hand, reserved: row.reserved, committed: row.committed };
}

// A cart of `quantity` units paid by bank transfer, ready to check out.
async function readyCart(quantity: number): Promise<string> {
  const shop = createClient(OrderService, services.orderAddress, { token: storefrontToken });
  try {
    const { cart } = await shop.createCart({ idempotencyKey: key(), customerId: `cust-${randomUUID()}` });
    const cartId = cart?.cartId ?? "";
    await shop.addCartLine({ idempotencyKey: key(), cartId, sku: SKU, quantity });
    await shop.setShippingDestination({
      idempotencyKey: key(),
      cartId,
      shippingDestination: {
        recipientName: "Ada",
        line1: "1 Main St",
        postalCode: "10115",
        city: "Berlin",
        countryCode: "DE",
      },
    });
    await shop.setPaymentMethod({
      idempotencyKey: key(),
      cartId,
      paymentMethod: { type: PaymentMethodType.BANK_TRANSFER, token: "" },
    });
    return cartId;
  } finally {
    shop.close();
  }
}

async function startCheckout(cartId: string): Promise<string> {
  const shop = createClient(OrderService, services.orderAddress, { token: storefrontToken });
  try {
    return (await shop.startCheckout({ idempotencyKey: key(), cartId })).orderId;
  } finally {
    shop.close();
  }
}

// The parts of `orders get --json`'s order the tests read.
interface OrderJson {
  status?: string;
  paymentStatus?: string;
  checkout?: { status?: string };
}

// `orders get --json` until `done` holds for the order (the saga runs in the order process). After the
// warehouse restart the order's channel to it reconnects with backoff and the saga retries its step with
// backoff, so a retried checkout can take tens of seconds to confirm.
async function orderUntil(
  orderId: string,
  done: (order: OrderJson) => boolean,
  what: string,
): Promise<OrderJson> {
  const deadline = Date.now() + 75_000;
  for (;;) {
    const got = await runCli(["--json", "orders", "get", orderId], env);
    expect(got.code, got.stderr).toBe(0);
    const { order } = JSON.parse(got.stdout);
    if (done(order)) return order;
    if (Date.now() > deadline) throw new Error(`order ${orderId} never ${what}: ${got.stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  services = await startOrderServices();
  const admin = await services.warehouse.token("admin");
  storefrontToken = await services.warehouse.token("storefront");
  env = {
    STOCKROOM_TOKEN: await services.warehouse.token("ops"),
    STOCKROOM_ORDER_ADDRESS: services.orderAddress,
  };
  const warehouseAdmin = createClient(WarehouseAdminService, services.warehouse.address, { token: admin });
  const catalogAdmin = createClient(CatalogAdminService, services.catalogAddress, { token: admin });
  try {
    await warehouseAdmin.createWarehouse({
      idempotencyKey: key(),
      warehouse: { code: WAREHOUSE, name: "CLI orders", capacityUnits: 1_000n },
    });
    await warehouseAdmin.receiveStock({
      idempotencyKey: key(),
      warehouseCode: WAREHOUSE,
      reference: { type: "purchase_order", id: "PO-CLI-ORD" },
      lines: [{ sku: SKU, quantity: 10 }],
    });
    await catalogAdmin.createProduct({
      idempotencyKey: key(),
      sku: SKU,
      name: "CLI order product",
      price: { amountMinor: 1_000n, currency: "EUR" },
      status: ProductStatus.ACTIVE,
    });
  } finally {
    warehouseAdmin.close();
    catalogAdmin.close();
  }
}, 120_000);

afterAll(async () => {
  await services?.stop();
}, 60_000);

describe("stockroom orders", () => {
  let retried = "";
  let abandoned = "";

  it("lists checkouts stuck while the warehouse was down, with their reason", async () => {
    const empty = await runCli(["orders", "attention"], env);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toContain("no orders need attention");

    // Two bank transfer checkouts hold their stock and wait for the money.
    retried = await startCheckout(await readyCart(2));
    abandoned = await startCheckout(await readyCart(3));
    for (const orderId of [retried, abandoned]) {
      await orderUntil(orderId, (o) => o.status === "ORDER_STATUS_AWAITING_PAYMENT", "awaited payment");
    }
    expect(await stockLevel()).toMatchObject({ onHand: 10, reserved: 5, committed: 0 });
    // The amount must be the order's total: 2 x 10.00 EUR.
    const wrong = await runCli(
      ["orders", "mark-paid", retried, "--amount", "5.00", "--reference", "BT-1"],
      env,
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/amount/);

    // The money arrives while the warehouse is down: the stock cannot be confirmed, and once the
    // attempts are spent the paid checkouts wait for ops.
    await services.crashWarehouse();
    for (const [orderId, amount] of [
      [retried, "20.00"],
      [abandoned, "30.00"],
    ] as const) {
      const paid = await runCli(
        ["orders", "mark-paid", orderId, "--amount", amount, "--reference", `BT-${orderId}`],
        env,
      );
      expect(paid.code, paid.stderr).toBe(0);
    }
    for (const orderId of [retried, abandoned]) {
      await orderUntil(
        orderId,
        (o) => o.checkout?.status === "CHECKOUT_STATUS_NEEDS_ATTENTION",
        "needed attention",
      );
    }

    const listed = await runCli(["orders", "attention"], env);
    expect(listed.code, listed.stderr).toBe(0);
    for (const orderId of [retried, abandoned]) expect(listed.stdout).toContain(orderId);
    expect(listed.stdout).toContain("dependency_unavailable");

    const json = await runCli(["--json", "orders", "attention", "--reason", "dependency_unavailable"], env);
    expect(json.code, json.stderr).toBe(0);
    const ids = JSON.parse(json.stdout).orders.map((o: { orderId: string }) => o.orderId);
    expect(ids.sort()).toEqual([retried, abandoned].sort());
    const none = await runCli(["--json", "orders", "attention", "--reason", "payment_outcome_unknown"], env);
    expect(JSON.parse(none.stdout).orders).toEqual([]);
  }, 120_000);

  it("retries one with the warehouse back: its stock is committed and the order confirmed", async () => {
    await services.restartWarehouse();
    const retry = await runCli(["orders", "retry", retried, "--note", "warehouse back"], env);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain(retried);
    const confirmed = await orderUntil(
      retried,
      (o) => o.status === "ORDER_STATUS_CONFIRMED",
      "was confirmed",
    );
    expect(confirmed.paymentStatus).toBe("PAYMENT_STATUS_CAPTURED");
    expect(await stockLevel()).toMatchObject({ onHand: 10, reserved: 3, committed: 2 });
    // Nothing is stuck but the other one.
    const listed = await runCli(["--json", "orders", "attention"], env);
    expect(JSON.parse(listed.stdout).orders.map((o: { orderId: string }) => o.orderId)).toEqual([abandoned]);
    const human = await runCli(["orders", "get", retried], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/status\s*│\s*confirmed/);
    expect(human.stdout).toContain("20.00 EUR");
  }, 120_000);

  it("abandons the other: cancelled, its checkout abandoned, no stock held for it", async () => {
    const abandon = await runCli(["orders", "abandon", abandoned, "--reason", "customer unreachable"], env);
    expect(abandon.code, abandon.stderr).toBe(0);
    const order = await orderUntil(abandoned, (o) => o.status === "ORDER_STATUS_CANCELLED", "was cancelled");
    expect(order.checkout?.status).toBe("CHECKOUT_STATUS_ABANDONED");
    // Its reservation released: only the confirmed order's units are held.
    expect(await stockLevel()).toMatchObject({ onHand: 10, reserved: 0, committed: 2 });
    const listed = await runCli(["orders", "attention"], env);
    expect(listed.stdout).toContain("no orders need attention");
  }, 60_000);

  it("refunds part, then the rest; a third refund is refused with exit code 6", async () => {
    const part = await runCli(["orders", "refund", retried, "--amount", "5.00", "--reason", "goodwill"], env);
    expect(part.code, part.stderr).toBe(0);
    expect(part.stdout).toContain("refunded 5.00 EUR");
    // The same key again: the first refund's answer, not a second refund.
    const once = [
      "orders",
      "refund",
      retried,
      "--amount",
      "1.00",
      "--reason",
      "goodwill",
      "--idempotency-key",
      "r-1",
    ];
    expect((await runCli(once, env)).code).toBe(0);
    expect((await runCli(once, env)).code).toBe(0);
    const rest = await runCli(["--json", "orders", "refund", retried, "--reason", "customer_request"], env);
    expect(rest.code, rest.stderr).toBe(0);
    const summary = JSON.parse(rest.stdout);
    expect(summary.refund.amountMinor).toBe("1400");
    expect(summary.order.payment.refunded.amountMinor).toBe("2000");
    expect(summary.order.paymentStatus).toBe("PAYMENT_STATUS_REFUNDED");

    const more = await runCli(["orders", "refund", retried, "--amount", "0.01", "--reason", "other"], env);
    expect(more.code).toBe(6);
    expect(more.stderr).toMatch(/^stockroom: /);
  }, 60_000);

  it("explains bad arguments, unknown orders and the wrong role", async () => {
    const badId = await runCli(["orders", "get", "not-a-uuid"], env);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain("order_id");
    const unknown = await runCli(["orders", "get", randomUUID()], env);
    expect(unknown.code).toBe(5);
    const badReason = await runCli(["orders", "refund", retried, "--reason", "because"], env);
    expect(badReason.code).toBe(2);
    expect(badReason.stderr).toContain('"because" is not one of customer_request');
    const cents = await runCli(["orders", "refund", retried, "--amount", "1.005", "--reason", "other"], env);
    expect(cents.code).toBe(2);
    expect(cents.stderr).toContain("EUR has 2 decimal places");
    const noReason = await runCli(["orders", "abandon", retried], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--reason");
    const shop = await runCli(["orders", "attention"], { ...env, STOCKROOM_TOKEN: storefrontToken });
    expect(shop.code).toBe(4);
  }, 60_000);
});
