// Admin stock use cases against a real PostgreSQL schema: warehouses, bins, stock policy, adjustments
// and reconciliation of the balances with the ledger.
import { fileURLToPath } from "node:url";
import { createDb, type Kysely } from "@stockroom/db";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CreateBinCommand } from "../src/app/admin/bins.ts";
import type { WarehouseCommand } from "../src/app/admin/warehouses.ts";
import { type AdminUseCases, buildUseCases, type WarehouseUseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps, type RequestContext } from "../src/app/use-case-deps.ts";
import type { WarehouseDatabase } from "../src/data/database.ts";
import type { WarehouseFields } from "../src/domain/warehouse.ts";
import { caught, idempotencyKeys, stockReceiver } from "./support/admin-fixture.ts";
import { TEST_SETTINGS } from "./support/warehouse-fixture.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const context: RequestContext = { producer: "warehouse", actor: "ops-tester", principal: "ops-tester" };

let schema: TestSchema;
let db: Kysely<WarehouseDatabase>;
let admin: AdminUseCases;
let reserve: WarehouseUseCases["reserve"];

function warehouse(code: string, overrides: Partial<WarehouseFields> = {}): WarehouseCommand {
  return {
    idempotencyKey: nextKey(),
    code,
    name: `Warehouse ${code}`,
    address: "1 Dock Road",
    location: { latitude: 52.5, longitude: 13.4 },
    capacityUnits: 10_000,
    fillAlertRatio: 0.9,
    capacityPolicy: "refuse",
    priority: 10,
    active: true,
    ...overrides,
  };
}

const nextKey = idempotencyKeys();

const receive = stockReceiver(() => admin, context, nextKey);

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  db = createDb<WarehouseDatabase>(schema.pool);
  const deps = createUseCaseDeps(db);
  const useCases = buildUseCases(deps, TEST_SETTINGS);
  admin = useCases.admin;
  reserve = useCases.warehouse.reserve;
  await admin.createWarehouse(warehouse("MAIN"), context);
});

afterAll(async () => {
  await schema?.drop();
});

describe("warehouses", () => {
  it("creates, gets, updates and lists warehouses", async () => {
    const created = await admin.createWarehouse(warehouse("WH-A", { priority: 5 }), context);
    expect(created).toMatchObject({ code: "WH-A", unitsStored: 0, active: true, fillAlertRatio: 0.9 });
    expect(await admin.getWarehouse("WH-A")).toMatchObject({ location: { latitude: 52.5, longitude: 13.4 } });

    const updated = await admin.updateWarehouse(
      warehouse("WH-A", { name: "Renamed", active: false, location: null }),
      context,
    );
    expect(updated).toMatchObject({ name: "Renamed", active: false, location: null });

    const active = await admin.listWarehouses(false);
    expect(active.map((w) => w.code)).not.toContain("WH-A");
    const all = await admin.listWarehouses(true);
    expect(all.map((w) => w.code)).toContain("WH-A");
  });

  it("refuses a duplicate code, an unknown warehouse and invalid fields with their field path", async () => {
    await admin.createWarehouse(warehouse("WH-DUP"), context);
    expect((await caught(admin.createWarehouse(warehouse("WH-DUP"), context))).kind).toBe("already_exists");
    expect((await caught(admin.getWarehouse("NOPE"))).kind).toBe("not_found");
    expect((await caught(admin.updateWarehouse(warehouse("NOPE"), context))).kind).toBe("not_found");
    const badCode = await caught(admin.createWarehouse(warehouse("bad code"), context));
    expect(badCode).toMatchObject({ kind: "invalid_argument", field: "warehouse.code" });
    const badRatio = await caught(admin.createWarehouse(warehouse("WH-R", { fillAlertRatio: 1.5 }), context));
    expect(badRatio.field).toBe("warehouse.fill_alert_ratio");
    const badCapacity = await caught(admin.createWarehouse(warehouse("WH-C", { capacityUnits: 0 }), context));
    expect(badCapacity.field).toBe("warehouse.capacity_units");
    const badLatitude = await caught(
      admin.createWarehouse(warehouse("WH-L", { location: { latitude: 91, longitude: 0 } }), context),
    );
    expect(badLatitude.field).toBe("warehouse.location.latitude");
  });
});

describe("bins", () => {
  it("creates, lists in pick order and deletes bins", async () => {
    const bin = { warehouseCode: "MAIN", zone: "A", aisle: "1", position: "01" };
    const createBin = (fields: Omit<CreateBinCommand, "idempotencyKey">) =>
      admin.createBin({ idempotencyKey: nextKey(), ...fields }, context);
    const deleteBin = (warehouseCode: string, code: string) =>
      admin.deleteBin({ idempotencyKey: nextKey(), warehouseCode, code }, context);
    await createBin({ ...bin, code: "B-2", pickSequence: 2 });
    await createBin({ ...bin, code: "B-1", pickSequence: 1 });
    expect((await admin.listBins("MAIN")).map((b) => b.code)).toEqual(["B-1", "B-2"]);
    expect((await caught(createBin({ ...bin, code: "B-1", pickSequence: 0 }))).kind).toBe("already_exists");
    expect((await caught(createBin({ ...bin, code: "b 1", pickSequence: 0 }))).field).toBe("bin.code");
    expect(
      (await caught(createBin({ ...bin, warehouseCode: "NOPE", code: "X", pickSequence: 0 }))).kind,
    ).toBe("not_found");
    await deleteBin("MAIN", "B-2");
    expect((await admin.listBins("MAIN")).map((b) => b.code)).toEqual(["B-1"]);
    expect((await caught(deleteBin("MAIN", "B-2"))).kind).toBe("not_found");
  });
});

describe("stock policy", () => {
  it("records safety stock as a policy movement and raises low stock once on the new threshold", async () => {
    await receive("MAIN", "POL-1", 10);
    const level = await admin.setStockPolicy(
      {
        idempotencyKey: nextKey(),
        warehouseCode: "MAIN",
        sku: "POL-1",
        safetyStock: 3,
        lowStockThreshold: 8,
      },
      context,
    );
    expect(level).toMatchObject({ onHand: 10, safetyStock: 3, lowStockThreshold: 8 });
    const movement = await db
      .selectFrom("stock_movements")
      .selectAll()
      .where("sku", "=", "POL-1")
      .where("reason", "=", "policy")
      .executeTakeFirstOrThrow();
    expect(Number(movement.safety_stock_delta)).toBe(3);
    const stored = await db
      .selectFrom("stock_levels")
      .selectAll()
      .where("sku", "=", "POL-1")
      .executeTakeFirstOrThrow();
    expect(Number(stored.low_stock_threshold)).toBe(8);
    expect(stored.low_stock_alerted).toBe(true);
    // available 7 <= 8: one LowStockReached event.
    const lowEvents = await db
      .selectFrom("outbox")
      .select("event_type")
      .where("aggregate_id", "=", "MAIN/POL-1")
      .where("event_type", "=", "LowStockReached")
      .execute();
    expect(lowEvents).toHaveLength(1);

    // Lowering safety stock again: available 10 > 8 clears the alert.
    await admin.setStockPolicy(
      {
        idempotencyKey: nextKey(),
        warehouseCode: "MAIN",
        sku: "POL-1",
        safetyStock: 0,
        lowStockThreshold: 8,
      },
      context,
    );
    const cleared = await db
      .selectFrom("stock_levels")
      .selectAll()
      .where("sku", "=", "POL-1")
      .executeTakeFirstOrThrow();
    expect(cleared.low_stock_alerted).toBe(false);
    expect(
      (
        await caught(
          admin.setStockPolicy(
            {
              idempotencyKey: nextKey(),
              warehouseCode: "MAIN",
              sku: "POL-1",
              safetyStock: -1,
              lowStockThreshold: 0,
            },
            context,
          ),
        )
      ).field,
    ).toBe("safety_stock");
  });
});

describe("adjustments", () => {
  it("moves damaged units, removes lost ones, adds found ones and applies corrections", async () => {
    await receive("MAIN", "ADJ-1", 20);
    const adjust = (
      quantityDelta: number,
      reason: "damage" | "loss" | "found" | "correction",
      lotCode = "",
    ) =>
      admin.adjustStock(
        {
          idempotencyKey: nextKey(),
          warehouseCode: "MAIN",
          sku: "ADJ-1",
          quantityDelta,
          reason,
          note: "",
          lotCode,
        },
        context,
      );
    expect(await adjust(-2, "damage")).toMatchObject({ onHand: 18, damaged: 2 });
    expect(await adjust(-3, "loss")).toMatchObject({ onHand: 15, damaged: 2 });
    expect(await adjust(4, "found")).toMatchObject({ onHand: 19 });
    expect(await adjust(-1, "correction")).toMatchObject({ onHand: 18 });
    const reasons = await db
      .selectFrom("stock_movements")
      .select("reason")
      .where("sku", "=", "ADJ-1")
      .orderBy("movement_id")
      .execute();
    expect(reasons.map((r) => r.reason)).toEqual([
      "receipt",
      "adjust_damage",
      "adjust_loss",
      "adjust_found",
      "adjust_correction",
    ]);
    expect((await caught(adjust(2, "damage"))).field).toBe("quantity_delta");
    expect((await caught(adjust(-2, "found"))).field).toBe("quantity_delta");
    expect((await caught(adjust(0, "correction"))).field).toBe("quantity_delta");
  });

  it("takes units from the named lot only when it has them free", async () => {
    await receive("MAIN", "LOT-1", 5, "L1", "2099-01-01");
    await receive("MAIN", "LOT-1", 2);
    const adjust = (quantityDelta: number, lotCode: string) =>
      admin.adjustStock(
        {
          idempotencyKey: nextKey(),
          warehouseCode: "MAIN",
          sku: "LOT-1",
          quantityDelta,
          reason: "loss",
          note: "",
          lotCode,
        },
        context,
      );
    expect(await adjust(-4, "L1")).toMatchObject({ onHand: 3 });
    const short = await caught(adjust(-3, ""));
    expect(short.kind).toBe("failed_precondition");
    expect(short.metadata).toMatchObject({ lot_code: "", shortfall: "1" });
    const lots = await db
      .selectFrom("stock_lots")
      .selectAll()
      .where("sku", "=", "LOT-1")
      .orderBy("lot_code")
      .execute();
    expect(lots.map((l) => [l.lot_code, Number(l.on_hand)])).toEqual([
      ["", 2],
      ["L1", 1],
    ]);
  });

  it("refuses an adjustment that would leave reserved + committed above on hand, naming the shortfall", async () => {
    await receive("MAIN", "HELD-1", 5);
    await reserve(
      {
        idempotencyKey: nextKey(),
        reference: { type: "cart", id: "c-1" },
        lines: [{ sku: "HELD-1", quantity: 4 }],
        allowPartial: false,
        allowSplit: false,
      },
      context,
    );
    const refused = await caught(
      admin.adjustStock(
        {
          idempotencyKey: nextKey(),
          warehouseCode: "MAIN",
          sku: "HELD-1",
          quantityDelta: -3,
          reason: "loss",
          note: "",
          lotCode: "",
        },
        context,
      ),
    );
    expect(refused.kind).toBe("failed_precondition");
    expect(refused.message).toContain("reserved + committed <= on_hand");
    expect(refused.metadata).toMatchObject({ rule: "reserved + committed <= on_hand", shortfall: "2" });
  });

  it("applies a repeated request once and refuses a reused key with a different request", async () => {
    await receive("MAIN", "IDEM-1", 10);
    const command = {
      idempotencyKey: "adj-idem",
      warehouseCode: "MAIN",
      sku: "IDEM-1",
      quantityDelta: -1,
      reason: "loss" as const,
      note: "",
      lotCode: "",
    };
    const first = await admin.adjustStock(command, context);
    const again = await admin.adjustStock(command, context);
    expect(again).toEqual(first);
    expect(again.updatedAt).toBeInstanceOf(Date);
    const level = await db
      .selectFrom("stock_levels")
      .selectAll()
      .where("sku", "=", "IDEM-1")
      .executeTakeFirstOrThrow();
    expect(Number(level.on_hand)).toBe(9);
    expect((await caught(admin.adjustStock({ ...command, quantityDelta: -2 }, context))).kind).toBe(
      "failed_precondition",
    );
  });
});

describe("reconcile", () => {
  it("finds no drift after ledger-backed operations and reports a balance written around the ledger", async () => {
    await receive("MAIN", "REC-1", 12);
    await admin.adjustStock(
      {
        idempotencyKey: nextKey(),
        warehouseCode: "MAIN",
        sku: "REC-1",
        quantityDelta: -2,
        reason: "damage",
        note: "",
        lotCode: "",
      },
      context,
    );
    await admin.setStockPolicy(
      {
        idempotencyKey: nextKey(),
        warehouseCode: "MAIN",
        sku: "REC-1",
        safetyStock: 1,
        lowStockThreshold: 0,
      },
      context,
    );
    const clean = await admin.reconcile();
    expect(clean.drifts).toEqual([]);
    expect(clean.levelsChecked).toBeGreaterThan(0);

    await sql`UPDATE stock_levels SET on_hand = on_hand + 5 WHERE warehouse_code = 'MAIN' AND sku = 'REC-1'`.execute(
      db,
    );
    const drifted = await admin.reconcile();
    expect(drifted.drifts).toEqual([
      { warehouseCode: "MAIN", sku: "REC-1", bucket: "on_hand", stored: 15, fromLedger: 10 },
      { warehouseCode: "MAIN", sku: "REC-1", bucket: "on_hand:last_movement", stored: 15, fromLedger: 10 },
    ]);
    // Put it back so other tests' reconciliations stay clean.
    await sql`UPDATE stock_levels SET on_hand = on_hand - 5 WHERE warehouse_code = 'MAIN' AND sku = 'REC-1'`.execute(
      db,
    );
  });
});
