// Idempotency keys of the structure and policy RPCs of WarehouseAdminService (CreateWarehouse,
// UpdateWarehouse, CreateBin, DeleteBin, SetStockPolicy) over an in-process server and the generated
// client: a retry with the key replays the first answer and changes nothing more, the key with another
// request is refused, a missing or malformed key is INVALID_ARGUMENT, and keys are the caller's own,
// as BulkAdjustStock's import ids are.
import { fileURLToPath } from "node:url";
import { createTokenIssuer, createTokenVerifier } from "@stockroom/auth";
import { createDb, type Kysely } from "@stockroom/db";
import { ErrorReason } from "@stockroom/errors";
import {
  createGrpcServer,
  type GrpcServer,
  isGrpcCallError,
  status,
  type TypedClient,
} from "@stockroom/grpc";
import { createLogger } from "@stockroom/logging";
import { createMetricsRegistry } from "@stockroom/metrics";
import {
  AdjustmentReason,
  CapacityPolicy,
  WarehouseAdminService,
} from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
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
import type { WarehouseDatabase } from "../src/data/database.ts";
import {
  createWarehouseAdminHandler,
  WAREHOUSE_ADMIN_POLICY,
} from "../src/transport/grpc/warehouse-admin.handler.ts";
import { TEST_SETTINGS } from "./support/warehouse-fixture.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const SECRET = "admin-idempotency-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

let schema: TestSchema;
let db: Kysely<WarehouseDatabase>;
let server: GrpcServer;
let endpoint: ContractEndpoint;
let client: TypedClient<typeof WarehouseAdminService>;
// Two administrators: keys are scoped to the token's subject.
const tokens = { first: "", second: "" };
type Caller = keyof typeof tokens;

function as(caller: Caller) {
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

async function expectKeyReused(call: Promise<unknown>) {
  const err = await failure(call);
  expect(err.code).toBe(status.FAILED_PRECONDITION);
  expect(err.errorDetail?.reason).toBe(ErrorReason.IDEMPOTENCY_KEY_REUSED);
  expect(err.errorDetail?.metadata.field).toBe("idempotency_key");
}

// Missing and over-long keys, each refused naming the field.
async function expectBadKeysRefused(call: (idempotencyKey: string) => Promise<unknown>) {
  for (const idempotencyKey of ["", "k".repeat(129)]) {
    const err = await failure(call(idempotencyKey));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.errorDetail?.field).toBe("idempotency_key");
  }
}

const warehouse = (code: string, name = `Warehouse ${code}`) => ({
  code,
  name,
  address: "Quay 4",
  capacityUnits: 1000n,
  fillAlertRatio: 0.8,
  capacityPolicy: CapacityPolicy.REFUSE,
  priority: 3,
  active: true,
});

const bin = (code: string, pickSequence = 1) => ({
  warehouseCode: "IDEM",
  code,
  zone: "A",
  aisle: "1",
  position: "01",
  pickSequence,
});

async function warehouseCount(code: string): Promise<number> {
  const rows = await db.selectFrom("warehouses").select("code").where("code", "=", code).execute();
  return rows.length;
}

async function binCodes(): Promise<string[]> {
  const rows = await db
    .selectFrom("bins")
    .select("code")
    .where("warehouse_code", "=", "IDEM")
    .orderBy("code")
    .execute();
  return rows.map((r) => r.code);
}

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    schema = await createTestSchema({ migrations: MIGRATIONS });
    db = createDb<WarehouseDatabase>(schema.pool);
    server = createGrpcServer({
      logger: createLogger({ service: "warehouse-admin-idempotency", level: "silent" }),
      registry: createMetricsRegistry({ service: "warehouse-admin-idempotency", collectDefaults: false }),
      verifier: createTokenVerifier({ secret: SECRET, ...AUTH }),
    });
    server.register(
      WarehouseAdminService,
      createWarehouseAdminHandler(buildUseCases(createUseCaseDeps(db), TEST_SETTINGS).admin),
      WAREHOUSE_ADMIN_POLICY,
    );
    endpoint = await startContractEndpoint(server, transport);
    client = endpoint.client(WarehouseAdminService);
    const issuer = createTokenIssuer({ secret: SECRET, ...AUTH });
    tokens.first = await issuer.issue({ subject: "admin-first", roles: ["admin"] });
    tokens.second = await issuer.issue({ subject: "admin-second", roles: ["admin"] });
    await client.createWarehouse({ idempotencyKey: "setup-idem", warehouse: warehouse("IDEM") }, as("first"));
  });

  afterAll(async () => {
    await endpoint?.close();
    await schema?.drop();
  });

  describe("CreateWarehouse with an idempotency key", () => {
    it("replays the created warehouse to a retry: one warehouse, not ALREADY_EXISTS", async () => {
      const request = { idempotencyKey: "cw-1", warehouse: warehouse("CW-1") };
      const first = await client.createWarehouse(request, as("first"));
      const retry = await client.createWarehouse(request, as("first"));
      expect(retry).toEqual(first);
      expect(retry.warehouse?.code).toBe("CW-1");
      expect(await warehouseCount("CW-1")).toBe(1);
    });

    it("refuses the key with another request, and a missing or malformed key, creating nothing", async () => {
      await client.createWarehouse({ idempotencyKey: "cw-2", warehouse: warehouse("CW-2") }, as("first"));
      await expectKeyReused(
        client.createWarehouse({ idempotencyKey: "cw-2", warehouse: warehouse("CW-2X") }, as("first")),
      );
      await expectBadKeysRefused((idempotencyKey) =>
        client.createWarehouse({ idempotencyKey, warehouse: warehouse("CW-2Y") }, as("first")),
      );
      expect(await warehouseCount("CW-2X")).toBe(0);
      expect(await warehouseCount("CW-2Y")).toBe(0);
    });

    it("does not share a key between callers", async () => {
      const request = { idempotencyKey: "cw-3", warehouse: warehouse("CW-3") };
      await client.createWarehouse(request, as("first"));
      // The second caller's request is its own: it runs, and meets the first caller's warehouse.
      expect((await failure(client.createWarehouse(request, as("second")))).code).toBe(status.ALREADY_EXISTS);
      // Nor is its different request under the same key refused as a reuse of the first caller's.
      const other = await client.createWarehouse(
        { idempotencyKey: "cw-3", warehouse: warehouse("CW-3B") },
        as("second"),
      );
      expect(other.warehouse?.code).toBe("CW-3B");
    });
  });

  describe("UpdateWarehouse with an idempotency key", () => {
    it("replays the first answer to a retry without writing again", async () => {
      await client.createWarehouse({ idempotencyKey: "uw-setup", warehouse: warehouse("UW-1") }, as("first"));
      const request = { idempotencyKey: "uw-1", warehouse: warehouse("UW-1", "First name") };
      const first = await client.updateWarehouse(request, as("first"));
      await client.updateWarehouse(
        { idempotencyKey: "uw-2", warehouse: warehouse("UW-1", "Second name") },
        as("first"),
      );
      const retry = await client.updateWarehouse(request, as("first"));
      expect(retry).toEqual(first);
      expect(retry.warehouse?.name).toBe("First name");
      const { warehouse: stored } = await client.getWarehouse({ code: "UW-1" }, as("first"));
      expect(stored?.name).toBe("Second name");
    });

    it("refuses the key with another request and a missing or malformed key, changing nothing", async () => {
      await expectKeyReused(
        client.updateWarehouse(
          { idempotencyKey: "uw-1", warehouse: warehouse("UW-1", "Third") },
          as("first"),
        ),
      );
      await expectBadKeysRefused((idempotencyKey) =>
        client.updateWarehouse({ idempotencyKey, warehouse: warehouse("UW-1", "Fourth") }, as("first")),
      );
      const { warehouse: stored } = await client.getWarehouse({ code: "UW-1" }, as("first"));
      expect(stored?.name).toBe("Second name");
    });

    it("does not share a key between callers", async () => {
      // The first caller's uw-1 answered "First name"; the second caller's uw-1 is a new update.
      const request = { idempotencyKey: "uw-1", warehouse: warehouse("UW-1", "First name") };
      const theirs = await client.updateWarehouse(request, as("second"));
      expect(theirs.warehouse?.name).toBe("First name");
      const { warehouse: stored } = await client.getWarehouse({ code: "UW-1" }, as("first"));
      expect(stored?.name).toBe("First name");
      expect(stored?.updatedAt).toEqual(theirs.warehouse?.updatedAt);
    });
  });

  describe("CreateBin with an idempotency key", () => {
    it("replays the created bin to a retry: one bin, not ALREADY_EXISTS", async () => {
      const request = { idempotencyKey: "cb-1", bin: bin("CB-1") };
      const first = await client.createBin(request, as("first"));
      expect(await client.createBin(request, as("first"))).toEqual(first);
      expect(await binCodes()).toEqual(["CB-1"]);
    });

    it("refuses the key with another request and a missing or malformed key, creating nothing", async () => {
      await expectKeyReused(client.createBin({ idempotencyKey: "cb-1", bin: bin("CB-1", 2) }, as("first")));
      await expectBadKeysRefused((idempotencyKey) =>
        client.createBin({ idempotencyKey, bin: bin("CB-2") }, as("first")),
      );
      expect(await binCodes()).toEqual(["CB-1"]);
    });

    it("does not share a key between callers", async () => {
      const request = { idempotencyKey: "cb-1", bin: bin("CB-1") };
      expect((await failure(client.createBin(request, as("second")))).code).toBe(status.ALREADY_EXISTS);
    });
  });

  describe("DeleteBin with an idempotency key", () => {
    it("replays OK to a retry, not NOT_FOUND", async () => {
      await client.createBin({ idempotencyKey: "db-setup", bin: bin("DB-1") }, as("first"));
      const request = { idempotencyKey: "db-1", warehouseCode: "IDEM", code: "DB-1" };
      expect(await client.deleteBin(request, as("first"))).toMatchObject({});
      // Resolves (OK) where a delete without the key's record would be NOT_FOUND.
      expect(await client.deleteBin(request, as("first"))).toMatchObject({});
      expect(await binCodes()).not.toContain("DB-1");
      // A new key is a new request: the bin is gone.
      expect(
        (await failure(client.deleteBin({ ...request, idempotencyKey: "db-2" }, as("first")))).code,
      ).toBe(status.NOT_FOUND);
    });

    it("refuses the key with another request and a missing or malformed key, deleting nothing", async () => {
      await client.createBin({ idempotencyKey: "db-setup-2", bin: bin("DB-2") }, as("first"));
      await expectKeyReused(
        client.deleteBin({ idempotencyKey: "db-1", warehouseCode: "IDEM", code: "DB-2" }, as("first")),
      );
      await expectBadKeysRefused((idempotencyKey) =>
        client.deleteBin({ idempotencyKey, warehouseCode: "IDEM", code: "DB-2" }, as("first")),
      );
      expect(await binCodes()).toContain("DB-2");
    });

    it("does not share a key between callers", async () => {
      // The first caller's db-1 deleted DB-1; the second caller's db-1 is its own delete, of nothing.
      const request = { idempotencyKey: "db-1", warehouseCode: "IDEM", code: "DB-1" };
      expect((await failure(client.deleteBin(request, as("second")))).code).toBe(status.NOT_FOUND);
    });
  });

  describe("SetStockPolicy with an idempotency key", () => {
    const policy = (idempotencyKey: string, safetyStock: bigint) => ({
      idempotencyKey,
      warehouseCode: "IDEM",
      sku: "POL-IDEM",
      safetyStock,
      lowStockThreshold: 2n,
    });

    async function policyMovements(): Promise<{ reference_id: string; safety_stock_delta: string }[]> {
      const rows = await db
        .selectFrom("stock_movements")
        .select(["reference_id", "safety_stock_delta"])
        .where("sku", "=", "POL-IDEM")
        .where("reason", "=", "policy")
        .orderBy("movement_id")
        .execute();
      return rows.map((r) => ({
        reference_id: r.reference_id,
        safety_stock_delta: String(r.safety_stock_delta),
      }));
    }

    it("replays the first level to a retry and writes no second movement", async () => {
      const first = await client.setStockPolicy(policy("sp-1", 3n), as("first"));
      expect(first.level).toMatchObject({ safetyStock: 3n, lowStockThreshold: 2n });
      await client.setStockPolicy(policy("sp-2", 5n), as("first"));
      const retry = await client.setStockPolicy(policy("sp-1", 3n), as("first"));
      expect(retry).toEqual(first);
      expect(await policyMovements()).toEqual([
        { reference_id: "sp-1", safety_stock_delta: "3" },
        { reference_id: "sp-2", safety_stock_delta: "2" },
      ]);
    });

    it("refuses the key with another request and a missing or malformed key, changing nothing", async () => {
      await expectKeyReused(client.setStockPolicy(policy("sp-1", 4n), as("first")));
      await expectBadKeysRefused((idempotencyKey) =>
        client.setStockPolicy(policy(idempotencyKey, 9n), as("first")),
      );
      expect(await policyMovements()).toHaveLength(2);
    });

    it("does not share a key between callers", async () => {
      // Safety stock is 5 (sp-2); the second caller's sp-1 is its own request and sets it back to 3.
      const theirs = await client.setStockPolicy(policy("sp-1", 3n), as("second"));
      expect(theirs.level?.safetyStock).toBe(3n);
      expect((await policyMovements()).at(-1)).toEqual({ reference_id: "sp-1", safety_stock_delta: "-2" });
    });
  });

  describe("BulkAdjustStock's import_id", () => {
    const upload = (caller: Caller, quantityDelta: number) =>
      client.bulkAdjustStock(
        [
          {
            importId: "shared-import",
            rowNumber: 1,
            adjustment: {
              warehouseCode: "IDEM",
              sku: "BULK-IDEM",
              quantityDelta,
              reason: AdjustmentReason.FOUND,
            },
          },
        ],
        as(caller),
      );

    it("is the caller's own: another caller's rows under the same import id are not already applied", async () => {
      const first = await upload("first", 4);
      expect(first.results[0]).toMatchObject({ ok: true, alreadyApplied: false });
      expect(first.results[0]?.level?.onHand).toBe(4n);
      // The second caller's row 1 of "shared-import" is its own row, with other content: applied, not
      // refused as the first caller's row applied with different content.
      const second = await upload("second", 2);
      expect(second.results[0]).toMatchObject({ ok: true, alreadyApplied: false });
      expect(second.results[0]?.level?.onHand).toBe(6n);
      // Each caller's re-upload finds its own row applied and its own stored result.
      const firstAgain = await upload("first", 4);
      expect(firstAgain.results[0]).toMatchObject({ ok: true, alreadyApplied: true });
      expect(firstAgain.results[0]?.level?.onHand).toBe(4n);
      const secondAgain = await upload("second", 2);
      expect(secondAgain.results[0]).toMatchObject({ ok: true, alreadyApplied: true });
      expect(secondAgain.results[0]?.level?.onHand).toBe(6n);
      const movements = await db
        .selectFrom("stock_movements")
        .select(["actor", "on_hand_delta"])
        .where("sku", "=", "BULK-IDEM")
        .orderBy("movement_id")
        .execute();
      expect(movements.map((m) => [m.actor, Number(m.on_hand_delta)])).toEqual([
        ["admin-first", 4],
        ["admin-second", 2],
      ]);
    });
  });
});
