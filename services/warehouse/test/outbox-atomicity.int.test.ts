// The outbox is written by the same transaction as the change it announces: every committed change has
// exactly its events (StockLevelChanged versions follow each level's versions with no gap), and a
// transaction that aborts after its effect leaves neither the change nor its events.
import { sql } from "@stockroom/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  abortingDeps,
  assertInvariants,
  CONTEXT,
  createWarehouseFixture,
  ForcedRollback,
  insertWarehouse,
  invariantViolations,
  key,
  levels,
  receive,
  useCasesOver,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

let fx: WarehouseFixture;

beforeAll(async () => {
  fx = await createWarehouseFixture({ poolMax: 8 });
  await insertWarehouse(fx.db, "W1", { priority: 1 });
  await insertWarehouse(fx.db, "W2", { priority: 2 });
});

afterAll(async () => {
  await fx?.drop();
});

interface OutboxCounts {
  total: number;
  byType: Record<string, number>;
}

async function outboxCounts(): Promise<OutboxCounts> {
  const { rows } = await sql<{ event_type: string; n: number }>`
    SELECT event_type, count(*)::int AS n FROM outbox GROUP BY event_type`.execute(fx.db);
  const byType = Object.fromEntries(rows.map((r) => [r.event_type, r.n]));
  return { total: rows.reduce((sum, r) => sum + r.n, 0), byType };
}

function added(before: OutboxCounts, after: OutboxCounts): Record<string, number> {
  const types = new Set([...Object.keys(before.byType), ...Object.keys(after.byType)]);
  const diff: Record<string, number> = {};
  for (const type of types) {
    const n = (after.byType[type] ?? 0) - (before.byType[type] ?? 0);
    if (n !== 0) diff[type] = n;
  }
  return diff;
}

async function snapshot() {
  const count = async (table: "reservations" | "stock_movements" | "stock_lots" | "idempotency_records") =>
    Number(
      (await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(fx.db)).rows[0]?.n,
    );
  return {
    levels: await levels(fx.db),
    reservations: await count("reservations"),
    movements: await count("stock_movements"),
    lots: await count("stock_lots"),
    idempotency: await count("idempotency_records"),
    outbox: (await outboxCounts()).total,
  };
}

describe("outbox rows of committed changes", () => {
  it("each operation writes exactly its events", async () => {
    const uc = fx.useCases;
    let before = await outboxCounts();
    await receive(uc, "W1", [
      { sku: "OUT-A", quantity: 10 },
      { sku: "OUT-A", quantity: 5, lotCode: "L1", expiresOn: "2027-01-01" },
      { sku: "OUT-B", quantity: 7 },
    ]);
    let after = await outboxCounts();
    // One StockLevelChanged per level, however many lines touched it.
    expect(added(before, after)).toEqual({ StockLevelChanged: 2 });

    await receive(uc, "W2", [{ sku: "OUT-A", quantity: 4 }]);
    before = await outboxCounts();
    const reserved = await uc.reserve(
      {
        idempotencyKey: key("r"),
        reference: { type: "cart", id: "c1" },
        lines: [
          { sku: "OUT-A", quantity: 17 },
          { sku: "OUT-B", quantity: 1 },
        ],
        allowPartial: false,
        allowSplit: true,
      },
      CONTEXT,
    );
    after = await outboxCounts();
    // OUT-A split over W1 and W2, OUT-B from W1: three levels, one ReservationCreated.
    expect(added(before, after)).toEqual({ StockLevelChanged: 3, ReservationCreated: 1 });
    const id = reserved.reservation?.reservationId ?? "";

    before = after;
    await uc.extend({ idempotencyKey: key("e"), reservationId: id, ttlMs: 60_000 }, CONTEXT);
    after = await outboxCounts();
    expect(added(before, after)).toEqual({ ReservationExtended: 1 });

    before = after;
    await uc.confirm({ idempotencyKey: key("c"), reservationId: id, orderReference: "O-1" }, CONTEXT);
    after = await outboxCounts();
    expect(added(before, after)).toEqual({ StockLevelChanged: 3, ReservationConfirmed: 1 });

    before = after;
    await uc.ship(
      { idempotencyKey: key("s"), reservationId: id, lineNumbers: [2], shipmentId: "S1" },
      CONTEXT,
    );
    after = await outboxCounts();
    expect(added(before, after)).toEqual({ StockLevelChanged: 1, ReservationShipped: 1 });

    before = after;
    await uc.cancel({ idempotencyKey: key("x"), reservationId: id, reason: "r" }, CONTEXT);
    after = await outboxCounts();
    expect(added(before, after)).toEqual({ StockLevelChanged: 2, ReservationCancelled: 1 });

    // A refused command writes nothing.
    before = after;
    await expect(
      uc.release({ idempotencyKey: key("x"), reservationId: id, reason: "r" }, CONTEXT),
    ).rejects.toThrow();
    expect(added(before, await outboxCounts())).toEqual({});
    await assertInvariants(fx.db);
  });

  it("StockLevelChanged versions of each level are 1..version with no gap, and reservation versions too", async () => {
    const { rows } = await sql<{ aggregate_id: string; versions: number[] }>`
      SELECT aggregate_id, array_agg(aggregate_version::int ORDER BY aggregate_version) AS versions
      FROM outbox WHERE event_type = 'StockLevelChanged' GROUP BY aggregate_id`.execute(fx.db);
    const all = await levels(fx.db);
    expect(rows.map((r) => r.aggregate_id).sort()).toEqual(
      all.map((l) => `${l.warehouse_code}/${l.sku}`).sort(),
    );
    for (const l of all) {
      const versions = rows.find((r) => r.aggregate_id === `${l.warehouse_code}/${l.sku}`)?.versions;
      expect(versions).toEqual(Array.from({ length: l.version }, (_, i) => i + 1));
    }
    const { rows: reservations } = await sql<{ version: number; events: number[] }>`
      SELECT r.version::int, array_agg(o.aggregate_version::int ORDER BY o.aggregate_version) AS events
      FROM reservations r JOIN outbox o ON o.aggregate_type = 'reservation' AND o.aggregate_id = r.reservation_id::text
      GROUP BY r.reservation_id, r.version`.execute(fx.db);
    expect(reservations.length).toBeGreaterThan(0);
    for (const r of reservations)
      expect(r.events).toEqual(Array.from({ length: r.version }, (_, i) => i + 1));
  });
});

describe("aborted transactions", () => {
  it("a reserve aborted after its effect leaves no reservation, stock change, ledger row or event", async () => {
    await receive(fx.useCases, "W1", [{ sku: "ROLL-A", quantity: 5 }]);
    const before = await snapshot();
    const aborting = useCasesOver(abortingDeps(fx.db, () => fx.clock.now));
    await expect(
      aborting.reserve(
        {
          idempotencyKey: key("r"),
          reference: { type: "cart", id: "rollback" },
          lines: [{ sku: "ROLL-A", quantity: 3 }],
          allowPartial: false,
          allowSplit: false,
        },
        CONTEXT,
      ),
    ).rejects.toBeInstanceOf(ForcedRollback);
    expect(await snapshot()).toEqual(before);
  });

  it("a confirm and a receive aborted after their effects leave nothing", async () => {
    const reserved = await fx.useCases.reserve(
      {
        idempotencyKey: key("r"),
        reference: { type: "cart", id: "rollback-2" },
        lines: [{ sku: "ROLL-A", quantity: 2 }],
        allowPartial: false,
        allowSplit: false,
      },
      CONTEXT,
    );
    const id = reserved.reservation?.reservationId ?? "";
    const before = await snapshot();
    const aborting = useCasesOver(abortingDeps(fx.db, () => fx.clock.now));
    await expect(
      aborting.confirm({ idempotencyKey: key("c"), reservationId: id, orderReference: "O" }, CONTEXT),
    ).rejects.toBeInstanceOf(ForcedRollback);
    await expect(
      receive(aborting, "W2", [{ sku: "ROLL-NEW", quantity: 9, lotCode: "N1" }]),
    ).rejects.toBeInstanceOf(ForcedRollback);
    expect(await snapshot()).toEqual(before);
    const row = await fx.db
      .selectFrom("reservations")
      .select("status")
      .where("reservation_id", "=", id)
      .executeTakeFirst();
    expect(row?.status).toBe("active");
    await assertInvariants(fx.db);
  });

  it("a constraint violation part-way through a receipt rolls back the level it already created", async () => {
    const before = await snapshot();
    // The level row is inserted first; the lot code breaks stock_lots' CHECK in the final write.
    await expect(
      receive(fx.useCases, "W2", [{ sku: "ROLL-CHECK", quantity: 3, lotCode: "-bad lot-" }]),
    ).rejects.toMatchObject({ kind: "check_violation", table: "stock_lots" });
    expect(await snapshot()).toEqual(before);
    expect((await levels(fx.db)).some((l) => l.sku === "ROLL-CHECK")).toBe(false);
    await assertInvariants(fx.db);
  });
});

describe("the invariant checker itself", () => {
  it("notices a balance changed behind the ledger's back, and lots that disagree with their level", async () => {
    await receive(fx.useCases, "W1", [{ sku: "CHECKER", quantity: 4 }]);
    await assertInvariants(fx.db);
    await sql`UPDATE stock_levels SET reserved = reserved + 1 WHERE sku = 'CHECKER'`.execute(fx.db);
    await sql`UPDATE stock_lots SET on_hand = on_hand + 2 WHERE sku = 'CHECKER'`.execute(fx.db);
    try {
      const problems = await invariantViolations(fx.db);
      expect(problems).toEqual(
        expect.arrayContaining([
          "W1/CHECKER: held allocations 0 != reserved 1",
          "W1/CHECKER: lots allocate 0 != reserved + committed 1",
          "W1/CHECKER: lots hold 6 != on_hand 4",
          "W1/CHECKER: ledger reserved sums to 0, balance 1",
          "W1/CHECKER: last reserved_after 0, balance 1",
        ]),
      );
    } finally {
      await sql`UPDATE stock_levels SET reserved = reserved - 1 WHERE sku = 'CHECKER'`.execute(fx.db);
      await sql`UPDATE stock_lots SET on_hand = on_hand - 2 WHERE sku = 'CHECKER'`.execute(fx.db);
    }
    await assertInvariants(fx.db);
  });
});
