import { describe, expect, it } from "vitest";
import {
  assertReturnCommand,
  assertWithinReturnWindow,
  checkDispositions,
  checkRequestedLines,
  computeRefund,
  DEFAULT_RETURN_WINDOW_MS,
  RETURN_STATUSES,
  RETURN_TRANSITIONS,
  type ReturnCommand,
  unitsToRestock,
} from "../src/domain/return-rules.ts";

const DAY = 24 * 60 * 60 * 1000;

describe("return transitions", () => {
  it("walks requested → authorized → received → inspected → closed, or requested → rejected", () => {
    let status = assertReturnCommand("r1", "requested", "authorize");
    status = assertReturnCommand("r1", status, "receive");
    status = assertReturnCommand("r1", status, "inspect");
    expect(assertReturnCommand("r1", status, "close")).toBe("closed");
    expect(assertReturnCommand("r1", "requested", "reject")).toBe("rejected");
  });

  it("refuses every other transition", () => {
    for (const command of Object.keys(RETURN_TRANSITIONS) as ReturnCommand[]) {
      for (const status of RETURN_STATUSES) {
        if (RETURN_TRANSITIONS[command].from.includes(status)) continue;
        expect(() => assertReturnCommand("r1", status, command)).toThrow(/needs it/);
      }
    }
  });
});

describe("return window and quantities", () => {
  it("allows a return up to 30 days after delivery, not after, and not before delivery", () => {
    const delivered = new Date("2026-11-01T00:00:00Z");
    expect(() =>
      assertWithinReturnWindow(delivered, new Date(delivered.getTime() + 30 * DAY), DEFAULT_RETURN_WINDOW_MS),
    ).not.toThrow();
    expect(() =>
      assertWithinReturnWindow(
        delivered,
        new Date(delivered.getTime() + 30 * DAY + 1),
        DEFAULT_RETURN_WINDOW_MS,
      ),
    ).toThrow(/return window closed/);
    expect(() => assertWithinReturnWindow(null, delivered, DEFAULT_RETURN_WINDOW_MS)).toThrow(
      /not been delivered/,
    );
  });

  it("refuses more than delivered minus already returned, unknown and repeated lines", () => {
    const lines = [{ orderLineNumber: 1, sku: "SKU-1", delivered: 3, returned: 1 }];
    expect(() => checkRequestedLines(lines, [{ orderLineNumber: 1, quantity: 2 }])).not.toThrow();
    expect(() => checkRequestedLines(lines, [{ orderLineNumber: 1, quantity: 3 }])).toThrow(
      expect.objectContaining({ field: "lines[0].quantity" }),
    );
    expect(() => checkRequestedLines(lines, [{ orderLineNumber: 2, quantity: 1 }])).toThrow(
      expect.objectContaining({ field: "lines[0].order_line_number" }),
    );
    expect(() =>
      checkRequestedLines(lines, [
        { orderLineNumber: 1, quantity: 1 },
        { orderLineNumber: 1, quantity: 1 },
      ]),
    ).toThrow(expect.objectContaining({ field: "lines[1].order_line_number" }));
    expect(() => checkRequestedLines(lines, [])).toThrow(expect.objectContaining({ field: "lines" }));
  });

  it("needs dispositions covering every received unit exactly once", () => {
    const lines = [{ orderLineNumber: 1, received: 3 }];
    const counts = checkDispositions(lines, [
      { orderLineNumber: 1, condition: "sellable", quantity: 2 },
      { orderLineNumber: 1, condition: "damaged", quantity: 1 },
    ]);
    expect(counts.get(1)).toEqual({ sellable: 2, damaged: 1, needs_qc: 0 });
    expect(() =>
      checkDispositions(lines, [{ orderLineNumber: 1, condition: "sellable", quantity: 2 }]),
    ).toThrow(expect.objectContaining({ field: "dispositions" }));
    expect(() =>
      checkDispositions(lines, [{ orderLineNumber: 1, condition: "sellable", quantity: 4 }]),
    ).toThrow();
    expect(() =>
      checkDispositions(lines, [{ orderLineNumber: 9, condition: "sellable", quantity: 3 }]),
    ).toThrow(expect.objectContaining({ field: "dispositions[0].order_line_number" }));
  });
});

describe("refund", () => {
  const lines = [{ orderLineNumber: 1, unitPriceMinor: 2500, quantity: 3 }];

  it("charges a restocking fee and keeps shipping for a change of mind", () => {
    expect(computeRefund("change_of_mind", lines, 500, { restockingFeeRate: 0.1, taxRate: 0 })).toMatchObject(
      {
        itemsMinor: 7500,
        shippingMinor: 0,
        restockingFeeMinor: 750,
        totalMinor: 6750,
      },
    );
  });

  it("refunds items, tax and shipping without a fee when the seller is at fault", () => {
    expect(computeRefund("defective", lines, 500, { restockingFeeRate: 0.1, taxRate: 0.2 })).toMatchObject({
      itemsMinor: 7500,
      taxMinor: 1500,
      shippingMinor: 500,
      restockingFeeMinor: 0,
      totalMinor: 9500,
    });
  });

  it("restocks only what is inspected and not yet restocked", () => {
    expect(unitsToRestock({ sellable: 2, damaged: 1, needsQc: 0, restocked: 0 })).toBe(3);
    expect(unitsToRestock({ sellable: 2, damaged: 1, needsQc: 0, restocked: 3 })).toBe(0);
  });
});
