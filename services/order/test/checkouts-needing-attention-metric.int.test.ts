// The CheckoutsStuck alert's series: order_checkouts_needing_attention is the number of checkouts in
// needs_attention now, per reason, counted from a migrated order schema at every scrape (every known
// reason present at 0), and it falls back once ops moved them on, which a counter cannot do.
import { createDb } from "@stockroom/db";
import { createMetricsRegistry } from "@stockroom/metrics";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countCheckoutsNeedingAttentionUseCase } from "../src/app/checkout-health.ts";
import type { UseCaseDeps } from "../src/app/use-case-deps.ts";
import { insertCart } from "../src/data/cart.repo.ts";
import type { OrderDatabase } from "../src/data/database.ts";
import { insertPendingOrder } from "../src/data/order.repo.ts";
import { insertSaga } from "../src/data/saga.repo.ts";
import { ATTENTION_REASONS } from "../src/domain/checkout-saga.ts";
import { registerCheckoutsNeedingAttention } from "../src/order-metrics.ts";
import { ORDER_MIGRATIONS } from "./support/order-fixture.ts";

let schema: TestSchema;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: ORDER_MIGRATIONS });
}, 60_000);

afterAll(async () => {
  await schema?.drop();
});

async function checkoutNeedingAttention(reason: string): Promise<string> {
  const db = createDb<OrderDatabase>(schema.pool);
  const cartId = uuidv7();
  const orderId = uuidv7();
  const checkoutId = uuidv7();
  await insertCart(db, { cartId, customerId: "c-1", currency: "EUR", stockHoldMode: "at_checkout" });
  await insertPendingOrder(db, {
    orderId,
    checkoutId,
    cartId,
    customerId: "c-1",
    currency: "EUR",
    shippingDestination: {},
    paymentMethod: "card",
  });
  await insertSaga(db, { checkoutId, orderId, cartId, nextAttemptAt: new Date() });
  await schema.pool.query(
    "UPDATE checkout_sagas SET status = 'needs_attention', attention_reason = $2, next_attempt_at = NULL WHERE checkout_id = $1",
    [checkoutId, reason],
  );
  return checkoutId;
}

async function scrape(registry: ReturnType<typeof createMetricsRegistry>): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric("order_checkouts_needing_attention")?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.reason), v.value]));
}

describe("order_checkouts_needing_attention", () => {
  it("is the current count per reason, from the database, and falls back when they are moved on", async () => {
    const db = createDb<OrderDatabase>(schema.pool);
    const registry = createMetricsRegistry({ service: "order-attention-test", collectDefaults: false });
    registerCheckoutsNeedingAttention(
      registry,
      countCheckoutsNeedingAttentionUseCase({ db } as unknown as UseCaseDeps),
    );
    const zero = Object.fromEntries(ATTENTION_REASONS.map((r) => [r, 0]));
    expect(await scrape(registry)).toEqual(zero);

    const unknown1 = await checkoutNeedingAttention("payment_outcome_unknown");
    await checkoutNeedingAttention("payment_outcome_unknown");
    await checkoutNeedingAttention("compensation_failed");
    expect(await scrape(registry)).toEqual({ ...zero, payment_outcome_unknown: 2, compensation_failed: 1 });
    expect(await registry.metrics()).toContain(
      'order_checkouts_needing_attention{reason="payment_outcome_unknown",app="order-attention-test"} 2',
    );

    // Ops retried one: it is running again, and the gauge says so at the next scrape.
    await schema.pool.query(
      "UPDATE checkout_sagas SET status = 'running', attention_reason = NULL, next_attempt_at = now() WHERE checkout_id = $1",
      [unknown1],
    );
    expect(await scrape(registry)).toEqual({ ...zero, payment_outcome_unknown: 1, compensation_failed: 1 });
  });
});
