// The warehouse floor for integration tests: a real warehouse process (its own schema), a migrated
// fulfillment schema, the fulfillment's use cases wired to the warehouse over gRPC, and FulfillmentService
// served in-process on free ports with a client and real tokens. Fulfillments start as the order-events
// consumer starts them (createFulfillments in a transaction) and are verified by the command worker.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createTokenIssuer, createTokenVerifier, type Role } from "@stockroom/auth";
import { createDb, type Kysely } from "@stockroom/db";
import {
  type ApiServers,
  createClient,
  createGrpcServer,
  startApiServers,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { FulfillmentService } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_service_pb.js";
import { PaymentMethod } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { createTestSchema, type TestSchema, uniqueSuffix } from "@stockroom/testkit";
import { buildUseCases, type UseCases } from "../../src/app/build-use-cases.ts";
import type { CatalogPort } from "../../src/app/catalog.port.ts";
import { createUseCaseDeps, type UseCaseDeps } from "../../src/app/use-case-deps.ts";
import type { FulfillmentDatabase } from "../../src/data/database.ts";
import type { QcPolicy } from "../../src/domain/package.ts";
import { DEFAULT_REFUND_POLICY, DEFAULT_RETURN_WINDOW_MS } from "../../src/domain/return-rules.ts";
import {
  createFulfillmentHandler,
  FULFILLMENT_POLICY,
} from "../../src/transport/grpc/fulfillment.handler.ts";
import {
  createWarehouseClient,
  isRetryableWarehouseError,
} from "../../src/transport/grpc/warehouse.client.ts";
import { startWarehouseProcess, TEST_JWT, type WarehouseProcess } from "./warehouse-process.ts";

export const MIGRATIONS = fileURLToPath(new URL("../../../../migrations/fulfillment", import.meta.url));

export interface StockBuckets {
  onHand: bigint;
  reserved: bigint;
  committed: bigint;
  damaged: bigint;
  qualityControl: bigint;
}

export interface FloorFixture {
  warehouse: WarehouseProcess;
  schema: TestSchema;
  db: Kysely<FulfillmentDatabase>;
  deps: UseCaseDeps;
  useCases: UseCases;
  client: TypedClient<typeof FulfillmentService>;
  as(role: Role): { metadata: Record<string, string> };
  // A warehouse with bins (code → pick sequence) and stock put away in them.
  seedWarehouse(
    code: string,
    stock: { sku: string; bin: string; sequence: number; quantity: number }[],
  ): Promise<void>;
  // A confirmed order of `quantity` units of sku in warehouse code, its fulfillment verified (open).
  openFulfillment(code: string, sku: string, quantity: number, unitPriceMinor?: number): Promise<string>;
  // Runs the command worker until it claims nothing (each command once).
  drainCommands(): Promise<void>;
  level(code: string, sku: string): Promise<StockBuckets>;
  // Moves the fulfillment's clock (the warehouse keeps its own) by ms; 0 puts it back.
  setClockOffset(ms: number): void;
  cleanup(): Promise<void>;
}

export async function createFloorFixture(
  options: { qcPolicy?: QcPolicy; catalog?: CatalogPort } = {},
): Promise<FloorFixture> {
  let clockOffsetMs = 0;
  const [warehouse, schema] = await Promise.all([
    startWarehouseProcess(),
    createTestSchema({ migrations: MIGRATIONS, poolMax: 8 }),
  ]);
  const port = createWarehouseClient({ address: warehouse.address, jwt: TEST_JWT });
  const db = createDb<FulfillmentDatabase>(schema.pool);
  const deps = createUseCaseDeps(db, {
    warehouse: port,
    topics: { fulfillment: `fulfillment-${uniqueSuffix()}`, return: `return-${uniqueSuffix()}` },
    ...(options.catalog && { catalog: options.catalog }),
    ...(options.qcPolicy && { qcPolicy: options.qcPolicy }),
    clock: () => new Date(Date.now() + clockOffsetMs),
  });
  const useCases = buildUseCases(deps, {
    commandWorker: { batchSize: 50, leaseMs: 30_000, isRetryable: isRetryableWarehouseError },
    returnWindowMs: DEFAULT_RETURN_WINDOW_MS,
    refundPolicy: DEFAULT_REFUND_POLICY,
  });
  const server = createGrpcServer({
    logger: createLogger({ service: "fulfillment-floor-test", level: "silent" }),
    registry: createMetricsRegistry({ service: "fulfillment-floor-test", collectDefaults: false }),
    verifier: createTokenVerifier(TEST_JWT),
  });
  server.register(FulfillmentService, createFulfillmentHandler(useCases), FULFILLMENT_POLICY);
  const api: ApiServers = await startApiServers(server, {
    logger: createLogger({ service: "fulfillment-floor-test", level: "silent" }),
    host: "127.0.0.1",
    grpcPort: 0,
    httpPort: 0,
  });
  const client = createClient(FulfillmentService, `127.0.0.1:${api.grpcPort}`, { defaultDeadlineMs: 20_000 });
  const issuer = createTokenIssuer(TEST_JWT);
  const tokens = new Map<Role, string>();
  for (const role of ["storefront", "ops", "admin", "service"] as const) {
    tokens.set(role, await issuer.issue({ subject: `floor-${role}`, roles: [role], ttlSec: 3600 }));
  }

  async function drainCommands(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const tick = await useCases.commands.sendDue();
      if (tick.failed > 0) {
        const { rows } = await schema.pool.query(
          "SELECT kind, last_error FROM warehouse_commands WHERE status = 'failed'",
        );
        throw new Error(`warehouse commands failed: ${JSON.stringify(rows)}`);
      }
      if (tick.claimed === 0) return;
    }
    throw new Error("commands kept coming");
  }

  return {
    warehouse,
    schema,
    db,
    deps,
    useCases,
    client,
    as: (role) => ({ metadata: { authorization: `Bearer ${tokens.get(role)}` } }),
    async seedWarehouse(code, stock) {
      await warehouse.admin.createWarehouse({
        idempotencyKey: `create-${code}`,
        warehouse: { code, name: code, capacityUnits: 1_000_000n },
      });
      const bins = new Map(stock.map((s) => [s.bin, s.sequence]));
      for (const [bin, sequence] of bins) {
        await warehouse.admin.createBin({
          idempotencyKey: `bin-${code}-${bin}`,
          bin: {
            warehouseCode: code,
            code: bin,
            zone: "A",
            aisle: "01",
            position: bin,
            pickSequence: sequence,
          },
        });
      }
      await warehouse.admin.receiveStock({
        idempotencyKey: `receipt-${code}-${uniqueSuffix()}`,
        warehouseCode: code,
        reference: { type: "purchase_order", id: `PO-${code}` },
        lines: stock.map((s) => ({ sku: s.sku, quantity: s.quantity, binCode: s.bin })),
      });
    },
    async openFulfillment(code, sku, quantity, unitPriceMinor = 1_000) {
      const orderId = randomUUID();
      const { reservation } = await warehouse.warehouse.reserve({
        idempotencyKey: `checkout-${orderId}`,
        reference: { type: "checkout", id: orderId },
        lines: [{ sku, quantity, warehouseCode: code }],
        paymentMethod: PaymentMethod.CARD,
      });
      const reservationId = reservation?.reservationId ?? "";
      await warehouse.warehouse.confirmReservation({
        idempotencyKey: `confirm-${orderId}`,
        reservationId,
        order: { type: "order", id: orderId },
      });
      const [created] = await deps.transaction((trx) =>
        useCases.orderEvents.createFulfillments(trx, {
          orderId,
          customerId: "cust-floor",
          currency: "EUR",
          reservationId,
          lines: [
            {
              orderLineNumber: 1,
              sku,
              unitPriceMinor,
              allocations: [{ warehouseCode: code, lotCode: "", quantity }],
            },
          ],
        }),
      );
      if (!created) throw new Error("no fulfillment created");
      await drainCommands();
      return created.fulfillmentId;
    },
    drainCommands,
    setClockOffset: (ms) => {
      clockOffsetMs = ms;
    },
    async level(code, sku) {
      const { stock } = await warehouse.warehouse.getStock({ sku, warehouseCode: code });
      const level = stock?.levels.find((l) => l.warehouseCode === code);
      if (!level) throw new Error(`no level of ${sku} in ${code}`);
      return {
        onHand: level.onHand,
        reserved: level.reserved,
        committed: level.committed,
        damaged: level.damaged,
        qualityControl: level.qualityControl,
      };
    },
    async cleanup() {
      client.close();
      await api.shutdown(1_000);
      port.close();
      await schema.drop();
      await warehouse.stop();
    },
  };
}
