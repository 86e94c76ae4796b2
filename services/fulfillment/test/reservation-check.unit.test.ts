import { describe, expect, it } from "vitest";
import { checkReservationCovers, type ReservationAnswer } from "../src/domain/reservation-check.ts";

const SKU_1_LINE: ReservationAnswer["lines"][number] = {
  lineNumber: 1,
  sku: "SKU-1",
  status: "committed",
  allocations: [{ warehouseCode: "WH-1", lotCode: "", quantity: 3 }],
};

const confirmed: ReservationAnswer = {
  status: "confirmed",
  lines: [
    SKU_1_LINE,
    {
      lineNumber: 2,
      sku: "SKU-2",
      status: "committed",
      allocations: [
        { warehouseCode: "WH-1", lotCode: "L1", quantity: 1 },
        { warehouseCode: "WH-2", lotCode: "", quantity: 4 },
      ],
    },
  ],
};

describe("reservation check (FULF-P0-03)", () => {
  it("accepts a confirmed reservation committing the units in the warehouse and maps the lines", () => {
    const check = checkReservationCovers(confirmed, "WH-1", [
      { orderLineNumber: 1, sku: "SKU-1", quantity: 3 },
      { orderLineNumber: 2, sku: "SKU-2", quantity: 1 },
    ]);
    expect(check.ok && [...check.reservationLineOf]).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it("refuses a reservation that is not confirmed", () => {
    for (const status of ["active", "released", "expired", "cancelled", "shipped"] as const) {
      const check = checkReservationCovers({ ...confirmed, status }, "WH-1", [
        { orderLineNumber: 1, sku: "SKU-1", quantity: 1 },
      ]);
      expect(check).toMatchObject({ ok: false, reason: expect.stringContaining(status) });
    }
  });

  it("refuses units committed in another warehouse, released lines, and demand summed over lines of one sku", () => {
    expect(
      checkReservationCovers(confirmed, "WH-1", [{ orderLineNumber: 2, sku: "SKU-2", quantity: 2 }]).ok,
    ).toBe(false);
    expect(
      checkReservationCovers(confirmed, "WH-2", [{ orderLineNumber: 2, sku: "SKU-2", quantity: 4 }]).ok,
    ).toBe(true);
    const released: ReservationAnswer = {
      status: "confirmed",
      lines: [{ ...SKU_1_LINE, status: "released" }],
    };
    expect(
      checkReservationCovers(released, "WH-1", [{ orderLineNumber: 1, sku: "SKU-1", quantity: 1 }]).ok,
    ).toBe(false);
    const split = checkReservationCovers(confirmed, "WH-1", [
      { orderLineNumber: 1, sku: "SKU-1", quantity: 2 },
      { orderLineNumber: 3, sku: "SKU-1", quantity: 2 },
    ]);
    expect(split).toMatchObject({ ok: false, missing: [{ orderLineNumber: 1 }, { orderLineNumber: 3 }] });
  });
});
