// The order migrations apply into a fresh schema, and the database itself keeps the order's invariants:
// one order per checkout and one live order per cart, sane quantities and money, one live payment per
// order, provider events recorded once, saga rows that always say when they are due or why they stopped,
// idempotency keys scoped per principal.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/order", import.meta.url));

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
});

afterAll(async () => {
  await schema?.drop();
});

const q = (text: string, values: unknown[] = []) => schema.pool.query(text, values);

async function insertCart(): Promise<string> {
  const cartId = randomUUID();
  await q("INSERT INTO carts (cart_id, customer_id, currency) VALUES ($1, 'cust-1', 'EUR')", [cartId]);
  return cartId;
}

async function insertOrder(
  cartId: string,
  overrides: { checkoutId?: string; status?: string; confirmedAt?: Date | null } = {},
): Promise<{ orderId: string; checkoutId: string }> {
  const orderId = randomUUID();
  const checkoutId = overrides.checkoutId ?? randomUUID();
  await q(
    `INSERT INTO orders (order_id, checkout_id, cart_id, customer_id, status, currency, subtotal_minor, total_minor,
       shipping_destination, payment_method, confirmed_at)
     VALUES ($1, $2, $3, 'cust-1', $4, 'EUR', 5000, 5000, '{"city": "Berlin"}', 'card', $5)`,
    [orderId, checkoutId, cartId, overrides.status ?? "pending", overrides.confirmedAt ?? null],
  );
  return { orderId, checkoutId };
}

async function insertLine(orderId: string, values: Record<string, number | string> = {}): Promise<void> {
  const row = {
    line_number: 1,
    sku: "SKU-1",
    product_name: "Thing",
    unit_price_minor: 2500,
    currency: "EUR",
    ordered: 2,
    ...values,
  };
  const columns = Object.keys(row);
  await q(
    `INSERT INTO order_lines (order_id, ${columns.join(", ")}) VALUES ($1, ${columns.map((_, i) => `$${i + 2}`).join(", ")})`,
    [orderId, ...Object.values(row)],
  );
}

async function insertPayment(orderId: string, values: Record<string, number | string> = {}): Promise<void> {
  const row = {
    provider: "sandbox",
    authorize_idempotency_key: `${randomUUID()}:checkout.authorize-payment`,
    method: "card",
    currency: "EUR",
    amount_minor: 5000,
    ...values,
  };
  const columns = Object.keys(row);
  await q(
    `INSERT INTO payments (payment_id, order_id, ${columns.join(", ")})
     VALUES ($1, $2, ${columns.map((_, i) => `$${i + 3}`).join(", ")})`,
    [randomUUID(), orderId, ...Object.values(row)],
  );
}

describe("order schema", () => {
  it("applies every migration and creates the tables", async () => {
    const { rows } = await q(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [schema.schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        "cart_lines",
        "carts",
        "checkout_sagas",
        "consumer_aggregate_versions",
        "event_processing_log",
        "idempotency_records",
        "order_line_allocations",
        "order_lines",
        "orders",
        "outbox",
        "payment_events",
        "payments",
        "refunds",
      ]),
    );
  });

  it("refuses a second order for one checkout", async () => {
    const { checkoutId } = await insertOrder(await insertCart());
    await expect(insertOrder(await insertCart(), { checkoutId })).rejects.toMatchObject({
      code: "23505",
      constraint: "orders_one_per_checkout",
    });
  });

  it("refuses a second live order for one cart, but lets a rejected checkout be followed by another", async () => {
    const cartId = await insertCart();
    const first = await insertOrder(cartId);
    await expect(insertOrder(cartId)).rejects.toMatchObject({
      code: "23505",
      constraint: "orders_one_live_per_cart",
    });
    await q("UPDATE orders SET status = 'rejected' WHERE order_id = $1", [first.orderId]);
    await expect(insertOrder(cartId)).resolves.toBeDefined();
  });

  it("refuses a confirmed order without its confirmation time and a cancelled one without who and when", async () => {
    await expect(insertOrder(await insertCart(), { status: "confirmed" })).rejects.toMatchObject({
      code: "23514",
    });
    await expect(
      insertOrder(await insertCart(), { status: "confirmed", confirmedAt: new Date() }),
    ).resolves.toBeDefined();
    const { orderId } = await insertOrder(await insertCart());
    await expect(
      q("UPDATE orders SET status = 'cancelled' WHERE order_id = $1", [orderId]),
    ).rejects.toMatchObject({
      code: "23514",
    });
    await q(
      "UPDATE orders SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'customer' WHERE order_id = $1",
      [orderId],
    );
  });

  it("refuses negative and zero cart quantities, crafted skus and a second line of one sku and warehouse", async () => {
    const cartId = await insertCart();
    const line = (n: number, sku: string, quantity: number, warehouse: string | null = null) =>
      q(
        "INSERT INTO cart_lines (cart_id, line_number, sku, quantity, warehouse_code) VALUES ($1, $2, $3, $4, $5)",
        [cartId, n, sku, quantity, warehouse],
      );
    await line(1, "A-1", 1);
    await expect(line(2, "B-1", 0)).rejects.toMatchObject({ code: "23514" });
    await expect(line(3, "B-1", -2)).rejects.toMatchObject({ code: "23514" });
    await expect(line(4, "B-1", 1001)).rejects.toMatchObject({ code: "23514" });
    await expect(line(5, "bad sku", 1)).rejects.toMatchObject({ code: "23514" });
    await expect(line(6, "A-1", 1)).rejects.toMatchObject({
      code: "23505",
      constraint: "cart_lines_one_per_sku",
    });
    await line(7, "A-1", 1, "W1");
  });

  it("keeps order line quantities sane: no negatives, each unit ends once, no shipping without allocation", async () => {
    const { orderId } = await insertOrder(await insertCart());
    await insertLine(orderId);
    const { rows } = await q("SELECT line_total_minor FROM order_lines WHERE order_id = $1", [orderId]);
    expect(rows[0].line_total_minor).toBe("5000");
    const update = (set: string) => q(`UPDATE order_lines SET ${set} WHERE order_id = $1`, [orderId]);
    await expect(update("short_quantity = -1")).rejects.toMatchObject({ code: "23514" });
    await expect(update("shipped = 1")).rejects.toMatchObject({
      code: "23514",
      constraint: "order_lines_shipped_within_allocated",
    });
    await expect(update("allocated = 2, shipped = 2, delivered = 3")).rejects.toMatchObject({
      constraint: "order_lines_delivered_within_shipped",
    });
    await expect(update("allocated = 2, shipped = 2, delivered = 1, returned = 2")).rejects.toMatchObject({
      constraint: "order_lines_returned_within_delivered",
    });
    await expect(
      update("allocated = 1, shipped = 1, cancelled = 1, short_quantity = 1"),
    ).rejects.toMatchObject({
      code: "23514",
    });
    await expect(update("allocated = 2, cancelled = 1")).rejects.toMatchObject({
      constraint: "order_lines_allocated_within_deliverable",
    });
    await update("allocated = 2, shipped = 1, delivered = 1, returned = 1");
    await expect(insertLine(orderId, { line_number: 2, ordered: 0 })).rejects.toMatchObject({
      code: "23514",
    });
    await expect(insertLine(orderId, { line_number: 3, unit_price_minor: -1 })).rejects.toMatchObject({
      code: "23514",
    });
  });

  it("refuses a line or a payment in another currency than its order", async () => {
    const { orderId } = await insertOrder(await insertCart());
    await expect(insertLine(orderId, { currency: "USD" })).rejects.toMatchObject({ code: "23503" });
    await expect(insertPayment(orderId, { currency: "USD" })).rejects.toMatchObject({ code: "23503" });
  });

  it("keeps payment amounts within each other and one live payment per order", async () => {
    const { orderId } = await insertOrder(await insertCart());
    await expect(insertPayment(orderId, { amount_minor: 0 })).rejects.toMatchObject({ code: "23514" });
    await expect(
      insertPayment(orderId, { authorized_minor: 6000, status: "authorized", provider_payment_id: "pi_1" }),
    ).rejects.toMatchObject({ constraint: "payments_authorized_within_amount" });
    await expect(
      insertPayment(orderId, {
        authorized_minor: 4000,
        captured_minor: 4500,
        status: "captured",
        provider_payment_id: "pi_2",
      }),
    ).rejects.toMatchObject({ constraint: "payments_captured_within_authorized" });
    await expect(
      insertPayment(orderId, {
        authorized_minor: 4000,
        captured_minor: 4000,
        refunded_minor: 4001,
        status: "refunded",
        provider_payment_id: "pi_3",
      }),
    ).rejects.toMatchObject({ code: "23514" });
    await expect(
      insertPayment(orderId, { status: "authorized", authorized_minor: 5000 }),
    ).rejects.toMatchObject({
      code: "23514",
    });
    await insertPayment(orderId, {
      status: "authorized",
      authorized_minor: 5000,
      provider_payment_id: "pi_4",
    });
    await expect(insertPayment(orderId)).rejects.toMatchObject({
      code: "23505",
      constraint: "payments_one_live_per_order",
    });
    await q("UPDATE payments SET status = 'voided' WHERE order_id = $1", [orderId]);
    await insertPayment(orderId);
  });

  it("records a provider event once", async () => {
    const event = (id: string) =>
      q(
        `INSERT INTO payment_events (provider, provider_event_id, provider_event_type, provider_payment_id, payload, occurred_at)
         VALUES ('sandbox', $1, 'payment_intent.succeeded', 'pi_x', '{}', now())`,
        [id],
      );
    await event("evt_1");
    await expect(event("evt_1")).rejects.toMatchObject({ code: "23505", constraint: "payment_events_once" });
  });

  it("keeps saga rows due or finished or explained, one per order", async () => {
    const cartId = await insertCart();
    const { orderId, checkoutId } = await insertOrder(cartId);
    const saga = (values: Record<string, unknown>, id = checkoutId, order = orderId) => {
      const columns = Object.keys(values);
      return q(
        `INSERT INTO checkout_sagas (checkout_id, order_id, cart_id${columns.map((c) => `, ${c}`).join("")})
         VALUES ($1, $2, $3${columns.map((_, i) => `, $${i + 4}`).join("")})`,
        [id, order, cartId, ...Object.values(values)],
      );
    };
    await expect(saga({})).rejects.toMatchObject({ code: "23514" });
    await expect(saga({ status: "needs_attention" })).rejects.toMatchObject({ code: "23514" });
    await expect(saga({ status: "confirmed", next_attempt_at: new Date() })).rejects.toMatchObject({
      code: "23514",
    });
    await expect(saga({ next_attempt_at: new Date(), step: "checkout.ship" })).rejects.toMatchObject({
      code: "23514",
    });
    await expect(saga({ next_attempt_at: new Date(), attempts: -1 })).rejects.toMatchObject({
      code: "23514",
    });
    await saga({ next_attempt_at: new Date() });
    await expect(saga({ next_attempt_at: new Date() }, randomUUID())).rejects.toMatchObject({
      code: "23505",
      constraint: "checkout_sagas_one_per_order",
    });
    await q(
      "UPDATE checkout_sagas SET status = 'needs_attention', attention_reason = 'payment_outcome_unknown', next_attempt_at = NULL WHERE checkout_id = $1",
      [checkoutId],
    );
  });

  it("scopes idempotency keys per principal", async () => {
    const record = (principal: string) =>
      q(
        `INSERT INTO idempotency_records (principal, idempotency_key, operation, fingerprint, expires_at)
         VALUES ($1, 'key-1', 'StartCheckout', 'f', now() + interval '1 day')`,
        [principal],
      );
    await record("storefront:shop-a");
    await record("storefront:shop-b");
    await expect(record("storefront:shop-a")).rejects.toMatchObject({ code: "23505" });
  });
});
