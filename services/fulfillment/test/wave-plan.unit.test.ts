// Wave planning: lines drawn from the bins in pick order across the wave's fulfillments, a line naming a
// lot only from that lot, units one fulfillment took never offered to the next, and a fulfillment whose
// units cannot all be located left out whole (nothing half-routed).
import { describe, expect, it } from "vitest";
import { type LocatedUnits, planWave } from "../src/domain/wave-plan.ts";

const bin = (
  binCode: string,
  pickSequence: number,
  sku: string,
  units: number,
  lotCode = "",
): LocatedUnits => ({
  binCode,
  zone: "A",
  aisle: "01",
  position: binCode,
  pickSequence,
  sku,
  lotCode,
  units,
});

describe("planWave", () => {
  it("routes every fulfillment's lines by the bins' pick sequence, numbered 1..n", () => {
    const plan = planWave(
      [
        { fulfillmentId: "f1", lines: [{ orderLineNumber: 1, sku: "A", lotCode: "", toPick: 2 }] },
        { fulfillmentId: "f2", lines: [{ orderLineNumber: 1, sku: "B", lotCode: "", toPick: 1 }] },
      ],
      [bin("B-30", 30, "A", 5), bin("B-10", 10, "B", 5)],
    );
    expect(plan.lines.map((l) => [l.lineNumber, l.binCode, l.fulfillmentId, l.quantity])).toEqual([
      [1, "B-10", "f2", 1],
      [2, "B-30", "f1", 2],
    ]);
    expect(plan.fulfillmentIds).toEqual(["f1", "f2"]);
    expect(plan.unlocated).toEqual([]);
  });

  it("splits a line over bins in pick order and never offers the same units twice", () => {
    const plan = planWave(
      [
        { fulfillmentId: "f1", lines: [{ orderLineNumber: 1, sku: "A", lotCode: "", toPick: 3 }] },
        { fulfillmentId: "f2", lines: [{ orderLineNumber: 1, sku: "A", lotCode: "", toPick: 2 }] },
        { fulfillmentId: "f3", lines: [{ orderLineNumber: 1, sku: "A", lotCode: "", toPick: 1 }] },
      ],
      [bin("B-2", 2, "A", 2), bin("B-1", 1, "A", 2)],
    );
    expect(plan.lines.map((l) => [l.fulfillmentId, l.binCode, l.quantity])).toEqual([
      ["f1", "B-1", 2],
      ["f1", "B-2", 1],
      ["f3", "B-2", 1],
    ]);
    // f2 needs 2 and only 1 was left when its turn came: it waits, whole; f3 still fits.
    expect(plan.unlocated).toEqual(["f2"]);
    expect(plan.fulfillmentIds).toEqual(["f1", "f3"]);
  });

  it("a line naming a lot draws only from that lot; a fulfillment with any line unlocated is left out whole", () => {
    const plan = planWave(
      [
        {
          fulfillmentId: "f1",
          lines: [
            { orderLineNumber: 1, sku: "A", lotCode: "L2", toPick: 1 },
            { orderLineNumber: 2, sku: "C", lotCode: "", toPick: 1 },
          ],
        },
        { fulfillmentId: "f2", lines: [{ orderLineNumber: 1, sku: "A", lotCode: "L2", toPick: 1 }] },
      ],
      [bin("B-1", 1, "A", 5, "L1"), bin("B-2", 2, "A", 1, "L2")],
    );
    expect(plan.unlocated).toEqual(["f1"]);
    // f1's unit of L2 went back when it was left out, so f2 gets it.
    expect(plan.lines.map((l) => [l.fulfillmentId, l.binCode, l.lotCode])).toEqual([["f2", "B-2", "L2"]]);
  });
});
