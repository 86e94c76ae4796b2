import { describe, expect, it } from "vitest";
import {
  assertPickListCommand,
  assertScanMatches,
  inRouteOrder,
  isPickListDone,
  type PickLineUnits,
  pickProgress,
  type RouteStop,
  recordOnLine,
} from "../src/domain/pick-list.ts";

const stop = (values: Partial<RouteStop>): RouteStop => ({
  binCode: "A-01",
  zone: "A",
  aisle: "01",
  position: "01",
  pickSequence: 0,
  sku: "SKU-1",
  fulfillmentId: "f1",
  orderLineNumber: 1,
  ...values,
});

describe("pick list route order", () => {
  it("orders stops by pick sequence, then zone, aisle, position, bin, sku, fulfillment and line", () => {
    const stops = [
      stop({ binCode: "C-09", pickSequence: 30 }),
      stop({ binCode: "B-02", pickSequence: 10, zone: "B" }),
      stop({ binCode: "A-05", pickSequence: 10, zone: "A", aisle: "02" }),
      stop({ binCode: "A-04", pickSequence: 10, zone: "A", aisle: "01", sku: "SKU-2" }),
      stop({ binCode: "A-04", pickSequence: 10, zone: "A", aisle: "01", sku: "SKU-1", fulfillmentId: "f2" }),
      stop({ binCode: "A-04", pickSequence: 10, zone: "A", aisle: "01", sku: "SKU-1", fulfillmentId: "f1" }),
      stop({ binCode: "Z-00", pickSequence: 1, zone: "Z" }),
    ];
    expect(inRouteOrder(stops).map((s) => `${s.binCode}/${s.sku}/${s.fulfillmentId}`)).toEqual([
      "Z-00/SKU-1/f1",
      "A-04/SKU-1/f1",
      "A-04/SKU-1/f2",
      "A-04/SKU-2/f1",
      "A-05/SKU-1/f1",
      "B-02/SKU-1/f1",
      "C-09/SKU-1/f1",
    ]);
  });
});

describe("scan check", () => {
  it("accepts the line's bin and sku (bin case-insensitive), refuses others naming the field", () => {
    const line = { binCode: "A-01", sku: "SKU-1" };
    expect(() => assertScanMatches(line, { binCode: " a-01 ", sku: "SKU-1" })).not.toThrow();
    expect(() => assertScanMatches(line, { binCode: "A-02", sku: "SKU-1" })).toThrow(
      expect.objectContaining({ field: "scanned_bin_code" }),
    );
    expect(() => assertScanMatches(line, { binCode: "A-01", sku: "SKU-2" })).toThrow(
      expect.objectContaining({ field: "scanned_sku" }),
    );
    expect(() => assertScanMatches(line, { binCode: "A-01" })).not.toThrow();
  });
});

describe("pick line progress", () => {
  const pending: PickLineUnits = { quantity: 3, picked: 0, short: 0, status: "pending" };

  it("is picked when every unit is confirmed, short when some are missing, pending in between", () => {
    const partly = recordOnLine(pending, 2, 0);
    expect(partly.status).toBe("pending");
    expect(recordOnLine(partly, 1, 0).status).toBe("picked");
    expect(recordOnLine(partly, 0, 1)).toMatchObject({ status: "short", picked: 2, short: 1 });
    expect(() => recordOnLine(partly, 2, 0)).toThrow(/only 1 units/);
    expect(() => recordOnLine(recordOnLine(partly, 1, 0), 0, 0)).toThrow(/already picked/);
  });

  it("counts progress over live lines; a list is done when no line is pending", () => {
    const lines: PickLineUnits[] = [
      { quantity: 3, picked: 3, short: 0, status: "picked" },
      { quantity: 2, picked: 1, short: 1, status: "short" },
      { quantity: 4, picked: 0, short: 0, status: "pending" },
      { quantity: 5, picked: 0, short: 0, status: "cancelled" },
    ];
    expect(pickProgress(lines)).toEqual({
      linesTotal: 3,
      linesDone: 2,
      unitsTotal: 9,
      unitsPicked: 4,
      unitsShort: 1,
    });
    expect(isPickListDone(lines)).toBe(false);
    expect(isPickListDone(lines.filter((l) => l.status !== "pending"))).toBe(true);
  });

  it("records picks only on open or in-progress lists", () => {
    expect(assertPickListCommand("p1", "open", "record_pick")).toBe("in_progress");
    expect(assertPickListCommand("p1", "in_progress", "complete")).toBe("completed");
    expect(() => assertPickListCommand("p1", "completed", "record_pick")).toThrow();
    expect(() => assertPickListCommand("p1", "cancelled", "complete")).toThrow();
  });
});
