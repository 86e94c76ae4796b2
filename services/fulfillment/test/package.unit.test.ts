import { describe, expect, it } from "vitest";
import {
  assertPackageCommand,
  checkQcResults,
  DEFAULT_QC_POLICY,
  decidePack,
  expectedWeightGrams,
  type QcPolicy,
  weightWithinTolerance,
} from "../src/domain/package.ts";

const policy: QcPolicy = {
  weightTolerance: 0.05,
  weightToleranceMinGrams: 20,
  orderValueThresholdMinor: 50_000,
  sampleRate: 0.1,
};

describe("pack weight check and QC triggers", () => {
  it("allows 5 % or 20 g, whichever is more", () => {
    expect(weightWithinTolerance(1000, 1050, policy)).toBe(true);
    expect(weightWithinTolerance(1000, 1051, policy)).toBe(false);
    expect(weightWithinTolerance(1000, 949, policy)).toBe(false);
    expect(weightWithinTolerance(100, 120, policy)).toBe(true);
    expect(weightWithinTolerance(100, 121, policy)).toBe(false);
  });

  it("sums expected weight over the packed units", () => {
    expect(
      expectedWeightGrams([
        { quantity: 3, unitWeightGrams: 300 },
        { quantity: 1, unitWeightGrams: 50 },
      ]),
    ).toBe(950);
  });

  it("holds a weight mismatch, a high-value order, and a sampled package; passes the rest", () => {
    const base = { expectedGrams: 900, measuredGrams: 905, orderValueMinor: 7_500 };
    expect(decidePack(base, policy, 0.5)).toEqual({ status: "packed", triggers: [] });
    expect(decidePack({ ...base, measuredGrams: 700 }, policy, 0.5)).toEqual({
      status: "qc_hold",
      triggers: ["weight_mismatch"],
    });
    expect(decidePack({ ...base, orderValueMinor: 50_000 }, policy, 0.5)).toEqual({
      status: "qc_hold",
      triggers: ["order_value"],
    });
    expect(decidePack(base, policy, 0.05)).toEqual({ status: "qc_hold", triggers: ["random_sample"] });
    expect(decidePack(base, { ...policy, orderValueThresholdMinor: null, sampleRate: 0 }, 0)).toMatchObject({
      status: "packed",
    });
    expect(() => decidePack({ ...base, measuredGrams: 0 }, policy, 0.5)).toThrow(
      expect.objectContaining({ field: "measured_weight_grams" }),
    );
    expect(DEFAULT_QC_POLICY.weightTolerance).toBeGreaterThan(0);
  });

  it("ships only packed packages; a held one passes QC or is voided", () => {
    expect(assertPackageCommand("k1", "qc_hold", "pass_qc")).toBe("packed");
    expect(assertPackageCommand("k1", "qc_hold", "void")).toBe("voided");
    expect(assertPackageCommand("k1", "packed", "ship")).toBe("shipped");
    expect(() => assertPackageCommand("k1", "qc_hold", "ship")).toThrow();
    expect(() => assertPackageCommand("k1", "shipped", "ship")).toThrow();
  });
});

describe("QC results", () => {
  const packed = [
    { orderLineNumber: 1, quantity: 2 },
    { orderLineNumber: 2, quantity: 1 },
  ];

  it("needs one result per packed unit and counts failures per line and bucket", () => {
    const failed = checkQcResults(packed, [
      { orderLineNumber: 1, unitIndex: 1, outcome: "pass", reason: "" },
      { orderLineNumber: 1, unitIndex: 2, outcome: "fail_damaged", reason: "cracked" },
      { orderLineNumber: 2, unitIndex: 1, outcome: "fail_quality_control", reason: "seal broken" },
    ]);
    expect(failed.get(1)).toEqual({ qualityControl: 0, damaged: 1 });
    expect(failed.get(2)).toEqual({ qualityControl: 1, damaged: 0 });
  });

  it("refuses missing, duplicate, unknown and unreasoned results, naming the field", () => {
    const ok = { orderLineNumber: 1, unitIndex: 1, outcome: "pass" as const, reason: "" };
    expect(() => checkQcResults(packed, [ok])).toThrow(expect.objectContaining({ field: "results" }));
    expect(() => checkQcResults(packed, [ok, ok])).toThrow(
      expect.objectContaining({ field: "results[1].unit_index" }),
    );
    expect(() => checkQcResults(packed, [{ ...ok, orderLineNumber: 3 }])).toThrow(
      expect.objectContaining({ field: "results[0].order_line_number" }),
    );
    expect(() => checkQcResults(packed, [{ ...ok, unitIndex: 3 }])).toThrow(
      expect.objectContaining({ field: "results[0].unit_index" }),
    );
    expect(() => checkQcResults(packed, [{ ...ok, outcome: "fail_damaged" }])).toThrow(
      expect.objectContaining({ field: "results[0].reason" }),
    );
  });
});
