// The warehouse's own gauges against real PostgreSQL: reservations overdue for expiry counted at scrape
// time until the sweeper expires them, the ledger drift Reconcile finds, and the counters' known label
// values present at 0 before anything happened.
import { createMetricsRegistry } from "@stockroom/metrics";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUseCases } from "../src/app/build-use-cases.ts";
import { createUseCaseDeps } from "../src/app/use-case-deps.ts";
import { createWarehouseMetrics, registerOverdueReservations } from "../src/warehouse-metrics.ts";
import {
  CONTEXT,
  createWarehouseFixture,
  insertWarehouse,
  key,
  TEST_SETTINGS,
  type WarehouseFixture,
} from "./support/warehouse-fixture.ts";

let fx: WarehouseFixture;
const registry = createMetricsRegistry({ service: "warehouse-metrics-test", collectDefaults: false });
const metrics = createWarehouseMetrics(registry);
let useCases: ReturnType<typeof buildUseCases>;

beforeAll(async () => {
  fx = await createWarehouseFixture({ poolMax: 4 });
  const deps = createUseCaseDeps(fx.db, { clock: () => fx.clock.now, metrics });
  useCases = buildUseCases(deps, { ...TEST_SETTINGS, reserveDeps: deps });
  registerOverdueReservations(registry, useCases.expiry.countOverdue);
  await insertWarehouse(fx.db, "M1");
});
afterAll(async () => {
  await fx?.drop();
});

async function value(name: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value;
}

describe("warehouse gauges", () => {
  it("has every reserve outcome and command outcome at 0 before the first request", async () => {
    const text = await registry.metrics();
    for (const outcome of ["reserved", "partial", "insufficient"])
      expect(text).toContain(
        `warehouse_reservations_total{outcome="${outcome}",app="warehouse-metrics-test"} 0`,
      );
    expect(text).toContain(
      'warehouse_reservation_transitions_total{command="confirm",outcome="refused",app="warehouse-metrics-test"} 0',
    );
  });

  it("counts a reservation past its expiry as overdue until the sweeper expires it", async () => {
    await useCases.admin.receiveStock(
      {
        idempotencyKey: key("receive"),
        warehouseCode: "M1",
        reference: { type: "receipt", id: key("po") },
        lines: [{ sku: "OVERDUE-1", quantity: 5, lotCode: "", expiresOn: null }],
      },
      CONTEXT,
    );
    await useCases.warehouse.reserve(
      {
        idempotencyKey: key("reserve"),
        reference: { type: "cart", id: key("cart") },
        lines: [{ sku: "OVERDUE-1", quantity: 2, warehouseCode: "M1" }],
        allowPartial: false,
        allowSplit: false,
        ttlMs: 60_000,
      },
      CONTEXT,
    );
    expect(await value("warehouse_reservations_overdue")).toBe(0);
    fx.clock.advance(120_000);
    expect(await value("warehouse_reservations_overdue")).toBe(1);
    expect(await useCases.expiry.expire(10, CONTEXT)).toBe(1);
    expect(await value("warehouse_reservations_overdue")).toBe(0);
  });

  it("sets the ledger drift Reconcile finds: 0 when balances match the ledger, the units when not", async () => {
    expect((await useCases.admin.reconcile()).drifts).toEqual([]);
    expect(await value("warehouse_ledger_drift_units")).toBe(0);
    // A balance written without the ledger: 3 units off from both the summed deltas and the last movement.
    await sql`UPDATE stock_levels SET on_hand = on_hand + 3 WHERE sku = 'OVERDUE-1'`.execute(fx.db);
    expect((await useCases.admin.reconcile()).drifts).toHaveLength(2);
    expect(await value("warehouse_ledger_drift_units")).toBe(6);
  });
});
