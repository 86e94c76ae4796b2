// Per order line: how many units were ordered, allocated (committed by the warehouse), shipped,
// delivered, short, returned and cancelled, the invariants between them, and the fulfillment status
// derived from them per line and for the whole order. Each unit ends exactly one way (shipped, short or
// cancelled), and nothing moves twice: every change is bounded by what is there to move.
import { ErrorReason, failedPrecondition, invalidArgument } from "@stockroom/errors";

export const FULFILLMENT_STATUSES = [
  "unfulfilled",
  "partially_shipped",
  "shipped",
  "partially_delivered",
  "delivered",
  "partially_returned",
  "returned",
] as const;
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];

export interface LineQuantities {
  readonly ordered: number;
  // Committed to the line by the warehouse, shipped units included.
  readonly allocated: number;
  readonly shipped: number;
  readonly delivered: number;
  // Could not be supplied.
  readonly short: number;
  readonly returned: number;
  // Cancelled before shipment.
  readonly cancelled: number;
}

export function orderedLine(ordered: number): LineQuantities {
  if (!Number.isInteger(ordered) || ordered < 1)
    throw invalidArgument("quantity", "a line orders at least one unit");
  return { ordered, allocated: 0, shipped: 0, delivered: 0, short: 0, returned: 0, cancelled: 0 };
}

// Units that can still ship (neither shipped, short nor cancelled).
export function openUnits(q: LineQuantities): number {
  return q.ordered - q.shipped - q.short - q.cancelled;
}

// Units the customer will get or got: the line's deliverable size.
export function deliverableUnits(q: LineQuantities): number {
  return q.ordered - q.short - q.cancelled;
}

// The checks the order_lines table's CHECKs repeat.
export function lineInvariantsHold(q: LineQuantities): boolean {
  const values = [q.ordered, q.allocated, q.shipped, q.delivered, q.short, q.returned, q.cancelled];
  return (
    values.every((v) => Number.isInteger(v) && v >= 0) &&
    q.ordered >= 1 &&
    q.shipped + q.short + q.cancelled <= q.ordered &&
    q.shipped <= q.allocated &&
    q.allocated <= q.ordered - q.short - q.cancelled &&
    q.delivered <= q.shipped &&
    q.returned <= q.delivered
  );
}

function assertUnits(units: number, limit: number, what: string): void {
  if (!Number.isInteger(units) || units < 1)
    throw invalidArgument("quantity", `${what} needs a positive quantity`);
  if (units > limit) {
    throw failedPrecondition(
      ErrorReason.INVARIANT_VIOLATION,
      `${what} of ${units} units is above the ${limit} there`,
      {
        quantity: String(units),
        limit: String(limit),
      },
    );
  }
}

// The warehouse committed these units to the line (confirm reservation, or a re-allocation).
export function allocate(q: LineQuantities, units: number): LineQuantities {
  assertUnits(units, deliverableUnits(q) - q.allocated, "allocating");
  return { ...q, allocated: q.allocated + units };
}

export function ship(q: LineQuantities, units: number): LineQuantities {
  assertUnits(units, q.allocated - q.shipped, "shipping");
  return { ...q, shipped: q.shipped + units };
}

export function deliver(q: LineQuantities, units: number): LineQuantities {
  assertUnits(units, q.shipped - q.delivered, "delivering");
  return { ...q, delivered: q.delivered + units };
}

export function returnUnits(q: LineQuantities, units: number): LineQuantities {
  assertUnits(units, q.delivered - q.returned, "returning");
  return { ...q, returned: q.returned + units };
}

export interface ShortResult {
  quantities: LineQuantities;
  // Allocated units given up with the shortage (the warehouse no longer holds them for the line).
  deallocated: number;
}

// Units that cannot be supplied; any allocation above what is left deliverable goes with them.
export function markShort(q: LineQuantities, units: number): ShortResult {
  assertUnits(units, openUnits(q), "marking short");
  const short = q.short + units;
  const allocated = Math.min(q.allocated, q.ordered - short - q.cancelled);
  return { quantities: { ...q, short, allocated }, deallocated: q.allocated - allocated };
}

export interface CancelResult {
  quantities: LineQuantities;
  // Units cancelled now (0 when nothing was open: cancelling twice acts once).
  cancelled: number;
  // Of those, units committed in the warehouse that must be un-committed.
  uncommit: number;
}

// Cancels every unit that has not shipped (and is not short); shipped units stay.
export function cancelUnshipped(q: LineQuantities): CancelResult {
  const units = openUnits(q);
  const uncommit = q.allocated - q.shipped;
  return {
    quantities: { ...q, cancelled: q.cancelled + units, allocated: q.shipped },
    cancelled: units,
    uncommit,
  };
}

// From totals over one line or many: the furthest stage every deliverable unit reached, "partially"
// when only some did.
function statusOf(
  deliverable: number,
  shipped: number,
  delivered: number,
  returned: number,
): FulfillmentStatus {
  if (returned > 0)
    return returned === delivered && delivered === deliverable ? "returned" : "partially_returned";
  if (delivered > 0) return delivered === deliverable ? "delivered" : "partially_delivered";
  if (shipped > 0) return shipped === deliverable ? "shipped" : "partially_shipped";
  return "unfulfilled";
}

export function lineFulfillmentStatus(q: LineQuantities): FulfillmentStatus {
  return statusOf(deliverableUnits(q), q.shipped, q.delivered, q.returned);
}

export function orderFulfillmentStatus(lines: readonly LineQuantities[]): FulfillmentStatus {
  const total = (f: (q: LineQuantities) => number) => lines.reduce((n, q) => n + f(q), 0);
  return statusOf(
    total(deliverableUnits),
    total((q) => q.shipped),
    total((q) => q.delivered),
    total((q) => q.returned),
  );
}

// Every unit is resolved: nothing left to ship and everything shipped was delivered.
export function lineResolved(q: LineQuantities): boolean {
  return openUnits(q) === 0 && q.delivered === q.shipped;
}
