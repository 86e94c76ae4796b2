// Per-line quantities: each operation's bounds, the derived statuses, and a property: any sequence of
// allocate / ship / deliver / short / return / cancel keeps every invariant, and an operation that would
// break one is refused and changes nothing.
import { isAppError } from "@stockroom/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allocate,
  cancelUnshipped,
  deliver,
  type LineQuantities,
  lineFulfillmentStatus,
  lineInvariantsHold,
  lineResolved,
  markShort,
  openUnits,
  orderedLine,
  orderFulfillmentStatus,
  returnUnits,
  ship,
} from "../src/domain/line-fulfillment.ts";

function refused(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    if (isAppError(err)) return true;
    throw err;
  }
}

describe("line quantities", () => {
  it("walks a line from ordered to delivered and returned", () => {
    let q = orderedLine(5);
    expect(lineFulfillmentStatus(q)).toBe("unfulfilled");
    q = allocate(q, 5);
    q = ship(q, 2);
    expect(lineFulfillmentStatus(q)).toBe("partially_shipped");
    q = ship(q, 3);
    expect(lineFulfillmentStatus(q)).toBe("shipped");
    q = deliver(q, 5);
    expect(lineFulfillmentStatus(q)).toBe("delivered");
    expect(lineResolved(q)).toBe(true);
    q = returnUnits(q, 1);
    expect(lineFulfillmentStatus(q)).toBe("partially_returned");
    q = returnUnits(q, 4);
    expect(lineFulfillmentStatus(q)).toBe("returned");
    expect(lineInvariantsHold(q)).toBe(true);
  });

  it("refuses moving more than is there", () => {
    const q = allocate(orderedLine(3), 2);
    expect(refused(() => allocate(q, 2))).toBe(true);
    expect(refused(() => ship(q, 3))).toBe(true);
    expect(refused(() => deliver(ship(q, 1), 2))).toBe(true);
    expect(refused(() => returnUnits(deliver(ship(q, 1), 1), 2))).toBe(true);
    expect(refused(() => ship(q, 0))).toBe(true);
    expect(refused(() => orderedLine(0))).toBe(true);
  });

  it("a shortfall gives up the allocation above what is left deliverable, and counts as resolved", () => {
    const q = ship(allocate(orderedLine(4), 4), 1);
    const { quantities, deallocated } = markShort(q, 3);
    expect(quantities).toMatchObject({ short: 3, allocated: 1, shipped: 1 });
    expect(deallocated).toBe(3);
    expect(openUnits(quantities)).toBe(0);
    expect(lineFulfillmentStatus(quantities)).toBe("shipped");
    expect(refused(() => markShort(quantities, 1))).toBe(true);
  });

  it("cancel takes only unshipped units, un-commits what the warehouse held, and acts once", () => {
    const q = ship(allocate(orderedLine(5), 4), 2);
    const first = cancelUnshipped(q);
    expect(first).toMatchObject({ cancelled: 3, uncommit: 2 });
    expect(first.quantities).toMatchObject({ cancelled: 3, allocated: 2, shipped: 2 });
    const second = cancelUnshipped(first.quantities);
    expect(second).toMatchObject({ cancelled: 0, uncommit: 0 });
    expect(second.quantities).toEqual(first.quantities);
  });

  it("aggregates the order's status over its lines, ignoring what was cancelled or short", () => {
    const delivered = deliver(ship(allocate(orderedLine(2), 2), 2), 2);
    const cancelled = cancelUnshipped(orderedLine(3)).quantities;
    const waiting = orderedLine(1);
    expect(orderFulfillmentStatus([delivered, cancelled])).toBe("delivered");
    expect(orderFulfillmentStatus([delivered, waiting])).toBe("partially_delivered");
    expect(orderFulfillmentStatus([cancelled])).toBe("unfulfilled");
    expect(orderFulfillmentStatus([ship(allocate(orderedLine(1), 1), 1), waiting])).toBe("partially_shipped");
  });

  it("keeps every invariant under any sequence of operations", () => {
    type Op =
      | { kind: "allocate" | "ship" | "deliver" | "short" | "return"; units: number }
      | { kind: "cancel" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constantFrom(
          "allocate" as const,
          "ship" as const,
          "deliver" as const,
          "short" as const,
          "return" as const,
        ),
        units: fc.integer({ min: 0, max: 6 }),
      }),
      fc.constant({ kind: "cancel" as const }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 25 }), (ordered, ops) => {
        let q: LineQuantities = orderedLine(ordered);
        for (const o of ops) {
          const before = q;
          try {
            if (o.kind === "allocate") q = allocate(q, o.units);
            else if (o.kind === "ship") q = ship(q, o.units);
            else if (o.kind === "deliver") q = deliver(q, o.units);
            else if (o.kind === "short") q = markShort(q, o.units).quantities;
            else if (o.kind === "return") q = returnUnits(q, o.units);
            else q = cancelUnshipped(q).quantities;
          } catch (err) {
            if (!isAppError(err)) throw err;
            expect(q).toBe(before);
          }
          expect(lineInvariantsHold(q)).toBe(true);
          expect(q.shipped + q.short + q.cancelled + openUnits(q)).toBe(ordered);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("flags broken quantities", () => {
    const q = orderedLine(2);
    expect(lineInvariantsHold({ ...q, shipped: 1 })).toBe(false);
    expect(lineInvariantsHold({ ...q, allocated: 2, shipped: 2, delivered: 3 })).toBe(false);
    expect(lineInvariantsHold({ ...q, allocated: 2, cancelled: 1 })).toBe(false);
    expect(lineInvariantsHold({ ...q, short: -1 })).toBe(false);
  });
});
