// Proof under contention, against real PostgreSQL: many clients reserving the same stock can never
// oversell it, and mixed traffic over several levels leaves the model, the ledger and the lots agreeing.
import { ConnectionError, sql } from "@stockroom/db";
import { ErrorReason } from "@stockroom/errors";
import { createMetricsRegistry } from "@stockroom/metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUseCaseDeps } from "../src/app/use-case-deps.ts";
import type { ReservationView } from "../src/domain/reservation.ts";
import { createWarehouseMetrics } from "../src/warehouse-metrics.ts";
import {
  assertInvariants,
  CONTEXT,
  createWarehouseFixture,
  insertWarehouse,
  isFailure,
  key,
  level,
  levels,
  receive,
  useCasesOver,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

let fx: WarehouseFixture;

// Each describe gets its own schema: the sweeper and the final counts look at every reservation.
function useOwnSchema() {
  beforeAll(async () => {
    fx = await createWarehouseFixture();
    await insertWarehouse(fx.db, "W1", { priority: 1 });
    await insertWarehouse(fx.db, "W2", { priority: 2 });
  });
  afterAll(async () => {
    await fx?.drop();
  });
}

// All-or-nothing, any warehouse, a fresh key and cart each time.
function reserveCommand(sku: string, quantity: number) {
  return {
    idempotencyKey: key("reserve"),
    reference: { type: "cart", id: key("cart") },
    lines: [{ sku, quantity }],
    allowPartial: false,
    allowSplit: false,
  };
}

async function reserveConcurrently(sku: string, quantities: number[]) {
  return Promise.allSettled(
    quantities.map((quantity) => fx.useCases.reserve(reserveCommand(sku, quantity), CONTEXT)),
  );
}

describe("concurrent reservations of one sku", () => {
  useOwnSchema();
  it("200 clients reserving 1 unit of 100: exactly 100 succeed, the rest get INSUFFICIENT_STOCK", async () => {
    await receive(fx.useCases, "W1", [{ sku: "ONE-UNIT", quantity: 100 }]);
    const results = await reserveConcurrently(
      "ONE-UNIT",
      Array.from({ length: 200 }, () => 1),
    );

    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(100);
    expect(lost).toHaveLength(100);
    for (const r of lost) expect(isFailure(r.reason, ErrorReason.INSUFFICIENT_STOCK)).toBe(true);
    const after = await level(fx.db, "W1", "ONE-UNIT");
    expect(after.reserved).toBe(100);
    expect(after.on_hand).toBe(100);
    // Concurrent reserves are written in batches: one version per write, one reserve movement per
    // reservation, and every write's version is in the ledger.
    const writes = await sql<{ movements: number; versions: number; last: number }>`
      SELECT count(*)::int AS movements, count(DISTINCT level_version)::int AS versions,
             max(level_version)::int AS last
      FROM stock_movements WHERE sku = 'ONE-UNIT' AND reason = 'reserve'`.execute(fx.db);
    expect(writes.rows[0]?.movements).toBe(100);
    expect(after.version).toBe(1 + (writes.rows[0]?.versions ?? 0));
    expect(writes.rows[0]?.last).toBe(after.version);
    await assertInvariants(fx.db);
  });

  it("200 clients reserving 1..3 units of 100: granted units never exceed stock and every refusal was necessary", async () => {
    await receive(fx.useCases, "W1", [{ sku: "MULTI-UNIT", quantity: 100 }]);
    const quantities = Array.from({ length: 200 }, () => 1 + Math.floor(Math.random() * 3));
    const results = await reserveConcurrently("MULTI-UNIT", quantities);

    let granted = 0;
    let smallestRefused = Number.POSITIVE_INFINITY;
    results.forEach((r, i) => {
      const quantity = quantities[i] ?? 0;
      if (r.status === "fulfilled") {
        expect(r.value.reservation?.lines[0]?.quantity).toBe(quantity);
        granted += quantity;
      } else {
        expect(isFailure(r.reason, ErrorReason.INSUFFICIENT_STOCK)).toBe(true);
        smallestRefused = Math.min(smallestRefused, quantity);
      }
    });
    expect(granted).toBeLessThanOrEqual(100);
    // A request was refused only when what was left could not cover it: after the last grant, less
    // than the smallest refused quantity remained (else some refusal was spurious).
    expect(100 - granted).toBeLessThan(smallestRefused);
    expect((await level(fx.db, "W1", "MULTI-UNIT")).reserved).toBe(granted);
    await assertInvariants(fx.db);
  });
});

// What the use cases told us, kept per reservation, to be compared with the database at the end.
interface Tracked {
  view: ReservationView;
  status: ReservationView["status"];
}

describe("mixed concurrent traffic over two warehouses and lots with expiry", () => {
  useOwnSchema();
  it("keeps every invariant and matches what the use cases reported", async () => {
    const today = fx.clock.now.toISOString().slice(0, 10);
    const skus = ["MIX-A", "MIX-B", "MIX-C"];
    // MIX-A has an already expired lot (never allocatable) next to dated and undated lots.
    await receive(fx.useCases, "W1", [
      { sku: "MIX-A", quantity: 15, lotCode: "A-OLD", expiresOn: today },
      { sku: "MIX-A", quantity: 20, lotCode: "A-SOON", expiresOn: "2027-01-10" },
      { sku: "MIX-A", quantity: 20, lotCode: "A-LATE", expiresOn: "2027-06-01" },
      { sku: "MIX-B", quantity: 30 },
    ]);
    await receive(fx.useCases, "W2", [
      { sku: "MIX-A", quantity: 10 },
      { sku: "MIX-B", quantity: 10, lotCode: "B-1", expiresOn: "2027-03-01" },
      { sku: "MIX-C", quantity: 25 },
    ]);
    const received = new Map<string, number>([
      ["W1/MIX-A", 55],
      ["W1/MIX-B", 30],
      ["W2/MIX-A", 10],
      ["W2/MIX-B", 10],
      ["W2/MIX-C", 25],
    ]);

    const tracked: Tracked[] = [];
    let sweptTotal = 0;
    let refused = 0;
    const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
    const ignoreRefusal = (err: unknown) => {
      if (!isFailure(err)) throw err;
      refused += 1;
    };
    const onReservation = async (
      status: ReservationView["status"],
      op: (r: Tracked) => Promise<ReservationView>,
    ) => {
      const target = pick(tracked.filter((t) => t.status === status));
      if (!target) return;
      try {
        const view = await op(target);
        target.status = view.status;
      } catch (err) {
        ignoreRefusal(err);
      }
    };

    const step = async () => {
      const roll = Math.random();
      const uc = fx.useCases;
      if (roll < 0.4) {
        const lineCount = 1 + Math.floor(Math.random() * 2);
        const lines = Array.from({ length: lineCount }, () => ({
          sku: pick(skus) ?? "MIX-A",
          quantity: 1 + Math.floor(Math.random() * 4),
          ...(Math.random() < 0.2 ? { warehouseCode: pick(["W1", "W2"]) } : {}),
        }));
        try {
          const result = await uc.reserve(
            {
              idempotencyKey: key("reserve"),
              reference: { type: "cart", id: key("cart") },
              lines,
              ttlMs: 60_000 * (1 + Math.floor(Math.random() * 10)),
              allowPartial: false,
              allowSplit: Math.random() < 0.5,
            },
            CONTEXT,
          );
          if (result.reservation) tracked.push({ view: result.reservation, status: "active" });
        } catch (err) {
          ignoreRefusal(err);
        }
      } else if (roll < 0.5) {
        await onReservation("active", (t) =>
          uc.release(
            { idempotencyKey: key("release"), reservationId: t.view.reservationId, reason: "test" },
            CONTEXT,
          ),
        );
      } else if (roll < 0.62) {
        await onReservation("active", (t) =>
          uc.confirm(
            { idempotencyKey: key("confirm"), reservationId: t.view.reservationId, orderReference: key("o") },
            CONTEXT,
          ),
        );
      } else if (roll < 0.7) {
        await onReservation("confirmed", (t) =>
          uc.cancel(
            { idempotencyKey: key("cancel"), reservationId: t.view.reservationId, reason: "test" },
            CONTEXT,
          ),
        );
      } else if (roll < 0.8) {
        await onReservation("confirmed", (t) =>
          uc.ship(
            {
              idempotencyKey: key("ship"),
              reservationId: t.view.reservationId,
              lineNumbers: [],
              shipmentId: key("s"),
            },
            CONTEXT,
          ),
        );
      } else if (roll < 0.9) {
        await onReservation("active", (t) =>
          uc.extend(
            { idempotencyKey: key("extend"), reservationId: t.view.reservationId, ttlMs: 120_000 },
            CONTEXT,
          ),
        );
      } else {
        fx.clock.advance(60_000 * (1 + Math.floor(Math.random() * 3)));
        // Read the count first: `total += await x` would add to a total read before the await.
        const swept = await uc.expire(50, CONTEXT);
        sweptTotal += swept;
      }
    };

    const workers = 24;
    const stepsPerWorker = 25;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < stepsPerWorker; i++) await step();
      }),
    );
    // A last sweep far in the future expires whatever is still active.
    fx.clock.advance(24 * 60 * 60_000);
    const swept = await fx.useCases.expire(10_000, CONTEXT);
    sweptTotal += swept;

    await assertInvariants(fx.db);
    expect(tracked.length).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);

    // Statuses: each one the use cases reported, except active ones the sweeper expired.
    const rows = await fx.db.selectFrom("reservations").select(["reservation_id", "status"]).execute();
    const dbStatus = new Map(rows.map((r) => [r.reservation_id, r.status]));
    expect(rows).toHaveLength(tracked.length);
    let expiredBySweeper = 0;
    for (const t of tracked) {
      const actual = dbStatus.get(t.view.reservationId);
      if (t.status === "active") {
        expect(actual).toBe("expired");
        expiredBySweeper += 1;
        t.status = "expired";
      } else {
        expect(actual).toBe(t.status);
      }
    }
    expect(expiredBySweeper).toBe(sweptTotal);

    // Buckets rebuilt from the reported allocations and statuses.
    const expected = new Map([...received].map(([k, onHand]) => [k, { onHand, reserved: 0, committed: 0 }]));
    for (const t of tracked) {
      for (const line of t.view.lines) {
        for (const a of line.allocations) {
          const e = expected.get(`${a.warehouseCode}/${line.sku}`);
          if (!e) throw new Error(`allocation from unknown level ${a.warehouseCode}/${line.sku}`);
          expect(a.lotCode).not.toBe("A-OLD");
          if (t.status === "shipped") e.onHand -= a.quantity;
          if (t.status === "confirmed") e.committed += a.quantity;
        }
      }
    }
    for (const l of await levels(fx.db)) {
      const e = expected.get(`${l.warehouse_code}/${l.sku}`);
      if (!e) continue;
      expect({
        level: `${l.warehouse_code}/${l.sku}`,
        onHand: l.on_hand,
        reserved: l.reserved,
        committed: l.committed,
      }).toEqual({
        level: `${l.warehouse_code}/${l.sku}`,
        ...e,
      });
    }
  });
});

describe("reserve metrics", () => {
  useOwnSchema();
  it("counts every reservation and times every batch that carried them", async () => {
    await receive(fx.useCases, "W1", [{ sku: "METERED-1", quantity: 10 }]);
    const registry = createMetricsRegistry({ service: "warehouse-metrics-test", collectDefaults: false });
    const metrics = createWarehouseMetrics(registry);
    const useCases = useCasesOver(createUseCaseDeps(fx.db, { clock: () => fx.clock.now, metrics }));
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => useCases.reserve(reserveCommand("METERED-1", 1), CONTEXT)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    // A sample of a metric: by its sample name (a histogram's name_sum, name_count, name_bucket) and labels.
    const sample = async (metric: string, name: string, labels: Record<string, string> = {}) => {
      const values = (await registry.getSingleMetric(metric)?.get())?.values ?? [];
      return values.find(
        (v) =>
          ((v as { metricName?: string }).metricName ?? metric) === name &&
          Object.entries(labels).every(([k, l]) => (v.labels as Record<string, string>)[k] === l),
      )?.value;
    };
    const reservations = "warehouse_reservations_total";
    expect(await sample(reservations, reservations, { outcome: "reserved" })).toBe(10);
    expect(await sample(reservations, reservations, { outcome: "insufficient" })).toBe(20);
    // Every request went through a batch; each batch was both sized and timed.
    const size = "warehouse_reserve_batch_size";
    const seconds = "warehouse_reserve_batch_seconds";
    const batches = await sample(size, `${size}_count`);
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(await sample(size, `${size}_sum`)).toBe(30);
    expect(await sample(seconds, `${seconds}_count`)).toBe(batches);
    expect(await sample(seconds, `${seconds}_sum`)).toBeGreaterThan(0);
  });
});

describe("reserve connection killed", () => {
  useOwnSchema();
  it("a reserve on a terminated pipelined connection fails as a connection error, and the next one succeeds", async () => {
    await receive(fx.useCases, "W1", [{ sku: "KILLED-1", quantity: 10 }]);
    const reserveOne = () => fx.useCases.reserve(reserveCommand("KILLED-1", 1), CONTEXT);
    await reserveOne();
    // The reserve pool's backends (by application name) are killed between two batches.
    const { rows } = await sql<{ killed: number }>`
      SELECT count(*)::int AS killed FROM (
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = ${`${fx.schema.schema}-reserve`}) t`.execute(fx.db);
    expect(rows[0]?.killed).toBeGreaterThanOrEqual(1);
    const afterKill = await reserveOne().then(
      () => "reserved",
      (err: unknown) => err,
    );
    if (afterKill !== "reserved") expect(afterKill).toBeInstanceOf(ConnectionError);
    await reserveOne();
    const reserved = 2 + (afterKill === "reserved" ? 1 : 0);
    expect(await level(fx.db, "W1", "KILLED-1")).toMatchObject({ on_hand: 10, reserved });
    await assertInvariants(fx.db);
  });
});
