// RebuildAvailability against a real warehouse: the warehouse's own use cases over a migrated schema behind
// an in-process WarehouseService, asked over gRPC with a service token. The rebuild makes each sku's rows
// the warehouse's answer: rows of warehouses it no longer reports are deleted, rows a live event applied
// after the rebuild asked are kept, and the cached view is replaced even though deleting a row lowers the
// projection version.
import { createTokenVerifier } from "@stockroom/auth";
import { createGrpcServer, type GrpcServer } from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { WarehouseService } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TTL_POLICY } from "../../warehouse/src/domain/reservation-ttl.ts";
import {
  createWarehouseHandler,
  WAREHOUSE_POLICY,
} from "../../warehouse/src/transport/grpc/warehouse.handler.ts";
import {
  createWarehouseFixture,
  insertWarehouse,
  receive,
  type WarehouseFixture,
} from "../../warehouse/test/support/warehouse-fixture.ts";
import type { FetchStockLevels } from "../src/app/rebuild-availability.ts";
import { createWarehouseStockFetcher } from "../src/transport/grpc/warehouse-stock.client.ts";
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
  stockEvent,
} from "./support/catalog-fixture.ts";

const JWT = { secret: "rebuild-test-secret-0123456789abcdef", issuer: "stockroom", audience: "stockroom" };

let warehouse: WarehouseFixture;
let catalog: CatalogFixture;
let server: GrpcServer;
let stock: ReturnType<typeof createWarehouseStockFetcher>;

beforeAll(async () => {
  [warehouse, catalog] = await Promise.all([createWarehouseFixture({ poolMax: 4 }), createCatalogFixture()]);
  server = createGrpcServer({
    logger: createLogger({ service: "catalog-rebuild-warehouse", level: "silent" }),
    registry: createMetricsRegistry({ service: "catalog-rebuild-warehouse", collectDefaults: false }),
    verifier: createTokenVerifier(JWT),
  });
  server.register(
    WarehouseService,
    createWarehouseHandler(warehouse.useCases, DEFAULT_TTL_POLICY),
    WAREHOUSE_POLICY,
  );
  const port = await server.start("127.0.0.1:0");
  stock = createWarehouseStockFetcher({ address: `127.0.0.1:${port}`, jwt: JWT });
  await insertWarehouse(warehouse.db, "W1");
  await insertWarehouse(warehouse.db, "W2");
});

afterAll(async () => {
  stock?.close();
  await server?.shutdown(1_000);
  await catalog?.cleanup();
  await warehouse?.drop();
});

async function rowsOf(sku: string) {
  const { rows } = await catalog.schema.pool.query(
    "SELECT warehouse_code, available::int, level_version::int FROM availability_by_warehouse WHERE sku = $1 ORDER BY warehouse_code",
    [sku],
  );
  return rows;
}

let rebuilds = 0;

// Each rebuild under a key of its own.
function rebuildWith(fetch: FetchStockLevels) {
  const rebuild = catalog.useCasesWith({ fetchStockLevels: fetch }).admin.rebuildAvailability;
  return (skus: string[]) => rebuild({ idempotencyKey: `rebuild-${++rebuilds}`, skus }, CONTEXT);
}

describe("rebuild availability from the warehouse", () => {
  it("deletes rows of warehouses the warehouse no longer reports, and replaces the cached view", async () => {
    await catalog.createProduct(productInput("RB-1"), CONTEXT);
    await receive(warehouse.useCases, "W1", [{ sku: "RB-1", quantity: 5 }]);
    await receive(warehouse.useCases, "W2", [{ sku: "RB-1", quantity: 3 }]);
    // A warehouse the catalog once heard of and the warehouse service no longer reports for RB-1.
    await catalog.apply(stockEvent({ sku: "RB-1", warehouseCode: "GONE", version: 2, onHand: 7 }));
    const before = await catalog.getProduct("RB-1");
    expect(before.availability.warehouses.map((w) => w.warehouseCode)).toEqual(["GONE"]);

    const result = await rebuildWith(stock.fetch)(["RB-1"]);

    expect(result).toEqual({ skusRebuilt: 1, rowsWritten: 2, rowsRemoved: 1 });
    expect(await rowsOf("RB-1")).toEqual([
      { warehouse_code: "W1", available: 5, level_version: 1 },
      { warehouse_code: "W2", available: 3, level_version: 1 },
    ]);
    // The old view's projection version (1 + 2) equals the new one's (1 + 1 + 1): the cache must still
    // not serve the view holding GONE.
    const after = await catalog.getProduct("RB-1");
    expect(after.availability.warehouses.map((w) => [w.warehouseCode, w.available])).toEqual([
      ["W1", 5],
      ["W2", 3],
    ]);
    expect(after.availability.totalAvailable).toBe(8);
  });

  it("deletes every row of a sku the warehouse holds no level of, and leaves other skus alone", async () => {
    await catalog.createProduct(productInput("RB-2"), CONTEXT);
    await catalog.createProduct(productInput("RB-3"), CONTEXT);
    await catalog.apply(stockEvent({ sku: "RB-2", warehouseCode: "W1", version: 4, onHand: 2 }));
    await catalog.apply(stockEvent({ sku: "RB-3", warehouseCode: "W9", version: 1, onHand: 6 }));

    const result = await rebuildWith(stock.fetch)(["RB-2"]);

    expect(result).toEqual({ skusRebuilt: 1, rowsWritten: 0, rowsRemoved: 1 });
    expect(await rowsOf("RB-2")).toEqual([]);
    expect((await catalog.getProduct("RB-2")).availability.warehouses).toEqual([]);
    expect(await rowsOf("RB-3")).toEqual([{ warehouse_code: "W9", available: 6, level_version: 1 }]);
  });

  it("keeps a row a live event applied after the rebuild asked the warehouse", async () => {
    await catalog.createProduct(productInput("RB-4"), CONTEXT);
    await receive(warehouse.useCases, "W1", [{ sku: "RB-4", quantity: 4 }]);
    await catalog.apply(stockEvent({ sku: "RB-4", warehouseCode: "OLD", version: 3, onHand: 1 }));
    // The warehouse answers; then, before the rebuild writes, the consumer applies a level of a warehouse
    // the answer does not hold yet (received after the warehouse read).
    const answerThenLiveEvent: FetchStockLevels = async (skus) => {
      const levels = await stock.fetch(skus);
      await catalog.apply(stockEvent({ sku: "RB-4", warehouseCode: "NEW", version: 1, onHand: 9 }));
      return levels;
    };

    const result = await rebuildWith(answerThenLiveEvent)(["RB-4"]);

    expect(result).toEqual({ skusRebuilt: 1, rowsWritten: 1, rowsRemoved: 1 });
    expect(await rowsOf("RB-4")).toEqual([
      { warehouse_code: "NEW", available: 9, level_version: 1 },
      { warehouse_code: "W1", available: 4, level_version: 1 },
    ]);
  });

  it("never moves a reported row backwards: a newer row stays, only missing warehouses go", async () => {
    await catalog.createProduct(productInput("RB-5"), CONTEXT);
    await receive(warehouse.useCases, "W1", [{ sku: "RB-5", quantity: 2 }]);
    // The catalog already holds a newer level of W1 than the warehouse's answer will (an event overtook it).
    await catalog.apply(stockEvent({ sku: "RB-5", warehouseCode: "W1", version: 5, onHand: 1 }));
    await catalog.apply(stockEvent({ sku: "RB-5", warehouseCode: "W2", version: 2, onHand: 3 }));

    const result = await rebuildWith(stock.fetch)(["RB-5"]);

    expect(result).toEqual({ skusRebuilt: 1, rowsWritten: 0, rowsRemoved: 1 });
    expect(await rowsOf("RB-5")).toEqual([{ warehouse_code: "W1", available: 1, level_version: 5 }]);
  });
});
