// `stockroom fulfillments|waves|picklists|returns …` as a child process against a real fulfillment
// process (API, order-events consumer and warehouse command worker) and a real warehouse process: two
// orders confirmed in the warehouse and announced on a Kafka topic of this run become open fulfillment
// orders (`fulfillments list`), `waves build` groups them into one pick list (once per idempotency key),
// `picklists get` and `export` show and write it in route order, a delivered fulfillment's return is
// listed by `returns awaiting`; bad arguments, unknown ids and the wrong role each get their exit code.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@stockroom/grpc";
import { toOutboxRow } from "@stockroom/outbox";
import { QcOutcome, ReturnReason } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import { OrderConfirmedSchema } from "@stockroom/proto/stockroom/order/v1/events_pb.js";
import { OrderSchema, OrderStatus } from "@stockroom/proto/stockroom/order/v1/order_pb.js";
import { PaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { WarehouseAdminService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import {
  createTestSchema,
  createTestTopics,
  requireTestEnv,
  type TestSchema,
  type TestTopics,
  uniqueSuffix,
} from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServiceProcess, spawnService } from "./support/order-services.ts";
import { runCli } from "./support/run-cli.ts";
import {
  freePort,
  JWT_SECRET,
  startWarehouseProcess,
  type WarehouseProcess,
} from "./support/warehouse-process.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const WH = `CLF-${uniqueSuffix().slice(-6).toUpperCase()}`;
const key = () => `k-${randomUUID()}`;

let warehouse: WarehouseProcess;
let schema: TestSchema;
let topics: TestTopics<"order">;
let fulfillment: ServiceProcess;
let fulfillmentAddress: string;
let env: NodeJS.ProcessEnv;
let opsToken: string;
let dir: string;

// A reservation confirmed in the warehouse for a new order, announced as OrderConfirmed on the topic.
async function confirmOrder(sku: string, quantity: number): Promise<string> {
  const orderId = randomUUID();
  const stock = createClient(WarehouseService, warehouse.address, {
    token: await warehouse.token("service"),
  });
  try {
    const { reservation } = await stock.reserve({
      idempotencyKey: `checkout-${orderId}`,
      reference: { type: "checkout", id: orderId },
      lines: [{ sku, quantity, warehouseCode: WH }],
      paymentMethod: PaymentMethod.CARD,
    });
    const reservationId = reservation?.reservationId ?? "";
    await stock.confirmReservation({
      idempotencyKey: `confirm-${orderId}`,
      reservationId,
      order: { type: "order", id: orderId },
    });
    const order = create(OrderSchema, {
      orderId,
      customerId: "cust-cli",
      status: OrderStatus.CONFIRMED,
      currency: "EUR",
      checkout: { checkoutId: randomUUID(), reservationId },
      lines: [
        {
          lineNumber: 1,
          sku,
          productName: sku,
          unitPrice: { amountMinor: 2500n, currency: "EUR" },
          quantities: { ordered: quantity, allocated: quantity },
          allocations: [{ warehouseCode: WH, lotCode: "", quantity }],
        },
      ],
    });
    const row = toOutboxRow(
      { producer: "order" },
      {
        topic: topics.topics.order,
        messageKey: orderId,
        aggregateType: "order",
        aggregateId: orderId,
        aggregateVersion: 1,
        eventType: "OrderConfirmed",
        payloadSchema: OrderConfirmedSchema,
        payload: create(OrderConfirmedSchema, { order }),
      },
    );
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.topics.order,
      acks: -1,
      messages: [{ key: orderId, value: Buffer.from(row.envelope) }],
    });
    await producer.disconnect();
    return orderId;
  } finally {
    stock.close();
  }
}

interface FulfillmentJson {
  fulfillmentId: string;
  orderId: string;
  status?: string;
}

async function listJson(args: string[]): Promise<FulfillmentJson[]> {
  const got = await runCli(["--json", "fulfillments", "list", "--warehouse", WH, ...args], env);
  expect(got.code, got.stderr).toBe(0);
  return JSON.parse(got.stdout).fulfillments;
}

beforeAll(async () => {
  warehouse = await startWarehouseProcess();
  opsToken = await warehouse.token("ops");
  const admin = createClient(WarehouseAdminService, warehouse.address, {
    token: await warehouse.token("admin"),
  });
  try {
    await admin.createWarehouse({
      idempotencyKey: key(),
      warehouse: { code: WH, name: "CLI fulfillment", capacityUnits: 10_000n },
    });
    for (const [bin, pickSequence] of [
      ["BIN-B", 2],
      ["BIN-A", 1],
    ] as const) {
      await admin.createBin({
        idempotencyKey: key(),
        bin: { warehouseCode: WH, code: bin, zone: "A", aisle: "01", position: bin, pickSequence },
      });
    }
    await admin.receiveStock({
      idempotencyKey: key(),
      warehouseCode: WH,
      reference: { type: "purchase_order", id: "PO-CLI-FUL" },
      lines: [
        { sku: "CLF-FAR", quantity: 10, binCode: "BIN-B" },
        { sku: "CLF-NEAR", quantity: 10, binCode: "BIN-A" },
      ],
    });
  } finally {
    admin.close();
  }
  [schema, topics] = await Promise.all([
    createTestSchema({ migrations: `${REPO}migrations/fulfillment`, poolMax: 1 }),
    createTestTopics(["order"] as const),
  ]);
  const [grpc, http, metrics, webhooks] = await Promise.all(Array.from({ length: 4 }, () => freePort()));
  fulfillmentAddress = `127.0.0.1:${grpc}`;
  fulfillment = await spawnService(
    "fulfillment",
    {
      DATABASE_URL: requireTestEnv("TEST_DATABASE_URL"),
      KAFKA_BROKERS: requireTestEnv("TEST_KAFKA_BROKERS"),
      JWT_SECRET,
      LOG_LEVEL: "info",
      FULFILLMENT_DB_SCHEMA: schema.schema,
      FULFILLMENT_GRPC_PORT: String(grpc),
      FULFILLMENT_HTTP_PORT: String(http),
      FULFILLMENT_METRICS_PORT: String(metrics),
      FULFILLMENT_WEBHOOK_PORT: String(webhooks),
      FULFILLMENT_WAREHOUSE_GRPC_ADDRESS: warehouse.address,
      // No catalog: weights unknown, every package is held for QC.
      FULFILLMENT_CATALOG_GRPC_ADDRESS: "127.0.0.1:9",
      FULFILLMENT_COMPONENTS: "api,consumer,commands",
      FULFILLMENT_COMMAND_INTERVAL_MS: "100",
      FULFILLMENT_TOPIC_PARTITIONS: "1",
      FULFILLMENT_ORDER_EVENTS_TOPIC: topics.topics.order,
      FULFILLMENT_ORDER_EVENTS_GROUP: `cli-fulfillment-${uniqueSuffix()}`,
    },
    '"fulfillment started"',
  );
  env = { STOCKROOM_TOKEN: opsToken, STOCKROOM_FULFILLMENT_ADDRESS: fulfillmentAddress };
  dir = mkdtempSync(join(tmpdir(), "stockroom-cli-fulfillment-"));
}, 240_000);

afterAll(async () => {
  await fulfillment?.stop();
  await topics?.delete();
  await schema?.drop();
  await warehouse?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("stockroom fulfillment commands", () => {
  let orders: string[] = [];
  let pickListId = "";

  it("lists the confirmed orders' fulfillments once the warehouse verified them", async () => {
    orders = [await confirmOrder("CLF-FAR", 2), await confirmOrder("CLF-NEAR", 1)];
    const deadline = Date.now() + 60_000;
    let open: FulfillmentJson[] = [];
    while (open.length < 2) {
      if (Date.now() > deadline) throw new Error(`fulfillments never opened: ${JSON.stringify(open)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      open = await listJson(["--status", "open"]);
    }
    expect(open.map((f) => f.orderId).sort()).toEqual([...orders].sort());
    expect(await listJson(["--status", "shipped"])).toEqual([]);

    const table = await runCli(["fulfillments", "list", "--warehouse", WH], env);
    expect(table.code, table.stderr).toBe(0);
    for (const orderId of orders) expect(table.stdout).toContain(orderId);
    expect(table.stdout).toContain("open");
  }, 90_000);

  it("builds one wave of both, once per idempotency key, lines in route order", async () => {
    const args = ["--json", "waves", "build", "--warehouse", WH, "--idempotency-key", key()];
    const built = await runCli(args, env);
    expect(built.code, built.stderr).toBe(0);
    const { pickList } = JSON.parse(built.stdout);
    pickListId = pickList.pickListId;
    expect(pickList.fulfillmentIds).toHaveLength(2);
    expect(pickList.lines.map((l: { sku: string }) => l.sku)).toEqual(["CLF-NEAR", "CLF-FAR"]);

    const again = await runCli(args, env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).pickList.pickListId).toBe(pickListId);
    expect(await listJson(["--status", "open"])).toEqual([]);
    expect(await listJson(["--status", "picking"])).toHaveLength(2);

    // Nothing left to pick: refused as things stand.
    const empty = await runCli(["waves", "build", "--warehouse", WH], env);
    expect(empty.code, empty.stderr).toBe(6);
  }, 60_000);

  it("shows the pick list and exports it as CSV", async () => {
    const got = await runCli(["picklists", "get", pickListId], env);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain(pickListId);
    expect(got.stdout.indexOf("BIN-A")).toBeLessThan(got.stdout.indexOf("BIN-B"));
    expect(got.stdout.indexOf("BIN-A")).toBeGreaterThan(0);

    const file = join(dir, "picks.csv");
    const exported = await runCli(["picklists", "export", pickListId, "-o", file], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("exported 2 pick list lines");
    expect(existsSync(`${file}.partial`)).toBe(false);
    const rows = readFileSync(file, "utf8").trim().split("\n");
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain("BIN-A");
    expect(rows[1]).toContain("CLF-NEAR");
    expect(rows[2]).toContain("CLF-FAR");
  }, 60_000);

  it("lists a delivered fulfillment's return as awaiting authorization", async () => {
    const none = await runCli(["returns", "awaiting"], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toContain("no returns awaiting action");

    const [near] = await listJson(["--order", orders[1] ?? ""]);
    const fulfillmentId = near?.fulfillmentId ?? "";
    const floor = createClient(FulfillmentService, fulfillmentAddress, { token: opsToken });
    let returnId = "";
    try {
      await floor.confirmPick({
        idempotencyKey: key(),
        pickListId,
        lineNumber: 1,
        scannedBinCode: "BIN-A",
        scannedSku: "CLF-NEAR",
      });
      const packed = await floor.packFulfillment({
        idempotencyKey: key(),
        fulfillmentId,
        dimensions: { lengthMm: 100, widthMm: 100, heightMm: 100 },
        measuredWeightGrams: 300,
      });
      await floor.recordQcResults({
        idempotencyKey: key(),
        packageId: packed.package?.packageId ?? "",
        results: [{ orderLineNumber: 1, unitIndex: 1, outcome: QcOutcome.PASS }],
      });
      await floor.shipFulfillment({
        idempotencyKey: key(),
        fulfillmentId,
        carrier: "dhl",
        trackingNumber: key(),
      });
      await floor.confirmDelivery({ idempotencyKey: key(), fulfillmentId });
      const requested = await floor.requestReturn({
        idempotencyKey: key(),
        fulfillmentId,
        lines: [{ orderLineNumber: 1, quantity: 1 }],
        reason: ReturnReason.CHANGE_OF_MIND,
      });
      returnId = requested.return?.returnId ?? "";
    } finally {
      floor.close();
    }

    const table = await runCli(["returns", "awaiting"], env);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain(returnId);
    expect(table.stdout).toContain("requested");
    const json = await runCli(["--json", "returns", "awaiting", "--status", "requested"], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).returns.map((r: { returnId: string }) => r.returnId)).toEqual([returnId]);
    const received = await runCli(["--json", "returns", "awaiting", "--status", "received"], env);
    expect(JSON.parse(received.stdout).returns).toEqual([]);
  }, 90_000);

  it("gives bad arguments, unknown ids and the wrong role their exit codes", async () => {
    const missing = await runCli(["waves", "build"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--warehouse");

    const badStatus = await runCli(["fulfillments", "list", "--status", "lost"], env);
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain("lost");

    const badId = await runCli(["picklists", "get", "not-a-uuid"], env);
    expect(badId.code, badId.stderr).toBe(2);
    expect(badId.stderr).toContain("INVALID_ARGUMENT");

    const unknown = await runCli(["picklists", "get", randomUUID()], env);
    expect(unknown.code, unknown.stderr).toBe(5);
    expect(unknown.stderr).toContain("NOT_FOUND");

    const unknownExport = await runCli(
      ["picklists", "export", randomUUID(), "-o", join(dir, "none.csv")],
      env,
    );
    expect(unknownExport.code, unknownExport.stderr).toBe(5);
    expect(existsSync(join(dir, "none.csv"))).toBe(false);

    const storefront = { ...env, STOCKROOM_TOKEN: await warehouse.token("storefront") };
    const denied = await runCli(["waves", "build", "--warehouse", WH], storefront);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain("PERMISSION_DENIED");

    const noToken = await runCli(["returns", "awaiting"], {
      STOCKROOM_FULFILLMENT_ADDRESS: fulfillmentAddress,
    });
    expect(noToken.code).toBe(4);
  }, 60_000);
});
