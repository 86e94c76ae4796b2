// SIGKILL of the real order process (node src/main.ts, holding stock from add-to-cart) while many carts
// are being changed at once, so commands die between their hold intent, the warehouse's Reserve and the
// cart's transaction; after a restart the abandoned-cart worker of the new process settles what they left:
// the warehouse then holds exactly the carts' current holds (no leaked reservation), their units match,
// and no reservation was released twice.
import { createTokenIssuer } from "@stockroom/auth";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { testKafka, uniqueSuffix } from "@stockroom/testkit";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeCartReservations, holdsOf, releasedTwice } from "./support/cart-hold-checks.ts";
import { createOrderFixture, JWT, type OrderFixture, WEBHOOK_SECRET } from "./support/order-fixture.ts";
import { freePort, type OrderProcess, orderProcess } from "./support/order-process.ts";

let f: OrderFixture;
let proc: OrderProcess;
let client: TypedClient<typeof OrderService>;
let storefront: { metadata: { authorization: string } };
const prefix = `t${uniqueSuffix()}.`;
const SKUS = ["CRASH-H1", "CRASH-H2"];
const CARTS = 16;

beforeAll(async () => {
  f = await createOrderFixture();
  for (const sku of SKUS) await f.stock(sku, 1_000);
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
    ORDER_JWT_SECRET: JWT.secret,
    ORDER_KAFKA_BROKERS: process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092",
    ORDER_OUTBOX_TOPIC_PREFIX: prefix,
    ORDER_TOPIC_PARTITIONS: "1",
    ORDER_STOCK_HOLD_MODE: "from_add_to_cart",
    // The restarted process takes intents of the killed one for lost soon, and looks often.
    ORDER_CART_HOLD_INTENT_TIMEOUT_MS: "1s",
    ORDER_CART_ABANDON_INTERVAL_MS: "200ms",
    ORDER_LOG_LEVEL: "info",
  });
  client = createClient(OrderService, `127.0.0.1:${grpc}`, {
    retry: { maxAttempts: 1 },
    defaultDeadlineMs: 10_000,
  });
  const token = await createTokenIssuer(JWT).issue({ subject: "crash-storefront", roles: ["storefront"] });
  storefront = { metadata: { authorization: `Bearer ${token}` } };
}, 60_000);

afterAll(async () => {
  client?.close();
  await proc?.kill();
  await f?.cleanup();
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

describe("SIGKILL of the order process during cart changes that hold stock", () => {
  it("leaves no hold leaked once the restarted process has settled what the killed one left", async () => {
    await proc.start();
    const cartIds = await Promise.all(
      Array.from({ length: CARTS }, async (_, i) => {
        const { cart } = await client.createCart(
          { idempotencyKey: `kc-${i}`, customerId: `kill-${i}` },
          storefront,
        );
        return cart?.cartId ?? "";
      }),
    );
    // Every cart changes its lines as fast as it can until the process dies under it.
    let dead = false;
    const storm = cartIds.map(async (cartId, c) => {
      for (let e = 0; !dead; e++) {
        const call =
          e % 3 === 2
            ? client.updateCartLine(
                { idempotencyKey: `ku-${c}-${e}`, cartId, lineNumber: 1, quantity: 1 + (e % 4) },
                storefront,
              )
            : client.addCartLine(
                { idempotencyKey: `ka-${c}-${e}`, cartId, sku: SKUS[e % 2] ?? "", quantity: 1 },
                storefront,
              );
        await call.catch(() => undefined);
      }
    });
    await new Promise((r) => setTimeout(r, 1_500));
    await proc.kill();
    dead = true;
    await Promise.all(storm);
    // The kill landed mid-command: intents or superseded holds were left unsettled.
    const left = (await holdsOf(f)).filter((h) => h.status === "reserving" || h.status === "releasing");
    expect(left.length, "the kill landed while commands were in flight").toBeGreaterThan(0);

    await proc.start();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const unsettled = (await holdsOf(f)).filter(
        (h) => h.status === "reserving" || h.status === "releasing",
      );
      if (unsettled.length === 0) break;
      if (Date.now() > deadline) throw new Error(`holds left unsettled: ${JSON.stringify(unsettled)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await proc.kill();

    const held = (await holdsOf(f)).filter((h) => h.status === "held");
    expect(await activeCartReservations(f), "active cart reservations are the held holds").toEqual(
      held.map((h) => h.reservation_id).sort(),
    );
    const { rows: levels } = await sql<{ sku: string; reserved: number }>`
      SELECT sku, reserved::int FROM stock_levels WHERE sku = ANY(${SKUS})`.execute(f.warehouse.db);
    for (const sku of SKUS) {
      const units = held
        .flatMap((h) => h.lines)
        .filter((l) => l.sku === sku)
        .reduce((n, l) => n + l.quantity, 0);
      expect(levels.find((l) => l.sku === sku)?.reserved, sku).toBe(units);
    }
    // Every cart's current hold covers its lines.
    for (const hold of held) {
      const { rows: lines } = await f.orderSchema.pool.query<{ sku: string; quantity: number }>(
        "SELECT sku, sum(quantity)::int AS quantity FROM cart_lines WHERE cart_id = $1 GROUP BY sku ORDER BY sku",
        [hold.cart_id],
      );
      expect(
        hold.lines
          .map((l) => ({ sku: l.sku, quantity: l.quantity }))
          .sort((a, b) => a.sku.localeCompare(b.sku)),
      ).toEqual(lines);
    }
    expect(await releasedTwice(f)).toEqual([]);
  }, 120_000);
});
