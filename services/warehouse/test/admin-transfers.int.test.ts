// Transfers and bulk adjustments against a real PostgreSQL schema.
import { fileURLToPath } from "node:url";
import { createDb, type Kysely } from "@stockroom/db";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BulkAdjustRow } from "../src/app/admin/bulk-adjust-stock.ts";
import { type AdminUseCases, buildUseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps, type RequestContext } from "../src/app/use-case-deps.ts";
import type { WarehouseDatabase } from "../src/data/database.ts";
import { caught, idempotencyKeys, stockReceiver } from "./support/admin-fixture.ts";
import { TEST_SETTINGS } from "./support/warehouse-fixture.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const context: RequestContext = { producer: "warehouse", actor: "ops-tester", principal: "ops-tester" };

let schema: TestSchema;
let db: Kysely<WarehouseDatabase>;
let admin: AdminUseCases;
const nextKey = idempotencyKeys();

async function addWarehouse(
  code: string,
  capacityUnits = 100_000,
  capacityPolicy: "refuse" | "flag" = "refuse",
) {
  await admin.createWarehouse(
    {
      idempotencyKey: `create-${code}`,
      code,
      name: code,
      address: "",
      location: null,
      capacityUnits,
      fillAlertRatio: 1,
      capacityPolicy,
      priority: 1,
      active: true,
    },
    context,
  );
}

const receive = stockReceiver(() => admin, context, nextKey);

async function level(warehouseCode: string, sku: string) {
  const row = await db
    .selectFrom("stock_levels")
    .selectAll()
    .where("warehouse_code", "=", warehouseCode)
    .where("sku", "=", sku)
    .executeTakeFirstOrThrow();
  return { onHand: Number(row.on_hand), incoming: Number(row.incoming), damaged: Number(row.damaged) };
}

async function lots(warehouseCode: string, sku: string) {
  const rows = await db
    .selectFrom("stock_lots")
    .select([
      "lot_code",
      "on_hand",
      (eb) => eb.fn<string>("to_char", [eb.ref("expires_on"), eb.val("YYYY-MM-DD")]).as("expires"),
    ])
    .where("warehouse_code", "=", warehouseCode)
    .where("sku", "=", sku)
    .orderBy("lot_code")
    .execute();
  return rows.map((r) => [r.lot_code, Number(r.on_hand), r.expires]);
}

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  db = createDb<WarehouseDatabase>(schema.pool);
  admin = buildUseCases(createUseCaseDeps(db), TEST_SETTINGS).admin;
  await addWarehouse("SRC");
  await addWarehouse("DST");
  await addWarehouse("TINY", 5);
});

afterAll(async () => {
  await schema?.drop();
});

describe("transfers", () => {
  it("dispatches from the source's lots in FEFO order and receives them, lots and expiry kept", async () => {
    await receive("SRC", "TR-1", 4, "LATE", "2099-06-01");
    await receive("SRC", "TR-1", 3, "SOON", "2098-01-01");
    await receive("SRC", "TR-1", 2);
    const created = await admin.createTransfer(
      {
        idempotencyKey: nextKey(),
        fromWarehouseCode: "SRC",
        toWarehouseCode: "DST",
        lines: [{ sku: "TR-1", quantity: 5 }],
      },
      context,
    );
    expect(created).toMatchObject({ status: "requested", lines: [{ sku: "TR-1", quantity: 5 }] });

    const dispatchKey = nextKey();
    const dispatched = await admin.dispatchTransfer(
      { idempotencyKey: dispatchKey, transferId: created.transferId },
      context,
    );
    expect(dispatched.status).toBe("in_transit");
    expect(await level("SRC", "TR-1")).toMatchObject({ onHand: 4 });
    expect(await level("DST", "TR-1")).toMatchObject({ onHand: 0, incoming: 5 });
    expect(await lots("SRC", "TR-1")).toEqual([
      ["", 2, null],
      ["LATE", 2, "2099-06-01"],
      ["SOON", 0, "2098-01-01"],
    ]);
    // The same request again is answered from the first; a second dispatch is refused.
    expect(
      (await admin.dispatchTransfer({ idempotencyKey: dispatchKey, transferId: created.transferId }, context))
        .status,
    ).toBe("in_transit");
    expect(
      (
        await caught(
          admin.dispatchTransfer({ idempotencyKey: nextKey(), transferId: created.transferId }, context),
        )
      ).kind,
    ).toBe("failed_precondition");

    const received = await admin.receiveTransfer(
      { idempotencyKey: nextKey(), transferId: created.transferId },
      context,
    );
    expect(received.status).toBe("received");
    expect(await level("DST", "TR-1")).toMatchObject({ onHand: 5, incoming: 0 });
    expect(await lots("DST", "TR-1")).toEqual([
      ["LATE", 2, "2099-06-01"],
      ["SOON", 3, "2098-01-01"],
    ]);
    const warehouses = await db
      .selectFrom("warehouses")
      .select(["code", "units_stored"])
      .where("code", "in", ["SRC", "DST"])
      .orderBy("code")
      .execute();
    expect(warehouses.map((w) => [w.code, Number(w.units_stored)])).toEqual([
      ["DST", 5],
      ["SRC", 4],
    ]);
    expect((await admin.reconcile()).drifts).toEqual([]);
  });

  it("refuses a dispatch the source cannot cover and a receipt over the destination's capacity", async () => {
    await receive("SRC", "TR-2", 3);
    const tooMuch = await admin.createTransfer(
      {
        idempotencyKey: nextKey(),
        fromWarehouseCode: "SRC",
        toWarehouseCode: "DST",
        lines: [{ sku: "TR-2", quantity: 4 }],
      },
      context,
    );
    const short = await caught(
      admin.dispatchTransfer({ idempotencyKey: nextKey(), transferId: tooMuch.transferId }, context),
    );
    expect(short.kind).toBe("failed_precondition");

    await receive("SRC", "TR-3", 10);
    const overCapacity = await admin.createTransfer(
      {
        idempotencyKey: nextKey(),
        fromWarehouseCode: "SRC",
        toWarehouseCode: "TINY",
        lines: [{ sku: "TR-3", quantity: 6 }],
      },
      context,
    );
    await admin.dispatchTransfer({ idempotencyKey: nextKey(), transferId: overCapacity.transferId }, context);
    const refused = await caught(
      admin.receiveTransfer({ idempotencyKey: nextKey(), transferId: overCapacity.transferId }, context),
    );
    expect(refused).toMatchObject({ kind: "failed_precondition", metadata: { warehouse_code: "TINY" } });
    expect(await level("TINY", "TR-3")).toMatchObject({ onHand: 0, incoming: 6 });
  });

  it("validates the request and finds unknown transfers", async () => {
    const same = await caught(
      admin.createTransfer(
        {
          idempotencyKey: nextKey(),
          fromWarehouseCode: "SRC",
          toWarehouseCode: "SRC",
          lines: [{ sku: "X", quantity: 1 }],
        },
        context,
      ),
    );
    expect(same.field).toBe("to_warehouse_code");
    const unknown = await caught(
      admin.dispatchTransfer(
        { idempotencyKey: nextKey(), transferId: "0190a7b2-0000-7000-8000-000000000000" },
        context,
      ),
    );
    expect(unknown.kind).toBe("not_found");
  });
});

async function* stream(rows: BulkAdjustRow[]) {
  for (const row of rows) yield row;
}

describe("bulk adjustments", () => {
  it("applies each row on its own, reports failures per row and replays applied rows", async () => {
    await receive("SRC", "BULK-1", 10);
    const row = (rowNumber: number, quantityDelta: number, sku = "BULK-1"): BulkAdjustRow => ({
      importId: "imp-1",
      rowNumber,
      adjustment: { warehouseCode: "SRC", sku, quantityDelta, reason: "correction", note: "", lotCode: "" },
    });
    const first = await admin.bulkAdjustStock(
      stream([
        row(1, -2),
        row(2, -50),
        row(3, 5),
        { importId: "imp-1", rowNumber: 4, adjustment: { error: "sku: bad" } },
      ]),
      context,
    );
    expect(first).toMatchObject({ importId: "imp-1", rowsReceived: 4, rowsApplied: 2, rowsFailed: 2 });
    expect(first.results.map((r) => [r.rowNumber, r.ok, r.alreadyApplied])).toEqual([
      [1, true, false],
      [2, false, false],
      [3, true, false],
      [4, false, false],
    ]);
    expect(first.results[1]?.error).toContain("failed_precondition");
    expect(await level("SRC", "BULK-1")).toMatchObject({ onHand: 13 });

    // The same import uploaded again: applied rows are not applied twice, a fixed row now applies.
    const second = await admin.bulkAdjustStock(
      stream([row(1, -2), row(2, -1), row(3, 5), row(1, -2)]),
      context,
    );
    expect(second.results.map((r) => [r.rowNumber, r.ok, r.alreadyApplied])).toEqual([
      [1, true, true],
      [2, true, false],
      [3, true, true],
      [1, false, false],
    ]);
    expect(second.results[0]?.level?.onHand).toBe(8);
    expect(second.results[0]?.level?.updatedAt).toBeInstanceOf(Date);
    expect(await level("SRC", "BULK-1")).toMatchObject({ onHand: 12 });

    const changed = await admin.bulkAdjustStock(stream([row(3, 6)]), context);
    expect(changed.results[0]).toMatchObject({ ok: false, alreadyApplied: false });
    expect(changed.results[0]?.error).toContain("different content");
  });
});
