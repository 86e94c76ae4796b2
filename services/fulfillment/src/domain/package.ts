// Packages: their states, the weight check against the catalog's product weights, and when QC holds a
// package (FULF-P1-03: a weight mismatch has an effect; the review's P1-1: a QC failure moves stock).
import { invalidArgument } from "@stockroom/errors";
import { assertTransition, type TransitionTable } from "./transition-table.ts";

export const PACKAGE_STATUSES = ["packed", "qc_hold", "shipped", "voided"] as const;
export type PackageStatus = (typeof PACKAGE_STATUSES)[number];

export type PackageCommand = "pass_qc" | "void" | "ship";

export const PACKAGE_TRANSITIONS: TransitionTable<PackageStatus, PackageCommand> = {
  pass_qc: { from: ["qc_hold"], to: "packed" },
  // Opened after a QC failure (its good units are re-packed with the replacement) or a cancel.
  void: { from: ["qc_hold", "packed"], to: "voided" },
  ship: { from: ["packed"], to: "shipped" },
};

export function assertPackageCommand(
  packageId: string,
  status: PackageStatus,
  command: PackageCommand,
): PackageStatus {
  return assertTransition(PACKAGE_TRANSITIONS, `package ${packageId}`, status, command);
}

export const QC_TRIGGERS = ["weight_mismatch", "order_value", "random_sample"] as const;
export type QcTrigger = (typeof QC_TRIGGERS)[number];

export interface QcPolicy {
  // Allowed difference between measured and expected weight, as a fraction of expected (0.05 = 5 %).
  weightTolerance: number;
  // ...and never less than this many grams (packaging material on very light parcels).
  weightToleranceMinGrams: number;
  // QC is mandatory for fulfillments worth at least this much (minor units); null: never by value.
  orderValueThresholdMinor: number | null;
  // Fraction of the other packages sampled at random for QC (0..1).
  sampleRate: number;
}

export const DEFAULT_QC_POLICY: QcPolicy = {
  weightTolerance: 0.05,
  weightToleranceMinGrams: 20,
  orderValueThresholdMinor: 50_000,
  sampleRate: 0.02,
};

export function weightWithinTolerance(
  expectedGrams: number,
  measuredGrams: number,
  policy: QcPolicy,
): boolean {
  const allowed = Math.max(policy.weightToleranceMinGrams, Math.ceil(expectedGrams * policy.weightTolerance));
  return Math.abs(measuredGrams - expectedGrams) <= allowed;
}

export function expectedWeightGrams(lines: readonly { quantity: number; unitWeightGrams: number }[]): number {
  return lines.reduce((sum, l) => sum + l.quantity * l.unitWeightGrams, 0);
}

export interface PackDecision {
  status: PackageStatus;
  triggers: QcTrigger[];
}

// `draw` is a uniform number in [0, 1) (Math.random in the service, fixed in tests).
export function decidePack(
  input: { expectedGrams: number; measuredGrams: number; orderValueMinor: number },
  policy: QcPolicy,
  draw: number,
): PackDecision {
  if (!Number.isInteger(input.measuredGrams) || input.measuredGrams < 1) {
    throw invalidArgument(
      "measured_weight_grams",
      `measured_weight_grams must be a positive integer, got ${input.measuredGrams}`,
    );
  }
  const triggers: QcTrigger[] = [];
  if (!weightWithinTolerance(input.expectedGrams, input.measuredGrams, policy))
    triggers.push("weight_mismatch");
  if (policy.orderValueThresholdMinor !== null && input.orderValueMinor >= policy.orderValueThresholdMinor) {
    triggers.push("order_value");
  }
  if (triggers.length === 0 && draw < policy.sampleRate) triggers.push("random_sample");
  return { status: triggers.length > 0 ? "qc_hold" : "packed", triggers };
}

export const QC_OUTCOMES = ["pass", "fail_quality_control", "fail_damaged"] as const;
export type QcOutcome = (typeof QC_OUTCOMES)[number];

export interface QcUnitResult {
  orderLineNumber: number;
  unitIndex: number;
  outcome: QcOutcome;
  reason: string;
}

// Exactly one result per packed unit (lines[i].quantity units, indexes 1..quantity), a reason for each
// failure. Returns the failed units per line and where they go in the warehouse.
export function checkQcResults(
  packed: readonly { orderLineNumber: number; quantity: number }[],
  results: readonly QcUnitResult[],
): Map<number, { qualityControl: number; damaged: number }> {
  const seen = new Set<string>();
  const failed = new Map<number, { qualityControl: number; damaged: number }>();
  results.forEach((r, i) => {
    const line = packed.find((p) => p.orderLineNumber === r.orderLineNumber);
    if (!line)
      throw invalidArgument(
        `results[${i}].order_line_number`,
        `the package holds no line ${r.orderLineNumber}`,
      );
    if (!Number.isInteger(r.unitIndex) || r.unitIndex < 1 || r.unitIndex > line.quantity) {
      throw invalidArgument(
        `results[${i}].unit_index`,
        `unit_index must be between 1 and ${line.quantity}, got ${r.unitIndex}`,
      );
    }
    const key = `${r.orderLineNumber}:${r.unitIndex}`;
    if (seen.has(key)) throw invalidArgument(`results[${i}].unit_index`, `unit ${key} has two results`);
    seen.add(key);
    if (r.outcome !== "pass") {
      if (r.reason.trim() === "")
        throw invalidArgument(`results[${i}].reason`, "a failed unit needs a reason");
      const f = failed.get(r.orderLineNumber) ?? { qualityControl: 0, damaged: 0 };
      if (r.outcome === "fail_damaged") f.damaged += 1;
      else f.qualityControl += 1;
      failed.set(r.orderLineNumber, f);
    }
  });
  const units = packed.reduce((n, p) => n + p.quantity, 0);
  if (seen.size !== units) {
    throw invalidArgument("results", `the package holds ${units} units; got results for ${seen.size}`);
  }
  return failed;
}
