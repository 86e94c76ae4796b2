// FulfillmentService's contract over an in-process server (gRPC and Connect JSON over HTTP/1.1) on a
// migrated schema, called with the generated client and real tokens: every RPC's auth policy (a role
// outside it is PERMISSION_DENIED, no token UNAUTHENTICATED), bad input on every RPC refused with
// INVALID_ARGUMENT naming the field, unknown ids NOT_FOUND, and nothing written by any refused call.
import { fileURLToPath } from "node:url";
import { createTokenIssuer, createTokenVerifier, type Role } from "@stockroom/auth";
import { createDb } from "@stockroom/db";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { ReturnCondition } from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import {
  type FulfillmentOrderStatus,
  QcOutcome,
  ReturnReason,
  type ReturnStatus,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import {
  CONTRACT_TRANSPORTS,
  type ContractEndpoint,
  createTestSchema,
  startContractEndpoint,
  type TestSchema,
} from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps } from "../src/app/use-case-deps.ts";
import type { FulfillmentDatabase } from "../src/data/database.ts";
import { DEFAULT_REFUND_POLICY, DEFAULT_RETURN_WINDOW_MS } from "../src/domain/return-rules.ts";
import { createFulfillmentHandler, FULFILLMENT_POLICY } from "../src/transport/grpc/fulfillment.handler.ts";
import { createWarehouseClient, isRetryableWarehouseError } from "../src/transport/grpc/warehouse.client.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/fulfillment", import.meta.url));
const SECRET = "fulfillment-contract-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };
const ROLES = ["storefront", "ops", "admin", "service"] as const;
const UUID = "0190f1a2-0000-7000-8000-000000000001";

type AnyClient = Record<
  string,
  (request: unknown, options?: unknown) => Promise<unknown> | AsyncIterable<unknown>
>;

let schema: TestSchema;
let warehouse: ReturnType<typeof createWarehouseClient>;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  // Never reached: every call below is refused before any warehouse call.
  warehouse = createWarehouseClient({ address: "127.0.0.1:9", jwt: { secret: SECRET, ...AUTH } });
  const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
  for (const role of ROLES) tokens.set(role, await issuer.issue({ subject: `test-${role}`, roles: [role] }));
}, 60_000);

afterAll(async () => {
  warehouse?.close();
  await schema?.drop();
});

function as(role: Role) {
  return { metadata: { authorization: `Bearer ${tokens.get(role)}` } };
}

// Drains a server stream so its error (if any) surfaces.
async function settle(result: Promise<unknown> | AsyncIterable<unknown>): Promise<unknown> {
  if (Symbol.asyncIterator in Object(result)) {
    const items: unknown[] = [];
    for await (const item of result as AsyncIterable<unknown>) items.push(item);
    return items;
  }
  return result;
}

async function failure(result: Promise<unknown> | AsyncIterable<unknown>) {
  const err = await settle(result).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  return { code: err.code, field: err.errorDetail?.field, message: err.message };
}

async function rowCounts() {
  const { rows } = await schema.pool.query(`
    SELECT (SELECT count(*) FROM fulfillment_orders)::int AS fulfillments,
           (SELECT count(*) FROM pick_lists)::int AS pick_lists,
           (SELECT count(*) FROM packages)::int AS packages,
           (SELECT count(*) FROM returns)::int AS returns,
           (SELECT count(*) FROM warehouse_commands)::int AS commands,
           (SELECT count(*) FROM outbox)::int AS events,
           (SELECT count(*) FROM idempotency_records)::int AS keys`);
  return rows[0];
}

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  let server: GrpcServer;
  let endpoint: ContractEndpoint;
  let client: TypedClient<typeof FulfillmentService>;

  beforeAll(async () => {
    const db = createDb<FulfillmentDatabase>(schema.pool);
    const useCases = buildUseCases(
      createUseCaseDeps(db, { warehouse, topics: { fulfillment: "f.contract", return: "r.contract" } }),
      {
        commandWorker: { batchSize: 10, leaseMs: 30_000, isRetryable: isRetryableWarehouseError },
        returnWindowMs: DEFAULT_RETURN_WINDOW_MS,
        refundPolicy: DEFAULT_REFUND_POLICY,
      },
    );
    server = createGrpcServer({
      logger: createLogger({ service: "fulfillment-contract", level: "silent" }),
      registry: createMetricsRegistry({ service: "fulfillment-contract", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(FulfillmentService, createFulfillmentHandler(useCases), FULFILLMENT_POLICY);
    endpoint = await startContractEndpoint(server, transport);
    client = endpoint.client(FulfillmentService);
  });

  afterAll(async () => {
    await endpoint?.close();
  });

  describe("auth policy", () => {
    for (const [method, allowed] of Object.entries(FULFILLMENT_POLICY)) {
      it(`${method}: ${String(allowed)} only; no token is UNAUTHENTICATED`, async () => {
        const call = (client as unknown as AnyClient)[method];
        if (!call) throw new Error(`no client method ${method}`);
        for (const role of ROLES) {
          if ((allowed as readonly string[]).includes(role)) continue;
          expect((await failure(call({}, as(role)))).code, `${method} as ${role}`).toBe(
            status.PERMISSION_DENIED,
          );
        }
        expect((await failure(call({}))).code).toBe(status.UNAUTHENTICATED);
      });
    }
  });

  describe("bad input names the field and changes nothing", () => {
    const ops = () => as("ops");
    const cases: [string, () => Promise<unknown> | AsyncIterable<unknown>, string][] = [
      ["buildWave without key", () => client.buildWave({ warehouseCode: "W1" }, ops()), "idempotency_key"],
      [
        "buildWave bad warehouse",
        () => client.buildWave({ idempotencyKey: "k", warehouseCode: "w 1" }, ops()),
        "warehouse_code",
      ],
      [
        "buildWave too many orders",
        () => client.buildWave({ idempotencyKey: "k", warehouseCode: "W1", maxOrders: 501 }, ops()),
        "max_orders",
      ],
      [
        "buildWave bad id",
        () => client.buildWave({ idempotencyKey: "k", warehouseCode: "W1", fulfillmentIds: ["x"] }, ops()),
        "fulfillment_ids[0]",
      ],
      ["getPickList bad id", () => client.getPickList({ pickListId: "x" }, ops()), "pick_list_id"],
      [
        "confirmPick without key",
        () =>
          client.confirmPick(
            { pickListId: UUID, lineNumber: 1, scannedBinCode: "B", scannedSku: "S" },
            ops(),
          ),
        "idempotency_key",
      ],
      [
        "confirmPick line 0",
        () =>
          client.confirmPick(
            { idempotencyKey: "k", pickListId: UUID, lineNumber: 0, scannedBinCode: "B", scannedSku: "S" },
            ops(),
          ),
        "line_number",
      ],
      [
        "confirmPick no bin scan",
        () =>
          client.confirmPick(
            { idempotencyKey: "k", pickListId: UUID, lineNumber: 1, scannedSku: "S" },
            ops(),
          ),
        "scanned_bin_code",
      ],
      [
        "confirmPick no sku scan",
        () =>
          client.confirmPick(
            { idempotencyKey: "k", pickListId: UUID, lineNumber: 1, scannedBinCode: "B" },
            ops(),
          ),
        "scanned_sku",
      ],
      [
        "confirmPick negative quantity",
        () =>
          client.confirmPick(
            {
              idempotencyKey: "k",
              pickListId: UUID,
              lineNumber: 1,
              scannedBinCode: "B",
              scannedSku: "S",
              quantity: -1,
            },
            ops(),
          ),
        "quantity",
      ],
      [
        "confirmPick bad warehouse",
        () =>
          client.confirmPick(
            {
              idempotencyKey: "k",
              pickListId: UUID,
              lineNumber: 1,
              scannedBinCode: "B",
              scannedSku: "S",
              warehouseCode: "w",
            },
            ops(),
          ),
        "warehouse_code",
      ],
      [
        "reportShortPick without key",
        () =>
          client.reportShortPick(
            { pickListId: UUID, lineNumber: 1, scannedBinCode: "B", reason: "r" },
            ops(),
          ),
        "idempotency_key",
      ],
      [
        "reportShortPick no reason",
        () =>
          client.reportShortPick(
            { idempotencyKey: "k", pickListId: UUID, lineNumber: 1, scannedBinCode: "B" },
            ops(),
          ),
        "reason",
      ],
      [
        "reportShortPick negative found",
        () =>
          client.reportShortPick(
            {
              idempotencyKey: "k",
              pickListId: UUID,
              lineNumber: 1,
              scannedBinCode: "B",
              reason: "r",
              foundQuantity: -2,
            },
            ops(),
          ),
        "found_quantity",
      ],
      [
        "packFulfillment without key",
        () =>
          client.packFulfillment(
            {
              fulfillmentId: UUID,
              dimensions: { lengthMm: 1, widthMm: 1, heightMm: 1 },
              measuredWeightGrams: 1,
            },
            ops(),
          ),
        "idempotency_key",
      ],
      [
        "packFulfillment no dimensions",
        () =>
          client.packFulfillment({ idempotencyKey: "k", fulfillmentId: UUID, measuredWeightGrams: 1 }, ops()),
        "dimensions",
      ],
      [
        "packFulfillment zero width",
        () =>
          client.packFulfillment(
            {
              idempotencyKey: "k",
              fulfillmentId: UUID,
              dimensions: { lengthMm: 1, widthMm: 0, heightMm: 1 },
              measuredWeightGrams: 1,
            },
            ops(),
          ),
        "dimensions.width_mm",
      ],
      [
        "packFulfillment zero weight",
        () =>
          client.packFulfillment(
            {
              idempotencyKey: "k",
              fulfillmentId: UUID,
              dimensions: { lengthMm: 1, widthMm: 1, heightMm: 1 },
            },
            ops(),
          ),
        "measured_weight_grams",
      ],
      [
        "recordQcResults without key",
        () =>
          client.recordQcResults(
            { packageId: UUID, results: [{ orderLineNumber: 1, unitIndex: 1, outcome: QcOutcome.PASS }] },
            ops(),
          ),
        "idempotency_key",
      ],
      [
        "recordQcResults no results",
        () => client.recordQcResults({ idempotencyKey: "k", packageId: UUID }, ops()),
        "results",
      ],
      [
        "recordQcResults no outcome",
        () =>
          client.recordQcResults(
            { idempotencyKey: "k", packageId: UUID, results: [{ orderLineNumber: 1, unitIndex: 1 }] },
            ops(),
          ),
        "results[0].outcome",
      ],
      [
        "shipFulfillment without key",
        () => client.shipFulfillment({ fulfillmentId: UUID, carrier: "dhl", trackingNumber: "T1" }, ops()),
        "idempotency_key",
      ],
      [
        "shipFulfillment bad id",
        () =>
          client.shipFulfillment(
            { idempotencyKey: "k", fulfillmentId: "x", carrier: "dhl", trackingNumber: "T1" },
            ops(),
          ),
        "fulfillment_id",
      ],
      [
        "shipFulfillment no carrier",
        () =>
          client.shipFulfillment({ idempotencyKey: "k", fulfillmentId: UUID, trackingNumber: "T1" }, ops()),
        "carrier",
      ],
      [
        "shipFulfillment bad tracking",
        () =>
          client.shipFulfillment(
            { idempotencyKey: "k", fulfillmentId: UUID, carrier: "dhl", trackingNumber: "-" },
            ops(),
          ),
        "tracking_number",
      ],
      [
        "confirmDelivery without key",
        () => client.confirmDelivery({ fulfillmentId: UUID }, ops()),
        "idempotency_key",
      ],
      [
        "confirmDelivery bad id",
        () => client.confirmDelivery({ idempotencyKey: "k", fulfillmentId: "x" }, ops()),
        "fulfillment_id",
      ],
      [
        "getFulfillmentOrder bad id",
        () => client.getFulfillmentOrder({ fulfillmentId: "x" }, ops()),
        "fulfillment_id",
      ],
      [
        "listFulfillmentOrders bad status",
        () => client.listFulfillmentOrders({ statuses: [77 as FulfillmentOrderStatus] }, ops()),
        "statuses[0]",
      ],
      [
        "listFulfillmentOrders bad page size",
        () => client.listFulfillmentOrders({ pageSize: 501 }, ops()),
        "page_size",
      ],
      [
        "listFulfillmentOrders bad token",
        () => client.listFulfillmentOrders({ pageToken: "zzz" }, ops()),
        "page_token",
      ],
      ["exportPickList bad id", () => client.exportPickList({ pickListId: "x" }, ops()), "pick_list_id"],
      [
        "requestReturn without key",
        () =>
          client.requestReturn(
            {
              fulfillmentId: UUID,
              customerId: "c",
              lines: [{ orderLineNumber: 1, quantity: 1 }],
              reason: ReturnReason.DEFECTIVE,
            },
            as("storefront"),
          ),
        "idempotency_key",
      ],
      [
        "requestReturn storefront without customer",
        () =>
          client.requestReturn(
            {
              idempotencyKey: "k",
              fulfillmentId: UUID,
              lines: [{ orderLineNumber: 1, quantity: 1 }],
              reason: ReturnReason.DEFECTIVE,
            },
            as("storefront"),
          ),
        "customer_id",
      ],
      [
        "requestReturn no lines",
        () =>
          client.requestReturn(
            { idempotencyKey: "k", fulfillmentId: UUID, customerId: "c", reason: ReturnReason.DEFECTIVE },
            as("storefront"),
          ),
        "lines",
      ],
      [
        "requestReturn zero quantity",
        () =>
          client.requestReturn(
            {
              idempotencyKey: "k",
              fulfillmentId: UUID,
              customerId: "c",
              lines: [{ orderLineNumber: 1, quantity: 0 }],
              reason: ReturnReason.DEFECTIVE,
            },
            as("storefront"),
          ),
        "lines[0].quantity",
      ],
      [
        "requestReturn no reason",
        () =>
          client.requestReturn(
            {
              idempotencyKey: "k",
              fulfillmentId: UUID,
              customerId: "c",
              lines: [{ orderLineNumber: 1, quantity: 1 }],
            },
            as("storefront"),
          ),
        "reason",
      ],
      [
        "authorizeReturn without key",
        () => client.authorizeReturn({ returnId: UUID }, ops()),
        "idempotency_key",
      ],
      [
        "authorizeReturn bad id",
        () => client.authorizeReturn({ idempotencyKey: "k", returnId: "x" }, ops()),
        "return_id",
      ],
      [
        "rejectReturn without reason",
        () => client.rejectReturn({ idempotencyKey: "k", returnId: UUID }, ops()),
        "reason",
      ],
      [
        "rejectReturn without key",
        () => client.rejectReturn({ returnId: UUID, reason: "r" }, ops()),
        "idempotency_key",
      ],
      [
        "receiveReturn without key",
        () =>
          client.receiveReturn(
            { returnId: UUID, warehouseCode: "W1", lines: [{ orderLineNumber: 1, quantity: 1 }] },
            ops(),
          ),
        "idempotency_key",
      ],
      [
        "receiveReturn bad warehouse",
        () =>
          client.receiveReturn(
            {
              idempotencyKey: "k",
              returnId: UUID,
              warehouseCode: "w",
              lines: [{ orderLineNumber: 1, quantity: 1 }],
            },
            ops(),
          ),
        "warehouse_code",
      ],
      [
        "receiveReturn bad line",
        () =>
          client.receiveReturn(
            {
              idempotencyKey: "k",
              returnId: UUID,
              warehouseCode: "W1",
              lines: [{ orderLineNumber: 0, quantity: 1 }],
            },
            ops(),
          ),
        "lines[0].order_line_number",
      ],
      [
        "inspectReturn without key",
        () =>
          client.inspectReturn(
            {
              returnId: UUID,
              dispositions: [{ orderLineNumber: 1, condition: ReturnCondition.SELLABLE, quantity: 1 }],
            },
            ops(),
          ),
        "idempotency_key",
      ],
      [
        "inspectReturn no condition",
        () =>
          client.inspectReturn(
            { idempotencyKey: "k", returnId: UUID, dispositions: [{ orderLineNumber: 1, quantity: 1 }] },
            ops(),
          ),
        "dispositions[0].condition",
      ],
      ["getReturn bad id", () => client.getReturn({ returnId: "x" }, ops()), "return_id"],
      [
        "getReturn storefront without customer",
        () => client.getReturn({ returnId: UUID }, as("storefront")),
        "customer_id",
      ],
      [
        "listReturnsAwaitingAction bad status",
        () => client.listReturnsAwaitingAction({ statuses: [99 as ReturnStatus] }, ops()),
        "statuses[0]",
      ],
    ];
    it("every RPC appears in the cases", () => {
      const named = new Set(cases.map(([name]) => name.split(" ")[0]));
      expect([...named].sort()).toEqual(Object.keys(FULFILLMENT_POLICY).sort());
    });
    for (const [name, call, field] of cases) {
      it(name, async () => {
        const before = await rowCounts();
        const err = await failure(call());
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(err.field).toBe(field);
        expect(err.message).toContain(field.replace(/\[\d+\].*/, ""));
        expect(await rowCounts()).toEqual(before);
      });
    }
  });

  describe("unknown ids are NOT_FOUND and change nothing", () => {
    const ops = () => as("ops");
    const cases: [string, () => Promise<unknown> | AsyncIterable<unknown>][] = [
      ["getPickList", () => client.getPickList({ pickListId: UUID }, ops())],
      ["exportPickList", () => client.exportPickList({ pickListId: UUID }, ops())],
      [
        "confirmPick",
        () =>
          client.confirmPick(
            { idempotencyKey: "nf1", pickListId: UUID, lineNumber: 1, scannedBinCode: "B", scannedSku: "S" },
            ops(),
          ),
      ],
      [
        "reportShortPick",
        () =>
          client.reportShortPick(
            { idempotencyKey: "nf2", pickListId: UUID, lineNumber: 1, scannedBinCode: "B", reason: "gone" },
            ops(),
          ),
      ],
      [
        "packFulfillment",
        () =>
          client.packFulfillment(
            {
              idempotencyKey: "nf3",
              fulfillmentId: UUID,
              dimensions: { lengthMm: 1, widthMm: 1, heightMm: 1 },
              measuredWeightGrams: 5,
            },
            ops(),
          ),
      ],
      [
        "recordQcResults",
        () =>
          client.recordQcResults(
            {
              idempotencyKey: "nf4",
              packageId: UUID,
              results: [{ orderLineNumber: 1, unitIndex: 1, outcome: QcOutcome.PASS }],
            },
            ops(),
          ),
      ],
      [
        "shipFulfillment",
        () =>
          client.shipFulfillment(
            { idempotencyKey: "nf5", fulfillmentId: UUID, carrier: "dhl", trackingNumber: "T1" },
            ops(),
          ),
      ],
      [
        "confirmDelivery",
        () => client.confirmDelivery({ idempotencyKey: "nf6", fulfillmentId: UUID }, ops()),
      ],
      ["getFulfillmentOrder", () => client.getFulfillmentOrder({ fulfillmentId: UUID }, ops())],
      [
        "requestReturn",
        () =>
          client.requestReturn(
            {
              idempotencyKey: "nf7",
              fulfillmentId: UUID,
              customerId: "c",
              lines: [{ orderLineNumber: 1, quantity: 1 }],
              reason: ReturnReason.DEFECTIVE,
            },
            as("storefront"),
          ),
      ],
      ["authorizeReturn", () => client.authorizeReturn({ idempotencyKey: "nf8", returnId: UUID }, ops())],
      [
        "rejectReturn",
        () => client.rejectReturn({ idempotencyKey: "nf9", returnId: UUID, reason: "no" }, ops()),
      ],
      [
        "receiveReturn",
        () =>
          client.receiveReturn(
            {
              idempotencyKey: "nf10",
              returnId: UUID,
              warehouseCode: "W1",
              lines: [{ orderLineNumber: 1, quantity: 1 }],
            },
            ops(),
          ),
      ],
      [
        "inspectReturn",
        () =>
          client.inspectReturn(
            {
              idempotencyKey: "nf11",
              returnId: UUID,
              dispositions: [{ orderLineNumber: 1, condition: ReturnCondition.SELLABLE, quantity: 1 }],
            },
            ops(),
          ),
      ],
      ["getReturn", () => client.getReturn({ returnId: UUID, customerId: "c" }, as("storefront"))],
    ];
    for (const [name, call] of cases) {
      it(name, async () => {
        const before = await rowCounts();
        expect((await failure(call())).code).toBe(status.NOT_FOUND);
        expect(await rowCounts()).toEqual(before);
      });
    }
  });

  it("empty queries answer empty pages; BuildWave on a warehouse with nothing open is FAILED_PRECONDITION", async () => {
    expect(await client.listFulfillmentOrders({ warehouseCode: "W1" }, as("ops"))).toMatchObject({
      fulfillments: [],
      nextPageToken: "",
    });
    expect(await client.listReturnsAwaitingAction({}, as("admin"))).toMatchObject({
      returns: [],
      nextPageToken: "",
    });
    const before = await rowCounts();
    const err = await failure(
      client.buildWave({ idempotencyKey: "empty-wave", warehouseCode: "W1" }, as("ops")),
    );
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(await rowCounts()).toEqual(before);
  });
});
