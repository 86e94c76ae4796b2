// Contract tests of WarehouseAdminService: an in-process server over a migrated test schema, called with
// the generated typed client and real tokens. Roles, field paths of bad input, streaming in both
// directions and the encoding of ledger rows.
import { fileURLToPath } from "node:url";
import { createTokenIssuer, createTokenVerifier, type Role } from "@stockroom/auth";
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
  TransferStatus,
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
import { listLotBinUnits } from "../src/data/lot-bin-units.repo.ts";
import {
  createWarehouseAdminHandler,
  WAREHOUSE_ADMIN_POLICY,
} from "../src/transport/grpc/warehouse-admin.handler.ts";
import { TEST_SETTINGS } from "./support/warehouse-fixture.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const SECRET = "admin-contract-secret-0123456789abcdef";
const AUTH = { issuer: "stockroom", audience: "stockroom" };

let schema: TestSchema;
let db: Kysely<WarehouseDatabase>;
let server: GrpcServer;
let endpoint: ContractEndpoint;
let client: TypedClient<typeof WarehouseAdminService>;
const tokens = new Map<Role, string>();
let keys = 0;
const key = () => `admin-contract-${++keys}`;

function as(role: Role) {
  return { metadata: { authorization: `Bearer ${tokens.get(role)}` } };
}

async function failure(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  return err;
}

const warehouse = (code: string) => ({
  code,
  name: `Warehouse ${code}`,
  address: "Quay 4",
  location: { latitude: 48.1, longitude: 11.6 },
  capacityUnits: 1000n,
  fillAlertRatio: 0.8,
  capacityPolicy: CapacityPolicy.FLAG,
  priority: 3,
  active: true,
});

describe.each(CONTRACT_TRANSPORTS)("over $name", (transport) => {
  beforeAll(async () => {
    schema = await createTestSchema({ migrations: MIGRATIONS });
    db = createDb<WarehouseDatabase>(schema.pool);
    server = createGrpcServer({
      logger: createLogger({ service: "warehouse-admin-contract", level: "silent" }),
      registry: createMetricsRegistry({ service: "warehouse-admin-contract", collectDefaults: false }),
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
    for (const role of ["storefront", "ops", "admin", "service"] as const) {
      tokens.set(role, await issuer.issue({ subject: `test-${role}`, roles: [role] }));
    }
    await client.createWarehouse({ idempotencyKey: key(), warehouse: warehouse("NORTH") }, as("admin"));
    await client.createWarehouse({ idempotencyKey: key(), warehouse: warehouse("SOUTH") }, as("admin"));
  });

  afterAll(async () => {
    await endpoint?.close();
    await schema?.drop();
  });

  describe("warehouses", () => {
    it("round-trips a warehouse and keeps structure changes to admins", async () => {
      const { warehouse: got } = await client.getWarehouse({ code: "NORTH" }, as("ops"));
      expect(got).toMatchObject({
        code: "NORTH",
        capacityUnits: 1000n,
        fillAlertRatio: 0.8,
        capacityPolicy: CapacityPolicy.FLAG,
        priority: 3,
      });
      expect(got?.location).toMatchObject({ latitude: 48.1, longitude: 11.6 });
      expect(
        (
          await failure(
            client.createWarehouse({ idempotencyKey: key(), warehouse: warehouse("EAST") }, as("ops")),
          )
        ).code,
      ).toBe(status.PERMISSION_DENIED);
      expect((await failure(client.getWarehouse({ code: "NORTH" }, as("storefront")))).code).toBe(
        status.PERMISSION_DENIED,
      );
      const bad = await failure(
        client.createWarehouse(
          { idempotencyKey: key(), warehouse: { ...warehouse("EAST"), capacityUnits: 0n } },
          as("admin"),
        ),
      );
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.errorDetail?.field).toBe("warehouse.capacity_units");
      expect((await failure(client.getWarehouse({ code: "NOWHERE" }, as("ops")))).code).toBe(
        status.NOT_FOUND,
      );
    });

    it("creates a warehouse active when the request leaves `active` unset, and deactivates it on update", async () => {
      const { active: _unset, ...withoutActive } = warehouse("WEST");
      const { warehouse: created } = await client.createWarehouse(
        { idempotencyKey: key(), warehouse: withoutActive },
        as("admin"),
      );
      expect(created?.active).toBe(true);
      const { warehouse: updated } = await client.updateWarehouse(
        { idempotencyKey: key(), warehouse: { ...withoutActive, active: false } },
        as("admin"),
      );
      expect(updated?.active).toBe(false);
    });
  });

  describe("bins", () => {
    it("DeleteBin validates its code as CreateBin does, naming the field and echoing nothing back", async () => {
      for (const code of ["", "x".repeat(1_000), "lower case"]) {
        const created = await failure(
          client.createBin(
            { idempotencyKey: key(), bin: { warehouseCode: "NORTH", code, pickSequence: 1 } },
            as("admin"),
          ),
        );
        expect(created.code).toBe(status.INVALID_ARGUMENT);
        expect(created.errorDetail?.field).toBe("bin.code");
        const deleted = await failure(
          client.deleteBin({ idempotencyKey: key(), warehouseCode: "NORTH", code }, as("admin")),
        );
        expect(deleted.code).toBe(status.INVALID_ARGUMENT);
        expect(deleted.errorDetail?.field).toBe("code");
        expect(deleted.details).not.toContain("x".repeat(100));
      }
      await client.createBin(
        { idempotencyKey: key(), bin: { warehouseCode: "NORTH", code: "A-01", pickSequence: 1 } },
        as("admin"),
      );
      await client.deleteBin({ idempotencyKey: key(), warehouseCode: "NORTH", code: "A-01" }, as("admin"));
      const gone = await failure(
        client.deleteBin({ idempotencyKey: key(), warehouseCode: "NORTH", code: "A-01" }, as("admin")),
      );
      expect(gone.code).toBe(status.NOT_FOUND);
    });
  });

  describe("timestamp inputs", () => {
    it("ListMovements and ExportMovements refuse filters outside years 1-9999, naming every field", async () => {
      const year10000 = { seconds: 253_402_300_800n, nanos: 0 };
      const year0 = { seconds: -62_135_596_801n, nanos: 0 };
      const err = await failure(client.listMovements({ from: year0, to: year10000 }, as("ops")));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.statusDetails?.badRequest?.fieldViolations.map((v) => v.field)).toEqual(["from", "to"]);
      const badNanos = await failure(client.listMovements({ from: { seconds: 0n, nanos: -1 } }, as("ops")));
      expect(badNanos.errorDetail?.field).toBe("from");
      const exported = await failure(
        (async () => {
          for await (const _chunk of client.exportMovements({ filter: { to: year10000 } }, as("ops"))) {
            // nothing is expected
          }
        })(),
      );
      expect(exported.code).toBe(status.INVALID_ARGUMENT);
      expect(exported.errorDetail?.field).toBe("filter.to");
      // The edges themselves are accepted.
      await client.listMovements(
        {
          from: { seconds: -62_135_596_800n, nanos: 0 },
          to: { seconds: 253_402_300_799n, nanos: 999_999_999 },
        },
        as("ops"),
      );
    });
  });

  describe("receipts into bins", () => {
    const receipt = (lines: { sku: string; quantity: number; lotCode?: string; binCode?: string }[]) => ({
      idempotencyKey: key(),
      warehouseCode: "NORTH",
      reference: { type: "purchase_order", id: "PO-BIN" },
      lines,
    });

    // What a refused receipt must leave untouched: the sku's level, lots, bin units and ledger.
    async function stockOf(sku: string) {
      const [levels, lots, bins, movements] = await Promise.all([
        db.selectFrom("stock_levels").selectAll().where("sku", "=", sku).execute(),
        db.selectFrom("stock_lots").selectAll().where("sku", "=", sku).execute(),
        db.selectFrom("lot_bin_units").selectAll().where("sku", "=", sku).execute(),
        db.selectFrom("stock_movements").selectAll().where("sku", "=", sku).execute(),
      ]);
      return { levels, lots, bins, movements };
    }

    it("records the units of each lot in the bin they were received into", async () => {
      await client.createBin(
        { idempotencyKey: key(), bin: { warehouseCode: "NORTH", code: "A-01", pickSequence: 2 } },
        as("admin"),
      );
      await client.createBin(
        { idempotencyKey: key(), bin: { warehouseCode: "NORTH", code: "B-02", pickSequence: 1 } },
        as("admin"),
      );
      await client.receiveStock(
        receipt([
          { sku: "BIN-1", quantity: 4, lotCode: "L-1", binCode: "A-01" },
          { sku: "BIN-1", quantity: 2, lotCode: "L-1", binCode: "A-01" },
          { sku: "BIN-1", quantity: 3, binCode: "A-01" },
          { sku: "BIN-1", quantity: 5, lotCode: "L-2", binCode: "B-02" },
          // No bin: in its lot, in no bin yet.
          { sku: "BIN-1", quantity: 7, lotCode: "L-2" },
        ]),
        as("ops"),
      );
      await client.receiveStock(
        receipt([{ sku: "BIN-1", quantity: 1, lotCode: "L-1", binCode: "A-01" }]),
        as("ops"),
      );
      // In pick order (B-02 first), the untracked lot '' before L-1.
      expect(await listLotBinUnits(db, "NORTH", "BIN-1")).toEqual([
        { warehouseCode: "NORTH", sku: "BIN-1", lotCode: "L-2", binCode: "B-02", units: 5 },
        { warehouseCode: "NORTH", sku: "BIN-1", lotCode: "", binCode: "A-01", units: 3 },
        { warehouseCode: "NORTH", sku: "BIN-1", lotCode: "L-1", binCode: "A-01", units: 7 },
      ]);
      const { lots } = await stockOf("BIN-1");
      expect(Object.fromEntries(lots.map((lot) => [lot.lot_code, Number(lot.on_hand)]))).toEqual({
        "": 3,
        "L-1": 7,
        "L-2": 12,
      });
      // A bin that holds units is not deleted.
      const held = await failure(
        client.deleteBin({ idempotencyKey: key(), warehouseCode: "NORTH", code: "B-02" }, as("admin")),
      );
      expect(held.code).toBe(status.FAILED_PRECONDITION);
      const { bins } = await client.listBins({ warehouseCode: "NORTH" }, as("ops"));
      expect(bins.map((bin) => bin.code)).toContain("B-02");
    });

    it("refuses a bin the warehouse does not have with NOT_FOUND, and changes nothing", async () => {
      await client.createBin(
        { idempotencyKey: key(), bin: { warehouseCode: "SOUTH", code: "S-01" } },
        as("admin"),
      );
      const before = await stockOf("BIN-2");
      const unknown = await failure(
        client.receiveStock(
          receipt([
            { sku: "BIN-2", quantity: 4, lotCode: "L-1", binCode: "A-01" },
            // S-01 is a bin of SOUTH, not of NORTH.
            { sku: "BIN-2", quantity: 1, lotCode: "L-1", binCode: "S-01" },
          ]),
          as("ops"),
        ),
      );
      expect(unknown.code).toBe(status.NOT_FOUND);
      expect(unknown.errorDetail?.reason).toBe(ErrorReason.BIN_NOT_FOUND);
      expect(unknown.errorDetail?.metadata).toEqual({ warehouse_code: "NORTH", bin_code: "S-01" });
      expect(await stockOf("BIN-2")).toEqual(before);
      expect(before.movements).toEqual([]);
    });

    it("refuses a malformed bin code with INVALID_ARGUMENT naming the line's field, and changes nothing", async () => {
      for (const binCode of ["A".repeat(1000), "a-01", " A-01", "-A"]) {
        const bad = await failure(
          client.receiveStock(
            receipt([
              { sku: "BIN-3", quantity: 4, binCode: "A-01" },
              { sku: "BIN-3", quantity: 1, binCode },
            ]),
            as("ops"),
          ),
        );
        expect(bad.code).toBe(status.INVALID_ARGUMENT);
        expect(bad.errorDetail?.field).toBe("lines[1].bin_code");
      }
      expect(await stockOf("BIN-3")).toEqual({ levels: [], lots: [], bins: [], movements: [] });
    });
  });

  describe("stock operations", () => {
    it("receives, adjusts, refuses a bad adjustment by field, lists and exports the ledger", async () => {
      await client.receiveStock(
        {
          idempotencyKey: key(),
          warehouseCode: "NORTH",
          reference: { type: "purchase_order", id: "PO-9" },
          lines: [{ sku: "GR-1", quantity: 10 }],
        },
        as("ops"),
      );
      const { level } = await client.adjustStock(
        {
          idempotencyKey: key(),
          warehouseCode: "NORTH",
          sku: "GR-1",
          quantityDelta: -2,
          reason: AdjustmentReason.DAMAGE,
          note: "forklift",
        },
        as("ops"),
      );
      expect(level).toMatchObject({ onHand: 8n, damaged: 2n, available: 8n });
      const noReason = await failure(
        client.adjustStock(
          { idempotencyKey: key(), warehouseCode: "NORTH", sku: "GR-1", quantityDelta: -1 },
          as("ops"),
        ),
      );
      expect(noReason.errorDetail?.field).toBe("reason");
      const longNote = await failure(
        client.adjustStock(
          {
            idempotencyKey: key(),
            warehouseCode: "NORTH",
            sku: "GR-1",
            quantityDelta: -1,
            reason: AdjustmentReason.LOSS,
            note: "x".repeat(501),
          },
          as("ops"),
        ),
      );
      expect(longNote.code).toBe(status.INVALID_ARGUMENT);
      expect(longNote.errorDetail?.field).toBe("note");
      const short = await failure(
        client.adjustStock(
          {
            idempotencyKey: key(),
            warehouseCode: "NORTH",
            sku: "GR-1",
            quantityDelta: -9,
            reason: AdjustmentReason.LOSS,
          },
          as("ops"),
        ),
      );
      expect(short.code).toBe(status.FAILED_PRECONDITION);

      const first = await client.listMovements({ sku: "GR-1", pageSize: 1 }, as("ops"));
      expect(first.movements[0]).toMatchObject({
        reason: "receipt",
        onHandDelta: 10n,
        reference: { type: "purchase_order", id: "PO-9" },
      });
      expect(first.movements[0]?.balance).toMatchObject({ onHand: 10n, version: 1n });
      expect(first.movements[0]?.note).toBe("");
      const second = await client.listMovements(
        { sku: "GR-1", pageSize: 1, pageToken: first.nextPageToken },
        as("ops"),
      );
      expect(second.movements[0]).toMatchObject({
        reason: "adjust_damage",
        onHandDelta: -2n,
        damagedDelta: 2n,
        actor: "test-ops",
        note: "forklift",
      });
      expect(second.nextPageToken).toBe("");
      expect((await failure(client.listMovements({ reason: "stolen" }, as("ops")))).errorDetail?.field).toBe(
        "reason",
      );

      const decoder = new TextDecoder();
      let csv = "";
      for await (const chunk of client.exportMovements({ filter: { sku: "GR-1" } }, as("ops")))
        csv += decoder.decode(chunk.csvChunk);
      const lines = csv.trimEnd().split("\r\n");
      expect(lines).toHaveLength(3);
      expect(lines[0]?.endsWith(",incoming_after,note")).toBe(true);
      expect(lines[1]?.endsWith(",")).toBe(true);
      expect(lines[2]).toContain(",adjust_damage,test-ops,adjustment,");
      expect(lines[2]?.endsWith(",forklift")).toBe(true);
    });

    it("filters the ledger by actor, and refuses a bad actor by field", async () => {
      await client.receiveStock(
        {
          idempotencyKey: key(),
          warehouseCode: "SOUTH",
          reference: { type: "purchase_order", id: "PO-ACT" },
          lines: [{ sku: "ACT-1", quantity: 5 }],
        },
        as("admin"),
      );
      await client.adjustStock(
        {
          idempotencyKey: key(),
          warehouseCode: "SOUTH",
          sku: "ACT-1",
          quantityDelta: -1,
          reason: AdjustmentReason.LOSS,
        },
        as("ops"),
      );
      const byAdmin = await client.listMovements({ sku: "ACT-1", actor: "test-admin" }, as("ops"));
      expect(byAdmin.movements.map((m) => [m.reason, m.actor])).toEqual([["receipt", "test-admin"]]);
      const byOps = await client.listMovements({ sku: "ACT-1", actor: "test-ops" }, as("ops"));
      expect(byOps.movements.map((m) => [m.reason, m.actor])).toEqual([["adjust_loss", "test-ops"]]);
      // Across skus too: every movement test-admin made, and only those.
      const allByAdmin = await client.listMovements({ actor: "test-admin", pageSize: 1000 }, as("ops"));
      expect(allByAdmin.movements.length).toBeGreaterThan(0);
      expect(new Set(allByAdmin.movements.map((m) => m.actor))).toEqual(new Set(["test-admin"]));
      expect((await client.listMovements({ actor: "nobody" }, as("ops"))).movements).toEqual([]);

      const decoder = new TextDecoder();
      let csv = "";
      for await (const chunk of client.exportMovements(
        { filter: { sku: "ACT-1", actor: "test-ops" } },
        as("ops"),
      ))
        csv += decoder.decode(chunk.csvChunk);
      const lines = csv.trimEnd().split("\r\n");
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(",adjust_loss,test-ops,");

      const tooLong = await failure(client.listMovements({ actor: "a".repeat(201) }, as("ops")));
      expect(tooLong.code).toBe(status.INVALID_ARGUMENT);
      expect(tooLong.errorDetail?.field).toBe("actor");
      const control = await failure(client.listMovements({ actor: "test-ops\n" }, as("ops")));
      expect(control.code).toBe(status.INVALID_ARGUMENT);
      expect(control.errorDetail?.field).toBe("actor");
      const badExport = await failure(
        (async () => {
          for await (const _ of client.exportMovements({ filter: { actor: "a".repeat(201) } }, as("ops"))) {
            // A refused filter yields no rows.
          }
        })(),
      );
      expect(badExport.code).toBe(status.INVALID_ARGUMENT);
      expect(badExport.errorDetail?.field).toBe("filter.actor");
    });

    it("streams a bulk import in and answers per row", async () => {
      const adjustment = (sku: string, quantityDelta: number) => ({
        warehouseCode: "NORTH",
        sku,
        quantityDelta,
        reason: AdjustmentReason.FOUND,
      });
      const response = await client.bulkAdjustStock(
        [
          {
            importId: "grpc-import",
            rowNumber: 1,
            adjustment: { ...adjustment("BULK-G", 4), note: "found behind rack 7" },
          },
          { importId: "grpc-import", rowNumber: 2, adjustment: adjustment("bad sku!", 4) },
          { importId: "grpc-import", rowNumber: 3, adjustment: adjustment("BULK-G", -1) },
        ],
        as("ops"),
      );
      expect(response).toMatchObject({
        importId: "grpc-import",
        rowsReceived: 3,
        rowsApplied: 1,
        rowsFailed: 2,
      });
      expect(response.results[0]?.level?.onHand).toBe(4n);
      expect(response.results[1]?.error).toContain("adjustment.sku");
      expect(response.results[2]?.error).toContain("quantity_delta");
      const { movements } = await client.listMovements({ sku: "BULK-G" }, as("ops"));
      expect(movements.map((m) => [m.reason, m.note])).toEqual([["adjust_found", "found behind rack 7"]]);
    });

    it("moves stock between warehouses with a transfer", async () => {
      await client.receiveStock(
        {
          idempotencyKey: key(),
          warehouseCode: "NORTH",
          reference: { type: "purchase_order", id: "PO-T" },
          lines: [{ sku: "GR-T", quantity: 6, lotCode: "L-9", expiresOn: "2099-12-31" }],
        },
        as("ops"),
      );
      const { transfer } = await client.createTransfer(
        {
          idempotencyKey: key(),
          fromWarehouseCode: "NORTH",
          toWarehouseCode: "SOUTH",
          lines: [{ sku: "GR-T", quantity: 4 }],
        },
        as("ops"),
      );
      expect(transfer?.status).toBe(TransferStatus.REQUESTED);
      const transferId = transfer?.transferId ?? "";
      expect(
        (await client.dispatchTransfer({ idempotencyKey: key(), transferId }, as("ops"))).transfer?.status,
      ).toBe(TransferStatus.IN_TRANSIT);
      expect(
        (await client.receiveTransfer({ idempotencyKey: key(), transferId }, as("ops"))).transfer?.status,
      ).toBe(TransferStatus.RECEIVED);
      expect(
        (await failure(client.dispatchTransfer({ idempotencyKey: key(), transferId: "nope" }, as("ops"))))
          .errorDetail?.field,
      ).toBe("transfer_id");
    });

    it("records a cycle count and reconciles for admins only", async () => {
      const counted = await client.recordCycleCount(
        {
          idempotencyKey: key(),
          warehouseCode: "NORTH",
          sku: "GR-1",
          countedQuantity: 7n,
          countedBy: "carol",
        },
        as("ops"),
      );
      expect(counted).toMatchObject({ variance: -1n, level: { onHand: 7n } });
      expect((await failure(client.reconcile({}, as("ops")))).code).toBe(status.PERMISSION_DENIED);
      const reconciled = await client.reconcile({}, as("admin"));
      expect(reconciled.drifts).toEqual([]);
      expect(reconciled.levelsChecked).toBeGreaterThan(0);
    });
  });
});
