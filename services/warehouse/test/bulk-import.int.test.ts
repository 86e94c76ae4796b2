// BulkAdjustStock in chunks against a real PostgreSQL schema: each row is applied once per import (also
// when uploads of one import race, or the chunk's transaction dies), a row that would break a bucket
// fails alone, concurrent imports and reservations drawing on one level never drive it negative, and each
// applied row is its own version with its own ledger row and event, written in its chunk's transaction.
import { fileURLToPath } from "node:url";
import { createDb, type Kysely, sql } from "@stockroom/db";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdjustmentReason } from "../src/app/admin/adjust-stock.ts";
import { type BulkAdjustRow, CHUNK_ROWS } from "../src/app/admin/bulk-adjust-stock.ts";
import { createUseCaseDeps, type RequestContext } from "../src/app/use-case-deps.ts";
import type { WarehouseDatabase } from "../src/data/database.ts";
import { idempotencyKeys, stockReceiver } from "./support/admin-fixture.ts";
import { type UseCases, useCasesOver } from "./support/warehouse-fixture.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const ops: RequestContext = { producer: "warehouse", actor: "ops-1", principal: "ops-1" };

let schema: TestSchema;
let db: Kysely<WarehouseDatabase>;
let uc: UseCases;
const nextKey = idempotencyKeys();
const receive = stockReceiver(() => uc.admin, ops, nextKey);

interface RowSpec {
  sku: string;
  delta: number;
  reason?: AdjustmentReason;
  lot?: string;
  warehouse?: string;
}

function rowsOf(importId: string, specs: RowSpec[], firstRow = 1): BulkAdjustRow[] {
  return specs.map((s, i) => ({
    importId,
    rowNumber: firstRow + i,
    adjustment: {
      warehouseCode: s.warehouse ?? "BLK",
      sku: s.sku,
      quantityDelta: s.delta,
      reason: s.reason ?? "correction",
      note: "",
      lotCode: s.lot ?? "",
    },
  }));
}

async function* stream(rows: BulkAdjustRow[], failAfter = Number.POSITIVE_INFINITY) {
  let sent = 0;
  for (const row of rows) {
    if (sent++ === failAfter) throw new Error("connection lost");
    yield row;
  }
}

const upload = (rows: BulkAdjustRow[], context = ops) => uc.admin.bulkAdjustStock(stream(rows), context);

async function level(sku: string, warehouseCode = "BLK") {
  const row = await db
    .selectFrom("stock_levels")
    .selectAll()
    .where("warehouse_code", "=", warehouseCode)
    .where("sku", "=", sku)
    .executeTakeFirstOrThrow();
  return {
    onHand: Number(row.on_hand),
    reserved: Number(row.reserved),
    damaged: Number(row.damaged),
    version: Number(row.version),
  };
}

async function movementsOf(sku: string) {
  const rows = await db
    .selectFrom("stock_movements")
    .select(["reference_type", "reference_id", "on_hand_delta", "on_hand_after", "level_version"])
    .where("sku", "=", sku)
    .where("reference_type", "=", "bulk_import")
    .orderBy("movement_id")
    .execute();
  return rows.map((r) => ({
    referenceId: r.reference_id,
    delta: Number(r.on_hand_delta),
    after: Number(r.on_hand_after),
    version: Number(r.level_version),
  }));
}

async function stockEventVersions(sku: string): Promise<number[]> {
  const rows = await db
    .selectFrom("outbox")
    .select("aggregate_version")
    .where("aggregate_type", "=", "stock_level")
    .where("aggregate_id", "=", `BLK/${sku}`)
    .orderBy("aggregate_version")
    .execute();
  return rows.map((r) => Number(r.aggregate_version));
}

async function importRowCount(importId: string): Promise<number> {
  const row = await db
    .selectFrom("bulk_import_rows")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("import_id", "=", importId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 12 });
  db = createDb<WarehouseDatabase>(schema.pool);
  uc = useCasesOver(createUseCaseDeps(db));
  await uc.admin.createWarehouse(
    {
      idempotencyKey: "create-BLK",
      code: "BLK",
      name: "Bulk",
      address: "",
      location: null,
      capacityUnits: 10_000_000,
      fillAlertRatio: 1,
      capacityPolicy: "refuse",
      priority: 1,
      active: true,
    },
    ops,
  );
});

afterAll(async () => {
  await schema?.drop();
});

describe("chunks", () => {
  it("applies an import of several chunks: each row its own version, ledger row and event", async () => {
    const rowCount = CHUNK_ROWS * 2 + 200;
    await receive("BLK", "CH-A", 1_000);
    const before = await level("CH-A");
    // Alternating skus, CH-B new (created by the import), CH-A losing one unit every fourth row.
    const specs = Array.from({ length: rowCount }, (_, i) =>
      i % 2 === 0 ? { sku: "CH-B", delta: 2 } : { sku: "CH-A", delta: i % 4 === 1 ? -1 : 3 },
    );
    const result = await upload(rowsOf("chunks", specs));
    expect(result).toMatchObject({ rowsReceived: rowCount, rowsApplied: rowCount, rowsFailed: 0 });

    // Each row's result is the level as that row left it, at its own version.
    let onHandB = 0;
    let versionB = 0;
    result.results.forEach((r, i) => {
      if (specs[i]?.sku !== "CH-B") return;
      onHandB += 2;
      versionB++;
      expect(r.level).toMatchObject({ sku: "CH-B", onHand: onHandB, version: versionB });
    });
    const expectedA = 1_000 + specs.filter((s) => s.sku === "CH-A").reduce((sum, s) => sum + s.delta, 0);
    const rowsA = specs.filter((s) => s.sku === "CH-A").length;
    expect(await level("CH-A")).toMatchObject({ onHand: expectedA, version: before.version + rowsA });
    expect(await level("CH-B")).toMatchObject({ onHand: onHandB, version: versionB });

    // One ledger row per row, referenced by its row, versions one apart, balances running.
    const ledgerB = await movementsOf("CH-B");
    expect(ledgerB).toHaveLength(rowCount / 2);
    expect(ledgerB.map((m) => m.version)).toEqual(Array.from({ length: rowCount / 2 }, (_, i) => i + 1));
    expect(ledgerB.map((m) => m.after)).toEqual(Array.from({ length: rowCount / 2 }, (_, i) => 2 * (i + 1)));
    expect(new Set(ledgerB.map((m) => m.referenceId)).size).toBe(rowCount / 2);
    expect(ledgerB[0]?.referenceId).toBe("chunks#1");
    // One StockLevelChanged per row, each its own aggregate version.
    expect(await stockEventVersions("CH-B")).toEqual(Array.from({ length: rowCount / 2 }, (_, i) => i + 1));
    expect(await importRowCount("chunks")).toBe(rowCount);
  });

  it("fails alone a row that would break a bucket or take a lot's held units; the chunk's others apply", async () => {
    await receive("BLK", "NEG-1", 10);
    await uc.reserve(
      {
        idempotencyKey: nextKey(),
        reference: { type: "cart", id: "neg-cart" },
        lines: [{ sku: "NEG-1", quantity: 4, warehouseCode: "BLK" }],
        allowPartial: false,
        allowSplit: false,
      },
      ops,
    );
    await receive("BLK", "NEG-1", 5, "LOT-A", "2099-01-01");
    // on_hand 15 (10 untracked of which 4 held, 5 in LOT-A), reserved 4.
    const result = await upload(
      rowsOf("negatives", [
        { sku: "NEG-1", delta: -3 }, // 12
        { sku: "NEG-1", delta: -9 }, // would leave 3 < reserved 4: fails
        { sku: "NEG-1", delta: -6, lot: "LOT-A" }, // LOT-A has 5 free: fails
        { sku: "NEG-1", delta: -5, reason: "damage", lot: "LOT-A" }, // 7, damaged 5
        { sku: "NEG-1", delta: -4, reason: "loss" }, // would leave 3 < 4: fails
        { sku: "NEG-1", delta: 2, reason: "found" }, // 9
        { sku: "NEG-2", delta: -1 }, // no level: fails
        { sku: "NEG-1", delta: -5 }, // 4 = reserved: applies
        { sku: "NEG-1", delta: 1, reason: "loss" }, // a loss must be negative: fails before the database
        { sku: "NEG-1", delta: -1, warehouse: "NOPE" }, // no such warehouse: fails
      ]),
    );
    expect(result.results.map((r) => r.ok)).toEqual([
      true,
      false,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      false,
    ]);
    expect(result.results[1]?.error).toContain("reserved + committed <= on_hand (short by 1)");
    expect(result.results[2]?.error).toContain("lot LOT-A of sku NEG-1 in warehouse BLK has 5 free units");
    expect(result.results[4]?.error).toContain("short by 1");
    expect(result.results[6]?.error).toContain("no stock level for sku NEG-2");
    expect(result.results[8]?.error).toContain("quantity_delta");
    expect(result.results[9]?.error).toContain("warehouse NOPE does not exist");
    expect(await level("NEG-1")).toMatchObject({ onHand: 4, reserved: 4, damaged: 5 });
    expect((await movementsOf("NEG-1")).map((m) => m.delta)).toEqual([-3, -5, 2, -5]);
    // Only applied rows are stored: the failed ones can apply on a later upload.
    expect(await importRowCount("negatives")).toBe(4);
    const lots = await db
      .selectFrom("stock_lots")
      .select(["lot_code", "on_hand"])
      .where("sku", "=", "NEG-1")
      .orderBy("lot_code")
      .execute();
    expect(lots.map((l) => [l.lot_code, Number(l.on_hand)])).toEqual([
      ["", 4],
      ["LOT-A", 0],
    ]);
  });
});

describe("resuming", () => {
  it("an upload cut off part way, then the whole import again: every row applied once", async () => {
    const rowCount = CHUNK_ROWS * 2 + 100;
    const rows = rowsOf(
      "resume",
      Array.from({ length: rowCount }, (_, i) => ({ sku: `RES-${i % 7}`, delta: 1 + (i % 3) })),
    );
    // The stream breaks after 700 rows: the first chunk (500) is committed, the rows of the chunk being
    // filled are not applied.
    await expect(uc.admin.bulkAdjustStock(stream(rows, 700), ops)).rejects.toThrow("connection lost");
    expect(await importRowCount("resume")).toBe(CHUNK_ROWS);

    const resumed = await upload(rows);
    expect(resumed.rowsApplied).toBe(rowCount);
    expect(resumed.results.filter((r) => r.alreadyApplied)).toHaveLength(CHUNK_ROWS);
    expect(resumed.results.slice(0, CHUNK_ROWS).every((r) => r.alreadyApplied)).toBe(true);
    expect(resumed.results.slice(CHUNK_ROWS).some((r) => r.alreadyApplied)).toBe(false);
    // A stored result comes back as it was first answered.
    expect(resumed.results[0]?.level).toMatchObject({ sku: "RES-0", onHand: 1, version: 1 });
    expect(resumed.results[0]?.level?.updatedAt).toBeInstanceOf(Date);

    const again = await upload(rows);
    expect(again.results.every((r) => r.ok && r.alreadyApplied)).toBe(true);
    for (let s = 0; s < 7; s++) {
      const expected = rows
        .filter((r) => "sku" in r.adjustment && r.adjustment.sku === `RES-${s}`)
        .reduce((sum, r) => sum + ("quantityDelta" in r.adjustment ? r.adjustment.quantityDelta : 0), 0);
      expect((await level(`RES-${s}`)).onHand).toBe(expected);
    }
    const ledger = await db
      .selectFrom("stock_movements")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("reference_id", "like", "resume#%")
      .executeTakeFirstOrThrow();
    expect(Number(ledger.n)).toBe(rowCount);

    // A row sent again with other content is refused, not applied.
    const changed = await upload(rowsOf("resume", [{ sku: "RES-0", delta: 9 }]));
    expect(changed.results[0]).toMatchObject({ ok: false, alreadyApplied: false });
    expect(changed.results[0]?.error).toContain("different content");
  });

  it("a chunk whose transaction dies leaves no claim, ledger row or event; the upload again applies it once", async () => {
    await receive("BLK", "DIE-1", 100);
    const versionBefore = (await level("DIE-1")).version;
    const rows = rowsOf(
      "dies",
      Array.from({ length: 300 }, (_, i) => ({ sku: i % 2 === 0 ? "DIE-1" : "DIE-2", delta: 1 })),
    );
    // Another session holds DIE-1's row lock, so the chunk's transaction waits after claiming its rows;
    // its backend is then terminated.
    const holder = new pg.Client({ connectionString: schema.connectionString });
    await holder.connect();
    try {
      await holder.query(`SET search_path TO "${schema.schema}"`);
      await holder.query("BEGIN");
      await holder.query(
        "SELECT 1 FROM stock_levels WHERE warehouse_code = 'BLK' AND sku = 'DIE-1' FOR UPDATE",
      );
      const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      const importing = upload(rows);
      importing.catch(() => {});
      let blocked: number | undefined;
      for (let i = 0; i < 200 && blocked === undefined; i++) {
        const { rows: waiting } = await sql<{ pid: number }>`
          SELECT pid FROM pg_stat_activity WHERE ${holderPid}::int = ANY(pg_blocking_pids(pid))`.execute(db);
        blocked = waiting[0]?.pid;
        if (blocked === undefined) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(blocked).toBeDefined();
      await sql`SELECT pg_terminate_backend(${blocked}::int)`.execute(db);
      await expect(importing).rejects.toThrow();
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    expect(await importRowCount("dies")).toBe(0);
    expect(await movementsOf("DIE-1")).toHaveLength(0);
    expect(await stockEventVersions("DIE-1")).toEqual([versionBefore]);

    const again = await upload(rows);
    expect(again).toMatchObject({ rowsApplied: 300, rowsFailed: 0 });
    expect(again.results.some((r) => r.alreadyApplied)).toBe(false);
    expect(await level("DIE-1")).toMatchObject({ onHand: 250, version: versionBefore + 150 });
    expect((await level("DIE-2")).onHand).toBe(150);
  });
});

describe("races", () => {
  it("eight uploads of one import racing, each cut into chunks at other rows: every row applied once", async () => {
    const rowCount = 1_600;
    const rows = rowsOf(
      "race",
      Array.from({ length: rowCount }, (_, i) => ({ sku: `RACE-${i % 5}`, delta: 1 })),
    );
    // Each upload starts at another row (so its chunks overlap the others' at other boundaries) and
    // wraps around.
    const uploads = Array.from({ length: 8 }, (_, u) => {
      const start = u * 200;
      return upload([...rows.slice(start), ...rows.slice(0, start)]);
    });
    const results = await Promise.all(uploads);
    const firstApplied = new Map<number, number>();
    for (const result of results) {
      expect(result).toMatchObject({ rowsApplied: rowCount, rowsFailed: 0 });
      for (const r of result.results) {
        if (!r.alreadyApplied) firstApplied.set(r.rowNumber, (firstApplied.get(r.rowNumber) ?? 0) + 1);
      }
    }
    expect(firstApplied.size).toBe(rowCount);
    expect([...firstApplied.values()].every((n) => n === 1)).toBe(true);
    for (let s = 0; s < 5; s++) {
      expect(await level(`RACE-${s}`)).toMatchObject({ onHand: rowCount / 5, version: rowCount / 5 });
      expect(await movementsOf(`RACE-${s}`)).toHaveLength(rowCount / 5);
    }
  });

  it("imports of several callers and reservations drawing on one level: never below zero, each unit once", async () => {
    await receive("BLK", "HOT-1", 300);
    // Six callers, each removing 100 single units from HOT-1 (and adding to a level of its own in the same
    // chunks), while 40 reservations of 5 race them: 600 + 200 units wanted, 300 there.
    const callers = Array.from({ length: 6 }, (_, c) => ({
      context: { ...ops, actor: `ops-${c}`, principal: `ops-${c}` },
      rows: rowsOf(
        "hot",
        Array.from({ length: 200 }, (_, i) =>
          i % 2 === 0 ? { sku: "HOT-1", delta: -1 } : { sku: `HOT-C${c}`, delta: 1 },
        ),
      ),
    }));
    const imports = callers.map((c) => upload(c.rows, c.context));
    const reservations = Array.from({ length: 40 }, (_, i) =>
      uc.reserve(
        {
          idempotencyKey: `hot-${i}`,
          reference: { type: "cart", id: `hot-cart-${i}` },
          lines: [{ sku: "HOT-1", quantity: 5, warehouseCode: "BLK" }],
          allowPartial: false,
          allowSplit: false,
        },
        ops,
      ),
    );
    const [imported, reserved] = await Promise.all([Promise.all(imports), Promise.allSettled(reservations)]);

    let removed = 0;
    for (const [c, result] of imported.entries()) {
      result.results.forEach((r, i) => {
        if (i % 2 === 1) expect(r.ok).toBe(true);
        else if (r.ok) removed++;
        else expect(r.error).toContain("failed_precondition");
      });
      expect((await level(`HOT-C${c}`)).onHand).toBe(100);
    }
    const held = reserved.filter((r) => r.status === "fulfilled" && r.value.reservation !== null).length * 5;
    const hot = await level("HOT-1");
    // Every unit went to one taker: removed by an import row or held by a reservation, none twice.
    expect(hot.reserved).toBe(held);
    expect(hot.onHand).toBe(300 - removed);
    expect(hot.onHand).toBeGreaterThanOrEqual(hot.reserved);
    // The import rows alone want twice what is there: once one is refused nothing is free any more.
    expect(removed + held).toBe(300);
    expect((await movementsOf("HOT-1")).reduce((sum, m) => sum + m.delta, 0)).toBe(-removed);
  });
});
