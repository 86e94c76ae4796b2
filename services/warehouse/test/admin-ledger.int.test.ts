// The ledger's admin views against a real PostgreSQL schema: filtered keyset pages, CSV export and
// cycle counts posted as movements.
import { fileURLToPath } from "node:url";
import { createDb, type Kysely } from "@stockroom/db";
import { createTestSchema, type TestSchema } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminUseCases, buildUseCases, type WarehouseUseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps, type RequestContext } from "../src/app/use-case-deps.ts";
import type { WarehouseDatabase } from "../src/data/database.ts";
import { caught, idempotencyKeys, stockReceiver } from "./support/admin-fixture.ts";
import { TEST_SETTINGS } from "./support/warehouse-fixture.ts";

const MIGRATIONS = fileURLToPath(new URL("../../../migrations/warehouse", import.meta.url));
const context: RequestContext = {
  producer: "warehouse",
  actor: 'ops, "night" shift',
  principal: 'ops, "night" shift',
};

let schema: TestSchema;
let db: Kysely<WarehouseDatabase>;
let admin: AdminUseCases;
let reserve: WarehouseUseCases["reserve"];
const nextKey = idempotencyKeys();

const receive = stockReceiver(() => admin, context, nextKey);

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS });
  db = createDb<WarehouseDatabase>(schema.pool);
  const deps = createUseCaseDeps(db);
  const useCases = buildUseCases(deps, TEST_SETTINGS);
  admin = useCases.admin;
  reserve = useCases.warehouse.reserve;
  for (const code of ["EAST", "WEST"]) {
    await admin.createWarehouse(
      {
        idempotencyKey: `create-${code}`,
        code,
        name: code,
        address: "",
        location: null,
        capacityUnits: 100_000,
        fillAlertRatio: 1,
        capacityPolicy: "refuse",
        priority: 1,
        active: true,
      },
      context,
    );
  }
  for (let i = 1; i <= 5; i++) await receive("EAST", "MOV-1", i);
  await receive("WEST", "MOV-1", 7);
  await receive("EAST", "MOV-2", 3);
  await admin.adjustStock(
    {
      idempotencyKey: "adj-mov",
      warehouseCode: "EAST",
      sku: "MOV-1",
      quantityDelta: -1,
      reason: "loss",
      note: "",
      lotCode: "",
    },
    context,
  );
});

afterAll(async () => {
  await schema?.drop();
});

async function collect(
  pageSize: number,
  filter: Parameters<AdminUseCases["listMovements"]>[0] extends infer Q ? Partial<Q> : never,
) {
  const ids: number[] = [];
  let pageToken = "";
  let pages = 0;
  do {
    const page = await admin.listMovements({ pageSize, pageToken, ...filter });
    ids.push(...page.movements.map((m) => m.movementId));
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken !== "");
  return { ids, pages };
}

describe("list movements", () => {
  it("pages through a filter by keyset without gaps or repeats", async () => {
    const { ids, pages } = await collect(2, { warehouseCode: "EAST", sku: "MOV-1" });
    expect(ids).toHaveLength(6);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(6);
    expect(pages).toBe(3);
  });

  it("filters by reason, reference id and time range", async () => {
    const losses = await admin.listMovements({ reason: "adjust_loss", pageSize: 0, pageToken: "" });
    expect(losses.movements).toHaveLength(1);
    expect(losses.movements[0]).toMatchObject({
      sku: "MOV-1",
      deltas: { onHand: -1 },
      after: { onHand: 14 },
      referenceId: "adj-mov",
    });
    const byReference = await admin.listMovements({ referenceId: "PO-MOV-2", pageSize: 0, pageToken: "" });
    expect(byReference.movements.map((m) => m.sku)).toEqual(["MOV-2"]);
    const future = await admin.listMovements({
      from: new Date(Date.now() + 86_400_000),
      pageSize: 0,
      pageToken: "",
    });
    expect(future.movements).toEqual([]);
    const past = await admin.listMovements({
      to: new Date(Date.now() + 86_400_000),
      warehouseCode: "WEST",
      pageSize: 0,
      pageToken: "",
    });
    expect(past.movements).toHaveLength(1);
  });

  it("refuses a token it did not issue", async () => {
    expect((await caught(admin.listMovements({ pageSize: 1, pageToken: "garbage" }))).field).toBe(
      "page_token",
    );
  });
});

describe("export movements", () => {
  it("streams a header and one escaped CSV row per movement", async () => {
    let csv = "";
    for await (const chunk of admin.exportMovements({ sku: "MOV-1" })) csv += chunk;
    const lines = csv.split("\r\n").filter((line) => line !== "");
    expect(lines[0]?.startsWith("movement_id,occurred_at,warehouse_code,sku,lot_code,reason,actor")).toBe(
      true,
    );
    expect(lines).toHaveLength(1 + 7);
    expect(lines[1]).toContain(`,"ops, ""night"" shift",`);
    const loss = lines.find((line) => line.includes("adjust_loss"));
    expect(loss).toContain(",adjust_loss,");
    expect(loss).toContain(",-1,");
  });
});

describe("cycle counts", () => {
  it("posts the variance as a cycle_count movement and takes a shortfall from free lots", async () => {
    await receive("EAST", "CC-1", 4, "OLD", "2090-01-01");
    await receive("EAST", "CC-1", 6, "NEW", "2095-01-01");
    const short = await admin.recordCycleCount(
      {
        idempotencyKey: nextKey(),
        warehouseCode: "EAST",
        sku: "CC-1",
        countedQuantity: 7,
        countedBy: "alice",
      },
      context,
    );
    expect(short).toMatchObject({ variance: -3, level: { onHand: 7 } });
    const lots = await db
      .selectFrom("stock_lots")
      .selectAll()
      .where("sku", "=", "CC-1")
      .orderBy("lot_code")
      .execute();
    expect(lots.map((l) => [l.lot_code, Number(l.on_hand)])).toEqual([
      ["NEW", 3],
      ["OLD", 4],
    ]);
    const over = await admin.recordCycleCount(
      {
        idempotencyKey: nextKey(),
        warehouseCode: "EAST",
        sku: "CC-1",
        countedQuantity: 9,
        countedBy: "alice",
      },
      context,
    );
    expect(over).toMatchObject({ variance: 2, level: { onHand: 9 } });
    const reasons = await db
      .selectFrom("stock_movements")
      .select("reason")
      .where("sku", "=", "CC-1")
      .execute();
    expect(reasons.filter((r) => r.reason === "cycle_count")).toHaveLength(2);
    expect((await admin.reconcile()).drifts).toEqual([]);
  });

  it("refuses a count below what reservations hold", async () => {
    await receive("EAST", "CC-2", 5);
    await reserve(
      {
        idempotencyKey: nextKey(),
        reference: { type: "cart", id: "c-cc" },
        lines: [{ sku: "CC-2", quantity: 4, warehouseCode: "EAST" }],
        allowPartial: false,
        allowSplit: false,
      },
      context,
    );
    const refused = await caught(
      admin.recordCycleCount(
        {
          idempotencyKey: nextKey(),
          warehouseCode: "EAST",
          sku: "CC-2",
          countedQuantity: 1,
          countedBy: "bob",
        },
        context,
      ),
    );
    expect(refused.kind).toBe("failed_precondition");
    expect(refused.metadata).toMatchObject({ rule: "reserved + committed <= on_hand", shortfall: "3" });
  });
});
