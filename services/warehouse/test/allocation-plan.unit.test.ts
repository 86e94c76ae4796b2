// The allocation planner and FEFO lot choice, as pure functions.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type DemandLine,
  planAllocation,
  type SellableStock,
  sellableKey,
  type WarehouseRank,
} from "../src/domain/allocation-plan.ts";
import { allocateFefo, fefoOrder, type LotState } from "../src/domain/lot-allocation.ts";

const wh = (
  code: string,
  priority = 100,
  latitude: number | null = null,
  longitude: number | null = null,
): WarehouseRank => ({
  code,
  priority,
  latitude,
  longitude,
});

function stock(entries: [string, string, number][]): SellableStock {
  return new Map(entries.map(([w, sku, n]) => [sellableKey(w, sku), n]));
}

const line = (lineNumber: number, sku: string, quantity: number, warehouseCode?: string): DemandLine => ({
  lineNumber,
  sku,
  quantity,
  warehouseCode,
});

const strict = { allowPartial: false, allowSplit: false };

describe("planAllocation", () => {
  it("prefers the warehouse that serves every line whole (fewest shipments) over a nearer or higher-priority one", () => {
    const plan = planAllocation(
      [line(1, "A", 2), line(2, "B", 2)],
      [wh("NEAR", 1, 0, 0), wh("FULL", 50, 40, 40)],
      stock([
        ["NEAR", "A", 5],
        ["FULL", "A", 5],
        ["FULL", "B", 5],
      ]),
      { ...strict, destination: { latitude: 0, longitude: 0 } },
    );
    expect(plan.shortages).toEqual([]);
    expect(plan.lines.map((l) => l.parts)).toEqual([
      [{ warehouseCode: "FULL", quantity: 2 }],
      [{ warehouseCode: "FULL", quantity: 2 }],
    ]);
  });

  it("between equally good warehouses, takes the one nearest the destination", () => {
    const warehouses = [wh("FAR", 1, 50, 50), wh("CLOSE", 99, 10, 10)];
    const s = stock([
      ["FAR", "A", 5],
      ["CLOSE", "A", 5],
    ]);
    const plan = planAllocation([line(1, "A", 3)], warehouses, s, {
      ...strict,
      destination: { latitude: 9, longitude: 9 },
    });
    expect(plan.lines[0]?.parts).toEqual([{ warehouseCode: "CLOSE", quantity: 3 }]);
    // Without a destination, priority decides.
    expect(planAllocation([line(1, "A", 3)], warehouses, s, strict).lines[0]?.parts).toEqual([
      { warehouseCode: "FAR", quantity: 3 },
    ]);
  });

  it("without a destination, the lowest priority number wins, then the code", () => {
    const s = stock([
      ["B", "X", 5],
      ["A", "X", 5],
      ["C", "X", 5],
    ]);
    expect(
      planAllocation([line(1, "X", 1)], [wh("C", 2), wh("B", 1), wh("A", 1)], s, strict).lines[0]?.parts,
    ).toEqual([{ warehouseCode: "A", quantity: 1 }]);
  });

  it("does not split a line unless allowed; with split it spans warehouses in rank order", () => {
    const warehouses = [wh("W1", 1), wh("W2", 2)];
    const s = stock([
      ["W1", "A", 3],
      ["W2", "A", 4],
    ]);
    const noSplit = planAllocation([line(1, "A", 6)], warehouses, s, strict);
    expect(noSplit.lines).toEqual([]);
    expect(noSplit.shortages).toEqual([
      { lineNumber: 1, sku: "A", requested: 6, available: 4, warehouseCode: "W2" },
    ]);

    const split = planAllocation([line(1, "A", 6)], warehouses, s, { allowPartial: false, allowSplit: true });
    expect(split.shortages).toEqual([]);
    expect(split.lines[0]?.parts).toEqual([
      { warehouseCode: "W1", quantity: 3 },
      { warehouseCode: "W2", quantity: 3 },
    ]);
  });

  it("sums lines of the same sku: two lines never take more than is there", () => {
    const s = stock([["W1", "A", 5]]);
    const plan = planAllocation([line(1, "A", 3), line(2, "A", 3)], [wh("W1")], s, strict);
    expect(plan.lines).toHaveLength(1);
    expect(plan.shortages).toEqual([
      { lineNumber: 2, sku: "A", requested: 3, available: 2, warehouseCode: "W1" },
    ]);
    // Pinned lines share the pool the same way.
    const pinned = planAllocation([line(1, "A", 4, "W1"), line(2, "A", 2, "W1")], [wh("W1")], s, strict);
    expect(pinned.shortages).toEqual([
      { lineNumber: 2, sku: "A", requested: 2, available: 1, warehouseCode: "W1" },
    ]);
  });

  it("partial: takes what there is and reports the shortage", () => {
    const s = stock([
      ["W1", "A", 2],
      ["W2", "A", 1],
    ]);
    const plan = planAllocation([line(1, "A", 5), line(2, "B", 1)], [wh("W1", 1), wh("W2", 2)], s, {
      allowPartial: true,
      allowSplit: true,
    });
    expect(plan.lines).toEqual([
      {
        lineNumber: 1,
        sku: "A",
        parts: [
          { warehouseCode: "W1", quantity: 2 },
          { warehouseCode: "W2", quantity: 1 },
        ],
      },
    ]);
    expect(plan.shortages.map((s) => [s.lineNumber, s.requested, s.available])).toEqual([
      [1, 5, 3],
      [2, 1, 0],
    ]);
  });

  it("a pinned line is served only at its warehouse", () => {
    const s = stock([
      ["W1", "A", 1],
      ["W2", "A", 9],
    ]);
    const plan = planAllocation([line(1, "A", 2, "W1")], [wh("W1"), wh("W2")], s, {
      allowPartial: false,
      allowSplit: true,
    });
    expect(plan.lines).toEqual([]);
    expect(plan.shortages[0]).toMatchObject({ warehouseCode: "W1", available: 1 });
  });

  it("never plans more than the stock of any warehouse and sku, and plans every line whole when no shortage", () => {
    const codes = ["W1", "W2", "W3"];
    const skus = ["A", "B"];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...skus),
            fc.integer({ min: 1, max: 8 }),
            fc.option(fc.constantFrom(...codes), { nil: undefined }),
          ),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        (demand, amounts, allowPartial, allowSplit) => {
          const s: SellableStock = new Map();
          codes.forEach((w, i) => {
            skus.forEach((sku, j) => {
              s.set(sellableKey(w, sku), amounts[i * 2 + j] ?? 0);
            });
          });
          const lines = demand.map(([sku, quantity, w], i) => line(i + 1, sku, quantity, w));
          const plan = planAllocation(
            lines,
            codes.map((c, i) => wh(c, i)),
            s,
            { allowPartial, allowSplit },
          );
          const used = new Map<string, number>();
          for (const planned of plan.lines) {
            const asked = lines.find((l) => l.lineNumber === planned.lineNumber);
            const total = planned.parts.reduce((sum, p) => sum + p.quantity, 0);
            expect(total).toBeLessThanOrEqual(asked?.quantity ?? 0);
            if (!allowSplit) expect(planned.parts.length).toBe(1);
            if (asked?.warehouseCode)
              expect(planned.parts.every((p) => p.warehouseCode === asked.warehouseCode)).toBe(true);
            for (const p of planned.parts) {
              const k = sellableKey(p.warehouseCode, planned.sku);
              used.set(k, (used.get(k) ?? 0) + p.quantity);
            }
          }
          for (const [k, n] of used) expect(n).toBeLessThanOrEqual(s.get(k) ?? 0);
          const short = new Set(plan.shortages.map((x) => x.lineNumber));
          for (const l of lines) {
            const planned = plan.lines.find((p) => p.lineNumber === l.lineNumber);
            if (!short.has(l.lineNumber))
              expect(planned?.parts.reduce((sum, p) => sum + p.quantity, 0)).toBe(l.quantity);
            if (short.has(l.lineNumber) && !allowPartial) expect(planned).toBeUndefined();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("allocateFefo", () => {
  const lot = (lotCode: string, expiresOn: string | null, onHand: number, allocated = 0): LotState => ({
    lotCode,
    expiresOn,
    onHand,
    allocated,
  });
  const today = "2026-11-22";

  it("takes the earliest expiry first, undated lots last", () => {
    const lots = [lot("UNDATED", null, 10), lot("LATE", "2027-06-01", 5), lot("SOON", "2026-12-01", 3)];
    expect(allocateFefo(lots, 10, today)).toEqual([
      { lotCode: "SOON", quantity: 3 },
      { lotCode: "LATE", quantity: 5 },
      { lotCode: "UNDATED", quantity: 2 },
    ]);
    expect(fefoOrder(lots).map((l) => l.lotCode)).toEqual(["SOON", "LATE", "UNDATED"]);
  });

  it("skips expired lots (expiring today counts as expired) and what is already allocated", () => {
    const lots = [lot("GONE", "2026-11-01", 10), lot("TODAY", today, 10), lot("OK", "2026-11-23", 4, 1)];
    expect(allocateFefo(lots, 3, today)).toEqual([{ lotCode: "OK", quantity: 3 }]);
    // Expired units never make up a shortfall.
    expect(allocateFefo(lots, 4, today)).toBeUndefined();
  });

  it("returns undefined when the unexpired free units cannot cover the quantity", () => {
    expect(allocateFefo([lot("A", null, 2, 1)], 2, today)).toBeUndefined();
    expect(allocateFefo([], 1, today)).toBeUndefined();
  });
});
