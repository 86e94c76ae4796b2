// SIGKILL of the real order process (node src/main.ts) while a checkout is at each saga step in turn,
// then a restart on the same schema: every checkout ends confirmed, with exactly one order for its
// checkout, one payment intent at the provider (never a charge without an order, never a second charge),
// and its stock committed once (never an order without its stock, never stock moved twice). The slow
// card keeps the authorize call in flight when the kill lands.
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { level } from "../../warehouse/test/support/warehouse-fixture.ts";
import {
  AUTHORIZE_PAYMENT,
  CONFIRM_RESERVATION,
  RESERVE_STOCK,
  VALIDATE_CART,
} from "../src/domain/checkout-saga.ts";
import {
  CARDS,
  createOrderFixture,
  JWT,
  type OrderFixture,
  readyCart,
  WEBHOOK_SECRET,
} from "./support/order-fixture.ts";
import { freePort, type OrderProcess, orderProcess } from "./support/order-process.ts";

let f: OrderFixture;
let proc: OrderProcess;
const prefix = `t${uniqueSuffix()}.`;

beforeAll(async () => {
  f = await createOrderFixture({ sandboxHangMs: 1_500 });
  const addresses = f.addresses();
  const [grpc, http, metrics, webhook] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  proc = orderProcess({
    ORDER_DATABASE_URL: f.orderSchema.connectionString,
    ORDER_DB_SCHEMA: f.orderSchema.schema,
    ORDER_GRPC_PORT: String(grpc),
    ORDER_HTTP_PORT: String(http),
    ORDER_METRICS_PORT: String(metrics),
    ORDER_WEBHOOK_PORT: String(webhook),
    ORDER_WAREHOUSE_GRPC_ADDRESS: addresses.warehouse,
    ORDER_CATALOG_GRPC_ADDRESS: addresses.catalog,
    ORDER_PAYMENT_SANDBOX_URL: f.sandbox.baseUrl,
    ORDER_PAYMENT_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ORDER_PAYMENT_TIMEOUT_MS: "10000",
    ORDER_JWT_SECRET: JWT.secret,
    ORDER_KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092",
    ORDER_OUTBOX_TOPIC_PREFIX: prefix,
    ORDER_TOPIC_PARTITIONS: "1",
    // A killed worker's lease lapses quickly, so the restarted one retakes the step.
    ORDER_SAGA_STEP_LEASE_MS: "2000",
    ORDER_SAGA_INTERVAL_MS: "50",
    ORDER_LOG_LEVEL: "info",
  });
}, 60_000);

afterAll(async () => {
  await proc?.kill();
  await f?.cleanup();
  // The relay's topics (under this test's prefix) go with the test; bounded, it is only tidying.
  const { kafka } = testKafka();
  const admin = kafka.admin();
  const tidy = (async () => {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 5_000 });
  })();
  await Promise.race([tidy.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
  await admin.disconnect().catch(() => undefined);
}, 60_000);

async function sagaOf(orderId: string) {
  const { rows } = await f.orderSchema.pool.query(
    "SELECT status, step FROM checkout_sagas WHERE order_id = $1",
    [orderId],
  );
  return rows[0] as { status: string; step: string };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${proc.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("SIGKILL of the order process at each saga step", () => {
  for (const step of [VALIDATE_CART, RESERVE_STOCK, AUTHORIZE_PAYMENT, CONFIRM_RESERVATION]) {
    it(`killed while at ${step}: after a restart the checkout ends confirmed, once`, async () => {
      const sku = `KILL-${step.split(".")[1]}`;
      await f.stock(sku, 3);
      const cartId = await readyCart(f, [{ sku, quantity: 2 }], {
        type: PaymentMethodType.CARD,
        token: CARDS.timeoutThenApprove,
      });
      await proc.start();
      const { orderId } = await f.client.startCheckout(
        { idempotencyKey: `s-${cartId}`, cartId },
        f.as("storefront"),
      );
      await until(`step ${step}`, async () => {
        const saga = await sagaOf(orderId);
        return saga.step === step || saga.status !== "running" ? saga : undefined;
      });
      await proc.kill();
      await proc.start();
      const final = await until("the checkout to finish", async () => {
        const saga = await sagaOf(orderId);
        return saga.status === "running" || saga.status === "awaiting_payment" ? undefined : saga;
      });
      await proc.kill();
      expect(final.status).toBe("confirmed");
      const { rows: orders } = await f.orderSchema.pool.query(
        "SELECT order_id, status FROM orders WHERE cart_id = $1",
        [cartId],
      );
      expect(orders).toEqual([{ order_id: orderId, status: "confirmed" }]);
      const { rows: payments } = await f.orderSchema.pool.query(
        "SELECT status FROM payments WHERE order_id = $1",
        [orderId],
      );
      expect(payments).toEqual([{ status: "authorized" }]);
      const { rows: intents } = await f.sandboxSchema.pool.query(
        "SELECT status FROM payment_intents WHERE reference = $1",
        [orderId],
      );
      expect(intents).toEqual([{ status: "requires_capture" }]);
      expect(await level(f.warehouse.db, "W1", sku)).toMatchObject({ on_hand: 3, committed: 2, reserved: 0 });
      const { rows: events } = await f.orderSchema.pool.query(
        "SELECT event_type FROM outbox WHERE aggregate_id = $1",
        [orderId],
      );
      expect(events).toEqual([{ event_type: "OrderConfirmed" }]);
    }, 90_000);
  }
});
