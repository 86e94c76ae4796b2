// The units of one fulfillment line and what each step may do with them. The same bounds are CHECKs on
// fulfillment_lines (migrations/fulfillment/20261202000100_fulfillment_orders.sql).
import { invalidArgument } from "@stockroom/errors";

export interface LineUnits {
  ordered: number;
  // Good units in hand (a unit failing QC leaves picked for qc_failed).
  picked: number;
  packed: number;
  shipped: number;
  short: number;
  cancelled: number;
  qcFailed: number;
  delivered: number;
  returned: number;
  restocked: number;
}

export const NO_UNITS: Omit<LineUnits, "ordered"> = {
  picked: 0,
  packed: 0,
  shipped: 0,
  short: 0,
  cancelled: 0,
  qcFailed: 0,
  delivered: 0,
  returned: 0,
  restocked: 0,
};

export function lineInvariantsHold(u: LineUnits): boolean {
  const counts = Object.values(u);
  return (
    counts.every((n) => Number.isInteger(n) && n >= 0) &&
    u.ordered >= 1 &&
    u.picked + u.short + u.cancelled <= u.ordered &&
    u.packed <= u.picked &&
    u.shipped <= u.packed &&
    u.delivered <= u.shipped &&
    u.returned <= u.delivered &&
    u.restocked <= u.returned
  );
}

// Units still to pick: neither in hand, nor short, nor cancelled.
export function unitsToPick(u: LineUnits): number {
  return u.ordered - u.picked - u.short - u.cancelled;
}

export function applyPick(u: LineUnits, quantity: number, field = "quantity"): LineUnits {
  const open = unitsToPick(u);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > open) {
    throw invalidArgument(
      field,
      `${field} must be between 1 and the ${open} units still to pick, got ${quantity}`,
    );
  }
  return { ...u, picked: u.picked + quantity };
}

export function applyShort(u: LineUnits, quantity: number, field = "quantity"): LineUnits {
  const open = unitsToPick(u);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > open) {
    throw invalidArgument(
      field,
      `${field} must be between 1 and the ${open} units still to pick, got ${quantity}`,
    );
  }
  return { ...u, short: u.short + quantity };
}

// A unit that failed QC leaves the package and the picked units; a replacement may be picked for it
// (it becomes a unit to pick again) or the line goes short by it.
export function applyQcFailure(u: LineUnits, failed: number, replace: boolean): LineUnits {
  if (!Number.isInteger(failed) || failed < 1 || failed > u.packed - u.shipped) {
    throw invalidArgument(
      "results",
      `${failed} failed units exceed the ${u.packed - u.shipped} packed units`,
    );
  }
  const next = { ...u, picked: u.picked - failed, packed: u.packed - failed, qcFailed: u.qcFailed + failed };
  return replace ? next : { ...next, short: next.short + failed };
}

export interface CancelEffect {
  units: LineUnits;
  // Units cancelled now (neither shipped, short nor cancelled before).
  cancelled: number;
  // Picked (or packed) units to put back in their bins: exactly what was picked and not shipped.
  putBack: number;
}

// Cancel what has not shipped (vendure#1198, medusa#11703: a cancel restores exactly the allocation
// that was not consumed). A second cancel changes nothing.
export function cancelUnshipped(u: LineUnits): CancelEffect {
  const putBack = u.picked - u.shipped;
  const cancelled = u.ordered - u.shipped - u.short - u.cancelled;
  return {
    units: { ...u, picked: u.shipped, packed: u.shipped, cancelled: u.cancelled + cancelled },
    cancelled,
    putBack,
  };
}
