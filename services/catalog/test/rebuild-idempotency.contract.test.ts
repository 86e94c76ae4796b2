// RebuildAvailability's idempotency key over an in-process CatalogAdminService and the generated client,
// against a real schema and Redis; the warehouse port is a function the test controls, so it can count
// the warehouse calls, change the warehouse's answer between calls and hold a rebuild mid-run. A retry
// replays the first run's answer and rebuilds nothing; a second call while the first runs is ABORTED;
// another request under the key is refused; a failed run may run again; keys are the caller's own.
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { ErrorReason, unavailable } from "@stockroom/errors";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import { CatalogAdminService } from "@stockroom/proto/stockroom/catalog/v1/catalog_admin_service_pb.js";
import { CONTRACT_TRANSPORTS, type ContractEndpoint, startContractEndpoint } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WarehouseStockLevel } from "../src/domain/availability.ts";
import {
  CATALOG_ADMIN_POLICY,
  createCatalogAdminHandler,
} from "../src/transport/grpc/catalog-admin.handler.ts";
import {
  type CatalogFixture,
  CONTEXT,
  createCatalogFixture,
  productInput,
} from "./support/catalog-fixture.ts";

const SECRET = "rebuild-idempotency-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

let f: CatalogFixture;
let server: GrpcServer;
let endpoint: ContractEndpoint;
let admin: TypedClient<typeof CatalogAdminService>;
const tokens = { first: "", second: "" };

// The warehouse as the test wants it: available units per sku, a call count, and an optional hold or
// failure of the next calls.
const warehouse = {
  available: new Map<string, number>(),
  version: 10,
  calls: 0,
  gate: undefined as Promise<void> | undefined,
  failure: undefined as Error | undefined,
};

async function fetchStockLevels(skus: readonly string[]): Promise<WarehouseStockLevel[]> {
  warehouse.calls++;
  if (warehouse.gate) await warehouse.gate;
  if (warehouse.failure) throw warehouse.failure;
  return skus.map((sku) => {
    const available = warehouse.available.get(sku) ?? 0;
    return {
      sku,
      warehouseCode: "WR",
      available,
      onHand: available,
      reserved: 0,
      committed: 0,
      levelVersion: warehouse.version,
      updatedAt: new Date(),
    };
  });
}

function as(caller: keyof typeof tokens) {
  return { metadata: { authorization: `Bearer ${tokens[caller]}` } };
}

async function failure(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  return err;
}

async function availableOf(sku: string): Promise<number | undefined> {
  const { rows } = await f.schema.pool.query<{ available: number }>(
    "SELECT available::int FROM availability_by_warehouse WHERE sku = $1 AND warehouse_code = 'WR'",
    [sku],
  );
  return rows[0]?.available;
}

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    // Each transport's run starts from the same warehouse as the first did.
    Object.assign(warehouse, {
      available: new Map<string, number>(),
      version: 10,
      calls: 0,
      gate: undefined,
      failure: undefined,
    });
    f = await createCatalogFixture();
    server = createGrpcServer({
      logger: createLogger({ service: "catalog-rebuild-idempotency", level: "silent" }),
      registry: createMetricsRegistry({ service: "catalog-rebuild-idempotency", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(
      CatalogAdminService,
      createCatalogAdminHandler(f.useCasesWith({ fetchStockLevels }).admin),
      CATALOG_ADMIN_POLICY,
    );
    endpoint = await startContractEndpoint(server, transport);
    admin = endpoint.client(CatalogAdminService);
    const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
    tokens.first = await issuer.issue({ subject: "admin-first", roles: ["admin"] });
    tokens.second = await issuer.issue({ subject: "admin-second", roles: ["admin"] });
    for (const sku of ["RI-1", "RI-2", "RI-3", "RI-4", "RI-5", "RI-6"])
      await f.createProduct(productInput(sku), CONTEXT);
  });

  afterAll(async () => {
    await endpoint?.close();
    await f?.cleanup();
  });

  describe("RebuildAvailability with an idempotency key", () => {
    it("replays the first run's answer to a retry and rebuilds nothing more", async () => {
      warehouse.available.set("RI-1", 4);
      const first = await admin.rebuildAvailability({ idempotencyKey: "ri-1", skus: ["RI-1"] }, as("first"));
      expect(first).toMatchObject({ skusRebuilt: 1n, rowsWritten: 1n, rowsRemoved: 0n });
      const calls = warehouse.calls;
      // The warehouse now answers differently: a rebuild would write it.
      warehouse.available.set("RI-1", 9);
      warehouse.version = 11;
      const retry = await admin.rebuildAvailability({ idempotencyKey: "ri-1", skus: ["RI-1"] }, as("first"));
      expect(retry).toEqual(first);
      expect(warehouse.calls).toBe(calls);
      expect(await availableOf("RI-1")).toBe(4);
      // The same skus repeated or reordered are the same request.
      await admin.rebuildAvailability({ idempotencyKey: "ri-2", skus: ["RI-2", "RI-6"] }, as("first"));
      const reordered = await admin.rebuildAvailability(
        { idempotencyKey: "ri-2", skus: ["RI-6", "RI-2", "RI-6"] },
        as("first"),
      );
      expect(reordered.skusRebuilt).toBe(2n);
    });

    it("refuses the key with other skus, and a missing or malformed key, rebuilding nothing", async () => {
      const calls = warehouse.calls;
      const reused = await failure(
        admin.rebuildAvailability({ idempotencyKey: "ri-1", skus: ["RI-3"] }, as("first")),
      );
      expect(reused.code).toBe(status.FAILED_PRECONDITION);
      expect(reused.errorDetail?.reason).toBe(ErrorReason.IDEMPOTENCY_KEY_REUSED);
      expect(reused.errorDetail?.metadata.field).toBe("idempotency_key");
      for (const idempotencyKey of ["", "k".repeat(129)]) {
        const bad = await failure(admin.rebuildAvailability({ idempotencyKey, skus: ["RI-3"] }, as("first")));
        expect(bad.code).toBe(status.INVALID_ARGUMENT);
        expect(bad.errorDetail?.field).toBe("idempotency_key");
      }
      expect(warehouse.calls).toBe(calls);
      expect(await availableOf("RI-3")).toBeUndefined();
    });

    it("refuses a second call with the key while the first runs, then replays the first's answer", async () => {
      warehouse.available.set("RI-3", 6);
      let open = () => {};
      warehouse.gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const request = { idempotencyKey: "ri-3", skus: ["RI-3"] };
      const calls = warehouse.calls;
      const first = admin.rebuildAvailability(request, as("first"));
      // The first run holds the key once it has asked the warehouse.
      for (let i = 0; i < 200 && warehouse.calls === calls; i++) await new Promise((r) => setTimeout(r, 10));
      expect(warehouse.calls).toBe(calls + 1);
      const busy = await failure(admin.rebuildAvailability(request, as("first")));
      expect(busy.code).toBe(status.ABORTED);
      expect(busy.errorDetail?.reason).toBe(ErrorReason.CONCURRENT_MODIFICATION);
      expect(busy.errorDetail?.field).toBe("idempotency_key");
      expect(warehouse.calls).toBe(calls + 1);
      warehouse.gate = undefined;
      open();
      const answer = await first;
      expect(answer).toMatchObject({ skusRebuilt: 1n, rowsWritten: 1n });
      expect(await admin.rebuildAvailability(request, as("first"))).toEqual(answer);
      expect(warehouse.calls).toBe(calls + 1);
    });

    it("lets a key whose run failed run again", async () => {
      warehouse.available.set("RI-4", 2);
      warehouse.failure = unavailable("warehouse down");
      const request = { idempotencyKey: "ri-4", skus: ["RI-4"] };
      expect((await failure(admin.rebuildAvailability(request, as("first")))).code).toBe(status.UNAVAILABLE);
      warehouse.failure = undefined;
      expect(await admin.rebuildAvailability(request, as("first"))).toMatchObject({ rowsWritten: 1n });
      expect(await availableOf("RI-4")).toBe(2);
    });

    it("does not share a key between callers", async () => {
      // The first caller's ri-1 rebuilt RI-1 at 4; the warehouse says 9 now. The second caller's ri-1 runs.
      const calls = warehouse.calls;
      const theirs = await admin.rebuildAvailability(
        { idempotencyKey: "ri-1", skus: ["RI-1"] },
        as("second"),
      );
      expect(warehouse.calls).toBe(calls + 1);
      expect(theirs).toMatchObject({ skusRebuilt: 1n, rowsWritten: 1n });
      expect(await availableOf("RI-1")).toBe(9);
      // Nor is another request under that key a reuse of the first caller's.
      warehouse.available.set("RI-5", 1);
      const other = await admin.rebuildAvailability({ idempotencyKey: "ri-3", skus: ["RI-5"] }, as("second"));
      expect(other).toMatchObject({ skusRebuilt: 1n, rowsWritten: 1n });
    });
  });
});
