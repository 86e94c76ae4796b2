import { describe, expect, it } from "vitest";
import { availabilityFrom } from "../src/domain/availability.ts";
import { canChange, isValidPrice, isValidSku } from "../src/domain/product.ts";

describe("catalog domain", () => {
  it("accepts the warehouse's sku format and refuses crafted ones", () => {
    expect(isValidSku("SKU-1.a_b")).toBe(true);
    for (const bad of ["", "-lead", "a:b", "a*", "a b", "x".repeat(65), "a\nb", "catalog:product:v1:X"]) {
      expect(isValidSku(bad)).toBe(false);
    }
  });

  it("prices are non-negative minor units in an upper-case currency", () => {
    expect(isValidPrice({ amountMinor: 0n, currency: "EUR" })).toBe(true);
    expect(isValidPrice({ amountMinor: -1n, currency: "EUR" })).toBe(false);
    expect(isValidPrice({ amountMinor: 1n, currency: "eur" })).toBe(false);
  });

  it("archived products cannot change", () => {
    expect(canChange("archived")).toBe(false);
    expect(canChange("active")).toBe(true);
  });

  it("totals sum every warehouse, floor negatives and report the lag", () => {
    const asOf = new Date("2026-11-22T10:00:10Z");
    const availability = availabilityFrom(
      [
        {
          warehouseCode: "W2",
          available: 3,
          onHand: 3,
          reserved: 0,
          committed: 0,
          levelVersion: 2,
          updatedAt: new Date("2026-11-22T10:00:00Z"),
        },
        {
          warehouseCode: "W1",
          available: 5,
          onHand: 9,
          reserved: 4,
          committed: 0,
          levelVersion: 7,
          updatedAt: new Date("2026-11-22T10:00:08Z"),
        },
      ],
      asOf,
    );
    expect(availability.totalAvailable).toBe(8);
    expect(availability.warehouses.map((w) => w.warehouseCode)).toEqual(["W1", "W2"]);
    expect(availability.lagMs).toBe(2000);
  });
});
