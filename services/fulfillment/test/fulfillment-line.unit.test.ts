import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyPick,
  applyQcFailure,
  applyShort,
  cancelUnshipped,
  type LineUnits,
  lineInvariantsHold,
  NO_UNITS,
  unitsToPick,
} from "../src/domain/fulfillment-line.ts";

const line = (values: Partial<LineUnits> = {}): LineUnits => ({ ordered: 3, ...NO_UNITS, ...values });

describe("fulfillment line units", () => {
  it("picks and shorts only units still to pick, naming the field", () => {
    const picked = applyPick(line(), 2);
    expect(picked.picked).toBe(2);
    expect(unitsToPick(picked)).toBe(1);
    expect(() => applyPick(picked, 2, "quantity")).toThrow(/quantity must be between 1 and the 1 units/);
    expect(() => applyPick(picked, 0)).toThrow();
    const short = applyShort(picked, 1, "found_quantity");
    expect(short.short).toBe(1);
    expect(unitsToPick(short)).toBe(0);
    expect(() => applyShort(short, 1, "found_quantity")).toThrow(/found_quantity/);
  });

  it("takes a failed QC unit out of picked and packed; replaced it is picked again, else short", () => {
    const packed = line({ picked: 3, packed: 3 });
    const replaced = applyQcFailure(packed, 1, true);
    expect(replaced).toMatchObject({ picked: 2, packed: 2, qcFailed: 1, short: 0 });
    expect(unitsToPick(replaced)).toBe(1);
    const shorted = applyQcFailure(packed, 1, false);
    expect(shorted).toMatchObject({ picked: 2, packed: 2, qcFailed: 1, short: 1 });
    expect(unitsToPick(shorted)).toBe(0);
    expect(() => applyQcFailure(packed, 4, true)).toThrow();
  });

  it("cancels exactly the unshipped units and puts back exactly what was picked", () => {
    const effect = cancelUnshipped(line({ ordered: 5, picked: 3, packed: 2, short: 1 }));
    expect(effect).toMatchObject({ cancelled: 4, putBack: 3 });
    expect(effect.units).toMatchObject({ picked: 0, packed: 0, cancelled: 4, short: 1 });
    expect(lineInvariantsHold(effect.units)).toBe(true);
    const again = cancelUnshipped(effect.units);
    expect(again).toMatchObject({ cancelled: 0, putBack: 0 });
  });

  it("keeps the invariants through any sequence of picks, shorts, QC failures and a cancel", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("pick" as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("short" as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ kind: fc.constant("pack" as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({
        kind: fc.constant("qc" as const),
        n: fc.integer({ min: 1, max: 4 }),
        replace: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("cancel" as const), n: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(step, { maxLength: 20 }), (ordered, steps) => {
        let u = line({ ordered });
        let putBack = 0;
        for (const s of steps) {
          try {
            if (s.kind === "pick") u = applyPick(u, s.n);
            else if (s.kind === "short") u = applyShort(u, s.n);
            else if (s.kind === "pack") {
              if (s.n > u.picked - u.packed) continue;
              u = { ...u, packed: u.packed + s.n };
            } else if (s.kind === "qc") u = applyQcFailure(u, s.n, "replace" in s ? s.replace : false);
            else {
              const effect = cancelUnshipped(u);
              putBack += effect.putBack;
              u = effect.units;
            }
          } catch {
            // Refused steps change nothing.
          }
          expect(lineInvariantsHold(u)).toBe(true);
        }
        // Never more put back than was ever in hand.
        expect(putBack).toBeLessThanOrEqual(ordered);
      }),
    );
  });
});
