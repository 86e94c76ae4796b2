// What the payment owes after checkout, as facts arrive: how much to capture when units ship, and what
// to do with the money of units that will never ship (short, cancelled). Pure: the caller records the
// decision (a capture, void or refund with a deterministic key) in the transaction that applied the fact.
//
// Providers differ: one that captures many times (multicapture) is captured per shipment; one that
// captures once (Stripe's default, the sandbox) is captured at the first shipment for every unit still
// deliverable, and what later goes short or is cancelled is refunded.
import { deliverableUnits, type LineQuantities, openUnits } from "./line-fulfillment.ts";

export interface PricedLine extends LineQuantities {
  lineNumber: number;
  unitPriceMinor: number;
}

export interface UnitsOfLine {
  lineNumber: number;
  quantity: number;
}

export interface PaymentView {
  status: string;
  authorizedMinor: number;
  capturedMinor: number;
  refundedMinor: number;
}

// One capture for the whole order on a provider that captures once.
export const SINGLE_CAPTURE_SOURCE = "all";

export function unitsValue(lines: readonly PricedLine[], units: readonly UnitsOfLine[]): number {
  return units.reduce((total, u) => {
    const line = lines.find((l) => l.lineNumber === u.lineNumber);
    return total + (line ? line.unitPriceMinor * u.quantity : 0);
  }, 0);
}

// The value of every unit the customer will get or got (neither short nor cancelled).
export function deliverableValue(lines: readonly PricedLine[]): number {
  return lines.reduce((total, l) => total + l.unitPriceMinor * deliverableUnits(l), 0);
}

export type CaptureDecision = { kind: "none" } | { kind: "capture"; amountMinor: number; sourceKey: string };

export function captureOnShipment(input: {
  payment: PaymentView;
  multipleCaptures: boolean;
  // The order's lines after the shipment was applied.
  lines: readonly PricedLine[];
  // Charges beyond the lines (total minus subtotal), captured with the last units.
  extrasMinor: number;
  shipment: { sourceKey: string; units: readonly UnitsOfLine[] };
  // A capture was already recorded for this payment (single capture: it covers everything).
  captureRecorded: boolean;
}): CaptureDecision {
  const { payment } = input;
  const capturable = payment.authorizedMinor - payment.capturedMinor;
  if (input.multipleCaptures) {
    if (payment.status !== "authorized" && payment.status !== "captured") return { kind: "none" };
    const last = input.lines.every((l) => openUnits(l) === 0);
    const value = unitsValue(input.lines, input.shipment.units) + (last ? input.extrasMinor : 0);
    const amountMinor = Math.min(value, capturable);
    return amountMinor > 0
      ? { kind: "capture", amountMinor, sourceKey: input.shipment.sourceKey }
      : { kind: "none" };
  }
  if (payment.status !== "authorized" || input.captureRecorded) return { kind: "none" };
  const amountMinor = Math.min(deliverableValue(input.lines) + input.extrasMinor, capturable);
  return amountMinor > 0
    ? { kind: "capture", amountMinor, sourceKey: SINGLE_CAPTURE_SOURCE }
    : { kind: "none" };
}

export type DroppedUnitsSettlement =
  | { kind: "none" }
  // Nothing of the order will ship: the whole authorization goes.
  | { kind: "void" }
  | { kind: "refund"; amountMinor: number };

// Units that will not ship (short, cancelled after a partial shipment), worth droppedValue.
export function settleDroppedUnits(input: {
  payment: PaymentView;
  // A capture is recorded and not yet settled: the money will be taken, so it is refunded after.
  capturePending: boolean;
  droppedValue: number;
  // The order's lines after the units were dropped.
  lines: readonly PricedLine[];
}): DroppedUnitsSettlement {
  const { payment } = input;
  if (input.droppedValue <= 0) return { kind: "none" };
  const captured = payment.status === "captured" || payment.status === "partially_refunded";
  if (captured || input.capturePending) {
    const refundable = captured ? payment.capturedMinor - payment.refundedMinor : input.droppedValue;
    const amountMinor = Math.min(input.droppedValue, refundable);
    return amountMinor > 0 ? { kind: "refund", amountMinor } : { kind: "none" };
  }
  if (payment.status !== "authorized") return { kind: "none" };
  // Authorized, nothing captured: a later capture takes only what ships; with nothing left to ship
  // and nothing shipped, the authorization is voided.
  const nothingLeft = input.lines.every((l) => openUnits(l) === 0 && l.shipped === 0);
  return nothingLeft ? { kind: "void" } : { kind: "none" };
}
