// A fulfillment order's states (one per order and shipping warehouse) and the transitions each command
// may make; data/fulfillment-order.repo.ts repeats `from` in its guarded UPDATEs.
import { assertTransition, type TransitionTable } from "./transition-table.ts";

export const FULFILLMENT_STATUSES = [
  // Created from OrderConfirmed; the warehouse is asked whether the reservation still covers it.
  "verifying",
  "open",
  "picking",
  "picked",
  "packed",
  "qc_hold",
  "shipped",
  "delivered",
  "cancelled",
] as const;
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];

export type FulfillmentCommand =
  // The reservation is confirmed for these units: ready for a wave.
  | "verify"
  // It is not (expired, cancelled, fewer units): the units go short, nothing is picked.
  | "refuse"
  // Put on a pick list (BuildWave).
  | "start_picking"
  // Every pickable unit picked or short.
  | "finish_picking"
  // Weighed within tolerance, no QC required.
  | "pack"
  // Weighed, and QC required (weight mismatch, order value, sampling).
  | "hold_for_qc"
  // Every held unit passed.
  | "pass_qc"
  // A unit failed and a replacement must be picked: back to open, for the next wave.
  | "repick_after_qc"
  // A unit failed with no replacement (the line goes short): the good units are packed again.
  | "repack_after_qc"
  | "ship"
  | "deliver"
  | "cancel";

export const FULFILLMENT_TRANSITIONS: TransitionTable<FulfillmentStatus, FulfillmentCommand> = {
  verify: { from: ["verifying"], to: "open" },
  refuse: { from: ["verifying"], to: "cancelled" },
  start_picking: { from: ["open"], to: "picking" },
  finish_picking: { from: ["picking"], to: "picked" },
  pack: { from: ["picked"], to: "packed" },
  hold_for_qc: { from: ["picked"], to: "qc_hold" },
  pass_qc: { from: ["qc_hold"], to: "packed" },
  repick_after_qc: { from: ["qc_hold"], to: "open" },
  repack_after_qc: { from: ["qc_hold"], to: "picked" },
  ship: { from: ["packed"], to: "shipped" },
  deliver: { from: ["shipped"], to: "delivered" },
  // Everything before the parcel leaves: picked units are put back, committed stock released.
  cancel: { from: ["verifying", "open", "picking", "picked", "packed", "qc_hold"], to: "cancelled" },
};

export const TERMINAL_FULFILLMENT_STATUSES: ReadonlySet<FulfillmentStatus> = new Set([
  "delivered",
  "cancelled",
]);

export function requiredFulfillmentStatuses(command: FulfillmentCommand): readonly FulfillmentStatus[] {
  return FULFILLMENT_TRANSITIONS[command].from;
}

export function assertFulfillmentCommand(
  fulfillmentId: string,
  status: FulfillmentStatus,
  command: FulfillmentCommand,
): FulfillmentStatus {
  return assertTransition(FULFILLMENT_TRANSITIONS, `fulfillment ${fulfillmentId}`, status, command);
}
