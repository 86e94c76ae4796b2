// The storefront's order from cart to delivered to returned and restocked, through the whole suite run as
// real processes (warehouse, catalog, payment sandbox, order, fulfillment, review) on throwaway schemas,
// free ports and one topic prefix: every step checked in each service's own view, polled, since the
// services hear of each other through Kafka.
import { randomUUID } from "node:crypto";
import { createClient, type TypedClient } from "@stockroom/grpc";
import { ORDER_TOPIC } from "@stockroom/messaging";
import { type SandboxProcess, startSandboxProcess } from "@stockroom/payment-sandbox/sandbox-process";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CatalogService } from "@stockroom/proto/stockroom/catalog/v1/catalog_service_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import { ReturnCondition } from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import {
  FulfillmentOrderStatus,
  PickLineStatus,
  QcOutcome,
  QcTrigger,
  ReturnReason,
  ReturnStatus,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import { PaymentMethodType } from "@stockroom/proto/stockroom/order/v1/cart_pb.js";
import {
  FulfillmentStatus,
  type Order,
  OrderStatus,
  PaymentStatus,
} from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { OrderService } from "@stockroom/proto/stockroom/order/v1/order_service_pb.js";
import { ReviewAdminService } from "@stockroom/proto/stockroom/review/v1/review_admin_service_pb.js";
import { ReviewService } from "@stockroom/proto/stockroom/review/v1/review_service_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { createTestSchema, type TestSchema, testKafka, uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARDS, DESTINATION } from "./support/order-fixture.ts";
import {
  eventTypesOf,
  freePort,
  type SuiteProcess,
  startSuiteProcess,
  suiteCaller,
} from "./support/suite-processes.ts";

const suffix = uniqueSuffix();
const prefix = `e2e${suffix}.`;
const WH = "E2E-WH";
const SKU = `E2E-${suffix.slice(-6)}`;
const CUSTOMER = `cust-e2e-${suffix.slice(-6)}`;
const UNIT_PRICE = 1_200n;
const UNIT_GRAMS = 300;
const WEBHOOK_SECRET = "whsec_e2e_suite_0123456789";

const schemas: TestSchema[] = [];
const processes: SuiteProcess[] = [];
let sandbox: SandboxProcess | undefined;
let clients: {
  warehouse: TypedClient<typeof WarehouseService>;
  warehouseAdmin: TypedClient<typeof WarehouseAdminService>;
  catalog: TypedClient<typeof CatalogService>;
  catalogAdmin: TypedClient<typeof CatalogAdminService>;
  order: TypedClient<typeof OrderService>;
  fulfillment: TypedClient<typeof FulfillmentService>;
  review: TypedClient<typeof ReviewService>;
  reviewAdmin: TypedClient<typeof ReviewAdminService>;
};

async function schema(): Promise<TestSchema> {
  const created = await createTestSchema();
  schemas.push(created);
  return created;
}

async function start(...args: Parameters<typeof startSuiteProcess>): Promise<SuiteProcess> {
  const started = await startSuiteProcess(...args);
  processes.push(started);
  return started;
}

beforeAll(async () => {
  const brokers = process.env.TEST_KAFKA_BROKERS ?? "127.0.0.1:9092";
  const kafka = {
    KAFKA_BROKERS: brokers,
    OUTBOX_TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: "1",
    LOG_LEVEL: "info",
  };
  const [wh, cat, ord, pay, ful, rev] = await Promise.all([
    schema(),
    schema(),
    schema(),
    schema(),
    schema(),
    schema(),
  ]);
  const warehouse = await start("warehouse", {
    ...kafka,
    DATABASE_URL: wh.connectionString,
    DB_SCHEMA: wh.schema,
  });
  const catalog = await start("catalog", {
    ...kafka,
    DATABASE_URL: cat.connectionString,
    DB_SCHEMA: cat.schema,
    STOCK_EVENTS_TOPIC: `${prefix}warehouse.stock.v1`,
    STOCK_CONSUMER_GROUP: `${prefix}catalog-stock`,
    RATING_EVENTS_TOPIC: `${prefix}review.review.v1`,
    RATING_CONSUMER_GROUP: `${prefix}catalog-rating`,
    CACHE_ENABLED: "false",
    REDIS_URL: "redis://127.0.0.1:6379",
    WAREHOUSE_GRPC_ADDRESS: warehouse.grpcAddress,
  });
  const webhookPort = await freePort();
  sandbox = await startSandboxProcess({
    databaseUrl: pay.connectionString,
    schema: pay.schema,
    webhookSecret: WEBHOOK_SECRET,
    webhookUrl: `http://127.0.0.1:${webhookPort}/webhooks/sandbox`,
  });
  const order = await start("order", {
    ...kafka,
    DATABASE_URL: ord.connectionString,
    DB_SCHEMA: ord.schema,
    WEBHOOK_PORT: String(webhookPort),
    WAREHOUSE_GRPC_ADDRESS: warehouse.grpcAddress,
    CATALOG_GRPC_ADDRESS: catalog.grpcAddress,
    PAYMENT_SANDBOX_URL: sandbox.baseUrl,
    PAYMENT_SANDBOX_WEBHOOK_SECRET: WEBHOOK_SECRET,
    AFTER_CHECKOUT_INTERVAL_MS: "200",
  });
  const fulfillment = await start(
    "fulfillment",
    {
      ...kafka,
      DATABASE_URL: ful.connectionString,
      DB_SCHEMA: ful.schema,
      WAREHOUSE_GRPC_ADDRESS: warehouse.grpcAddress,
      CATALOG_GRPC_ADDRESS: catalog.grpcAddress,
      ORDER_EVENTS_TOPIC: `${prefix}order.order.v1`,
      ORDER_EVENTS_GROUP: `${prefix}fulfillment-orders`,
      COMMAND_INTERVAL_MS: "200",
    },
    ["WEBHOOK_PORT"],
  );
  const review = await start("review", {
    ...kafka,
    DATABASE_URL: rev.connectionString,
    DB_SCHEMA: rev.schema,
    ORDER_GRPC_ADDRESS: order.grpcAddress,
    ORDER_EVENTS_TOPIC: `${prefix}order.order.v1`,
    ORDER_EVENTS_GROUP: `${prefix}review-orders`,
  });
  const options = { defaultDeadlineMs: 20_000 };
  clients = {
    warehouse: createClient(WarehouseService, warehouse.grpcAddress, options),
    warehouseAdmin: createClient(WarehouseAdminService, warehouse.grpcAddress, options),
    catalog: createClient(CatalogService, catalog.grpcAddress, options),
    catalogAdmin: createClient(CatalogAdminService, catalog.grpcAddress, options),
    order: createClient(OrderService, order.grpcAddress, options),
    fulfillment: createClient(FulfillmentService, fulfillment.grpcAddress, options),
    review: createClient(ReviewService, review.grpcAddress, options),
    reviewAdmin: createClient(ReviewAdminService, review.grpcAddress, options),
  };
}, 300_000);

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.close();
  await Promise.all(processes.map((p) => p.stop()));
  await sandbox?.stop();
  await Promise.all(schemas.map((s) => s.drop()));
  const admin = testKafka().kafka.admin();
  const tidy = (async () => {
    await admin.connect();
    const own = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (own.length > 0) await admin.deleteTopics({ topics: own, timeout: 5_000 });
  })();
  await Promise.race([tidy.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
  await admin.disconnect().catch(() => undefined);
}, 120_000);

const key = (what: string) => `e2e-${what}-${randomUUID()}`;

function logs(): string {
  return processes.map((p) => `--- ${p.name}\n${p.output().slice(-1500)}`).join("\n");
}

// Polls until probe returns something (not undefined/false); the message names the step and the last seen.
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last error: ${String(last)})\n${logs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function level() {
  const ops = await suiteCaller("admin", "e2e-ops");
  const { stock } = await clients.warehouse.getStock({ sku: SKU, warehouseCode: WH }, ops);
  const found = stock?.levels.find((l) => l.warehouseCode === WH);
  if (!found) throw new Error(`no level of ${SKU} in ${WH}`);
  return found;
}

async function catalogAvailable(): Promise<bigint | undefined> {
  const { product } = await clients.catalog.getProduct(
    { sku: SKU },
    await suiteCaller("storefront", CUSTOMER),
  );
  return product?.availability?.totalAvailable;
}

async function fulfillmentStatus(fulfillmentId: string): Promise<FulfillmentOrderStatus | undefined> {
  const { fulfillment } = await clients.fulfillment.getFulfillmentOrder(
    { fulfillmentId },
    await suiteCaller("ops", "e2e-ops"),
  );
  return fulfillment?.status;
}

// The payment sandbox's own record of the order's payment intent.
async function sandboxIntent(providerPaymentId: string) {
  const response = await fetch(`${sandbox?.baseUrl}/v1/payment_intents/${providerPaymentId}`);
  if (!response.ok) throw new Error(`sandbox answered ${response.status}`);
  return (await response.json()) as { status: string; amount_received: number; amount_refunded: number };
}

async function order(orderId: string): Promise<Order> {
  const { order: found } = await clients.order.getOrder(
    { orderId },
    await suiteCaller("storefront", CUSTOMER),
  );
  if (!found) throw new Error(`no order ${orderId}`);
  return found;
}

describe("a storefront order through the whole suite", () => {
  it("goes cart → confirmed → shipped → delivered → reviewed → returned and restocked", async () => {
    const admin = await suiteCaller("admin", "e2e-admin");
    const ops = await suiteCaller("ops", "e2e-ops");
    const shopper = await suiteCaller("storefront", CUSTOMER);

    // Warehouse, bin, 10 units received; the product in the catalog with its shipping weight.
    await clients.warehouseAdmin.createWarehouse(
      { idempotencyKey: key("wh"), warehouse: { code: WH, name: "E2E", capacityUnits: 1_000_000n } },
      admin,
    );
    await clients.warehouseAdmin.createBin(
      {
        idempotencyKey: key("bin"),
        bin: { warehouseCode: WH, code: "BIN-1", zone: "A", aisle: "01", position: "1", pickSequence: 1 },
      },
      admin,
    );
    await clients.warehouseAdmin.receiveStock(
      {
        idempotencyKey: key("receipt"),
        warehouseCode: WH,
        reference: { type: "purchase_order", id: `PO-${suffix}` },
        lines: [{ sku: SKU, quantity: 10, binCode: "BIN-1" }],
      },
      admin,
    );
    expect(await level()).toMatchObject({ onHand: 10n, reserved: 0n, committed: 0n });
    await clients.catalogAdmin.createProduct(
      {
        idempotencyKey: key("product"),
        sku: SKU,
        name: "E2E mug",
        price: { amountMinor: UNIT_PRICE, currency: "EUR" },
        status: ProductStatus.ACTIVE,
        weightGrams: UNIT_GRAMS,
      },
      admin,
    );
    // The catalog's projection hears of the receipt through Kafka.
    await until("the catalog's availability of 10", async () => (await catalogAvailable()) === 10n);

    // Cart of 3, destination, card; checkout → confirmed, 3 committed in the warehouse.
    const { cart } = await clients.order.createCart(
      { idempotencyKey: key("cart"), customerId: CUSTOMER },
      shopper,
    );
    const cartId = cart?.cartId ?? "";
    await clients.order.addCartLine({ idempotencyKey: key("line"), cartId, sku: SKU, quantity: 3 }, shopper);
    await clients.order.setShippingDestination(
      { idempotencyKey: key("dest"), cartId, shippingDestination: DESTINATION },
      shopper,
    );
    await clients.order.setPaymentMethod(
      {
        idempotencyKey: key("pay"),
        cartId,
        paymentMethod: { type: PaymentMethodType.CARD, token: CARDS.approve },
      },
      shopper,
    );
    const { orderId } = await clients.order.startCheckout(
      { idempotencyKey: key("checkout"), cartId },
      shopper,
    );
    const confirmed = await until("the order confirmed", async () => {
      const o = await order(orderId);
      return o.status === OrderStatus.CONFIRMED && o;
    });
    expect(confirmed.paymentStatus).toBe(PaymentStatus.AUTHORIZED);
    expect(confirmed.total?.amountMinor).toBe(3n * UNIT_PRICE);
    expect(await level()).toMatchObject({ onHand: 10n, reserved: 0n, committed: 3n });
    const providerPaymentId = confirmed.payment?.providerPaymentId ?? "";
    expect(await sandboxIntent(providerPaymentId)).toMatchObject({
      status: "requires_capture",
      amount_received: 0,
    });
    await until("the catalog's availability of 7", async () => (await catalogAvailable()) === 7n);

    // The fulfillment order, from OrderConfirmed on Kafka, verified against the warehouse (OPEN).
    const opened = await until("the fulfillment order open", async () => {
      const { fulfillments } = await clients.fulfillment.listFulfillmentOrders({ orderId }, ops);
      const found = fulfillments[0];
      return found?.status === FulfillmentOrderStatus.OPEN && found;
    });
    const fulfillmentId = opened.fulfillmentId;
    expect(opened).toMatchObject({ warehouseCode: WH, lines: [{ sku: SKU }] });

    // Wave, pick every line, pack at the right weight (QC only if held), ship.
    const { pickList } = await clients.fulfillment.buildWave(
      { idempotencyKey: key("wave"), warehouseCode: WH, fulfillmentIds: [fulfillmentId] },
      ops,
    );
    for (const line of pickList?.lines ?? []) {
      if (line.status !== PickLineStatus.PENDING) continue;
      await clients.fulfillment.confirmPick(
        {
          idempotencyKey: key("pick"),
          pickListId: pickList?.pickListId ?? "",
          lineNumber: line.lineNumber,
          scannedBinCode: line.location?.binCode ?? "",
          scannedSku: line.sku,
        },
        ops,
      );
    }
    const packed = await clients.fulfillment.packFulfillment(
      {
        idempotencyKey: key("pack"),
        fulfillmentId,
        dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 },
        measuredWeightGrams: 3 * UNIT_GRAMS,
      },
      ops,
    );
    // The catalog knows the weight: the weight check passes (a sample draw may still hold it).
    expect(packed.package?.qcTriggers ?? []).not.toContain(QcTrigger.WEIGHT_MISMATCH);
    if (packed.fulfillment?.status === FulfillmentOrderStatus.QC_HOLD && packed.package) {
      await clients.fulfillment.recordQcResults(
        {
          idempotencyKey: key("qc"),
          packageId: packed.package.packageId,
          results: [1, 2, 3].map((unitIndex) => ({ orderLineNumber: 1, unitIndex, outcome: QcOutcome.PASS })),
        },
        ops,
      );
    }
    await clients.fulfillment.shipFulfillment(
      { idempotencyKey: key("ship"), fulfillmentId, carrier: "dhl", trackingNumber: `T-${suffix}` },
      ops,
    );
    await until("the warehouse shipped 3", async () => {
      const l = await level();
      return l.onHand === 7n && l.reserved === 0n && l.committed === 0n && l;
    });
    const shipped = await until("the order shipped and captured", async () => {
      const o = await order(orderId);
      return (
        o.fulfillmentStatus === FulfillmentStatus.SHIPPED && o.paymentStatus === PaymentStatus.CAPTURED && o
      );
    });
    expect(shipped.payment?.captured?.amountMinor).toBe(3n * UNIT_PRICE);
    expect(shipped.lines[0]?.quantities).toMatchObject({ ordered: 3, shipped: 3 });
    expect(await fulfillmentStatus(fulfillmentId)).toBe(FulfillmentOrderStatus.SHIPPED);
    expect(await sandboxIntent(providerPaymentId)).toMatchObject({
      status: "succeeded",
      amount_received: Number(3n * UNIT_PRICE),
    });
    expect(await catalogAvailable()).toBe(7n);

    // Delivered: the order hears it, and the review is a verified purchase.
    await clients.fulfillment.confirmDelivery({ idempotencyKey: key("deliver"), fulfillmentId }, ops);
    const delivered = await until("the order delivered", async () => {
      const o = await order(orderId);
      return o.fulfillmentStatus === FulfillmentStatus.DELIVERED && o;
    });
    expect(delivered.lines[0]?.quantities).toMatchObject({ delivered: 3, returned: 0 });
    expect(await fulfillmentStatus(fulfillmentId)).toBe(FulfillmentOrderStatus.DELIVERED);
    const reviewed = await until("a verified review", async () => {
      const { review } = await clients.review.submitReview(
        { idempotencyKey: key("review"), sku: SKU, orderId, rating: 5, title: "Good", body: "A fine mug." },
        shopper,
      );
      return review;
    });
    expect(reviewed.verified).toBe(true);
    expect(reviewed.reviewId).not.toBe("");

    // Return 2 units: authorized, received, inspected 1 sellable + 1 damaged.
    const { return: requested } = await clients.fulfillment.requestReturn(
      {
        idempotencyKey: key("return"),
        fulfillmentId,
        customerId: CUSTOMER,
        lines: [{ orderLineNumber: 1, quantity: 2 }],
        reason: ReturnReason.DEFECTIVE,
      },
      shopper,
    );
    const returnId = requested?.returnId ?? "";
    await clients.fulfillment.authorizeReturn({ idempotencyKey: key("authorize"), returnId }, ops);
    await clients.fulfillment.receiveReturn(
      {
        idempotencyKey: key("receive"),
        returnId,
        warehouseCode: WH,
        lines: [{ orderLineNumber: 1, quantity: 2 }],
      },
      ops,
    );
    const { return: inspected } = await clients.fulfillment.inspectReturn(
      {
        idempotencyKey: key("inspect"),
        returnId,
        dispositions: [
          { orderLineNumber: 1, condition: ReturnCondition.SELLABLE, quantity: 1 },
          { orderLineNumber: 1, condition: ReturnCondition.DAMAGED, quantity: 1 },
        ],
      },
      ops,
    );
    expect(inspected?.status).toBe(ReturnStatus.INSPECTED);
    await until("the warehouse restocked 1 sellable, 1 damaged", async () => {
      const l = await level();
      return l.onHand === 8n && l.damaged === 1n && l.reserved === 0n && l.committed === 0n && l;
    });
    await until("the return closed", async () => {
      const { return: r } = await clients.fulfillment.getReturn({ returnId, customerId: CUSTOMER }, shopper);
      return r?.status === ReturnStatus.CLOSED && r;
    });
    const refunded = await until("the order refunded for 2 returned units", async () => {
      const o = await order(orderId);
      return o.payment?.refunded?.amountMinor === 2n * UNIT_PRICE && o;
    });
    expect(refunded.paymentStatus).toBe(PaymentStatus.PARTIALLY_REFUNDED);
    expect(refunded.fulfillmentStatus).toBe(FulfillmentStatus.PARTIALLY_RETURNED);
    expect(refunded.lines[0]?.quantities).toMatchObject({ delivered: 3, returned: 2 });
    expect(await sandboxIntent(providerPaymentId)).toMatchObject({
      amount_received: Number(3n * UNIT_PRICE),
      amount_refunded: Number(2n * UNIT_PRICE),
    });
    // Only the sellable unit is available again; the damaged one is not.
    await until("the catalog's availability of 8", async () => (await catalogAvailable()) === 8n);
    // The review still rests on a delivered line (not every unit was returned).
    const { review: reread } = await clients.reviewAdmin.getReview({ reviewId: reviewed.reviewId }, admin);
    expect(reread?.verified).toBe(true);
    // What the order published on Kafka for it, in order.
    const published = await eventTypesOf(testKafka().kafka, `${prefix}${ORDER_TOPIC}`, orderId, [
      "OrderConfirmed",
      "OrderDelivered",
      "OrderReturned",
      "OrderRefunded",
    ]);
    expect(published).toEqual(
      expect.arrayContaining(["OrderConfirmed", "OrderDelivered", "OrderReturned", "OrderRefunded"]),
    );
    expect(published.indexOf("OrderConfirmed")).toBeLessThan(published.indexOf("OrderDelivered"));
    expect(published.indexOf("OrderDelivered")).toBeLessThan(published.indexOf("OrderReturned"));
  });
});
