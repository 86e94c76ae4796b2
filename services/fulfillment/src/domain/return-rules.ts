// Returns (RMA): their states, the return window, how requested, received and inspected units are
// bounded, and the refund. Restocked units are tracked per line so nothing restocks twice
// (PrestaShop#35460, woocommerce#22489).
import { ErrorReason, failedPrecondition, invalidArgument } from "@stockroom/errors";
import { assertTransition, type TransitionTable } from "./transition-table.ts";

export const RETURN_STATUSES = [
  "requested",
  "authorized",
  "rejected",
  "received",
  "inspected",
  "closed",
] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

export type ReturnCommand = "authorize" | "reject" | "receive" | "inspect" | "close";

export const RETURN_TRANSITIONS: TransitionTable<ReturnStatus, ReturnCommand> = {
  authorize: { from: ["requested"], to: "authorized" },
  reject: { from: ["requested"], to: "rejected" },
  receive: { from: ["authorized"], to: "received" },
  inspect: { from: ["received"], to: "inspected" },
  // Every disposition restocked by the warehouse.
  close: { from: ["inspected"], to: "closed" },
};

// Statuses ListReturnsAwaitingAction shows by default: each waits for an ops action.
export const RETURN_STATUSES_AWAITING_ACTION: readonly ReturnStatus[] = [
  "requested",
  "authorized",
  "received",
];

export function assertReturnCommand(
  returnId: string,
  status: ReturnStatus,
  command: ReturnCommand,
): ReturnStatus {
  return assertTransition(RETURN_TRANSITIONS, `return ${returnId}`, status, command);
}

export const RETURN_REASONS = [
  "change_of_mind",
  "defective",
  "wrong_item",
  "damaged_in_transit",
  "not_as_described",
] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];

// The customer changed their mind; every other reason is the seller's (or the carrier's) fault.
export function sellerAtFault(reason: ReturnReason): boolean {
  return reason !== "change_of_mind";
}

export const DEFAULT_RETURN_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

export function assertWithinReturnWindow(deliveredAt: Date | null, now: Date, windowMs: number): void {
  if (deliveredAt === null) {
    throw failedPrecondition(ErrorReason.INVALID_STATE_TRANSITION, "the fulfillment has not been delivered", {
      field: "fulfillment_id",
    });
  }
  const closes = deliveredAt.getTime() + windowMs;
  if (now.getTime() > closes) {
    throw failedPrecondition(
      ErrorReason.INVALID_STATE_TRANSITION,
      `the return window closed at ${new Date(closes).toISOString()}`,
      { field: "fulfillment_id", windowClosedAt: new Date(closes).toISOString() },
    );
  }
}

export interface ReturnableLine {
  orderLineNumber: number;
  sku: string;
  delivered: number;
  // Already asked back by other returns (not rejected).
  returned: number;
}

// Each named line once, each quantity within what was delivered and not already returned.
export function checkRequestedLines(
  lines: readonly ReturnableLine[],
  requested: readonly { orderLineNumber: number; quantity: number }[],
): void {
  if (requested.length === 0) throw invalidArgument("lines", "a return needs at least one line");
  const seen = new Set<number>();
  requested.forEach((r, i) => {
    if (seen.has(r.orderLineNumber)) {
      throw invalidArgument(`lines[${i}].order_line_number`, `line ${r.orderLineNumber} is named twice`);
    }
    seen.add(r.orderLineNumber);
    const line = lines.find((l) => l.orderLineNumber === r.orderLineNumber);
    if (!line) {
      throw invalidArgument(
        `lines[${i}].order_line_number`,
        `the fulfillment has no line ${r.orderLineNumber}`,
      );
    }
    const left = line.delivered - line.returned;
    if (!Number.isInteger(r.quantity) || r.quantity < 1 || r.quantity > left) {
      throw invalidArgument(
        `lines[${i}].quantity`,
        `lines[${i}].quantity must be between 1 and the ${left} delivered units not yet returned, got ${r.quantity}`,
      );
    }
  });
}

export const RETURN_CONDITIONS = ["sellable", "damaged", "needs_qc"] as const;
export type ReturnCondition = (typeof RETURN_CONDITIONS)[number];

export interface Disposition {
  orderLineNumber: number;
  condition: ReturnCondition;
  quantity: number;
}

export type DispositionCounts = Record<ReturnCondition, number>;

// The dispositions must cover every received unit of every line exactly once.
export function checkDispositions(
  lines: readonly { orderLineNumber: number; received: number }[],
  dispositions: readonly Disposition[],
): Map<number, DispositionCounts> {
  const counts = new Map<number, DispositionCounts>();
  dispositions.forEach((d, i) => {
    const line = lines.find((l) => l.orderLineNumber === d.orderLineNumber);
    if (!line) {
      throw invalidArgument(
        `dispositions[${i}].order_line_number`,
        `the return has no line ${d.orderLineNumber}`,
      );
    }
    if (!Number.isInteger(d.quantity) || d.quantity < 1) {
      throw invalidArgument(
        `dispositions[${i}].quantity`,
        `quantity must be a positive integer, got ${d.quantity}`,
      );
    }
    const c = counts.get(d.orderLineNumber) ?? { sellable: 0, damaged: 0, needs_qc: 0 };
    c[d.condition] += d.quantity;
    counts.set(d.orderLineNumber, c);
  });
  lines.forEach((line, i) => {
    const c = counts.get(line.orderLineNumber) ?? { sellable: 0, damaged: 0, needs_qc: 0 };
    const total = c.sellable + c.damaged + c.needs_qc;
    if (total !== line.received) {
      throw invalidArgument(
        "dispositions",
        `line ${line.orderLineNumber} (return line ${i + 1}) received ${line.received} units; dispositions cover ${total}`,
      );
    }
  });
  return counts;
}

export interface RefundPolicy {
  // Fraction of the item value kept on a change-of-mind return (0.1 = 10 %).
  restockingFeeRate: number;
  // Tax on items, as a fraction of their value, when the order's prices exclude it (0 when included).
  taxRate: number;
}

export const DEFAULT_REFUND_POLICY: RefundPolicy = { restockingFeeRate: 0.1, taxRate: 0 };

export interface RefundLineInput {
  orderLineNumber: number;
  unitPriceMinor: number;
  quantity: number;
}

export interface RefundComputation {
  lines: { orderLineNumber: number; quantity: number; amountMinor: number }[];
  itemsMinor: number;
  taxMinor: number;
  shippingMinor: number;
  restockingFeeMinor: number;
  totalMinor: number;
}

// items + tax + shipping (only when the seller is at fault) - restocking fee (only for a change of
// mind), in minor units, never negative. Fees round down, in the customer's favour.
export function computeRefund(
  reason: ReturnReason,
  lines: readonly RefundLineInput[],
  shippingPaidMinor: number,
  policy: RefundPolicy,
): RefundComputation {
  const refundLines = lines.map((l) => ({
    orderLineNumber: l.orderLineNumber,
    quantity: l.quantity,
    amountMinor: l.unitPriceMinor * l.quantity,
  }));
  const itemsMinor = refundLines.reduce((n, l) => n + l.amountMinor, 0);
  const taxMinor = Math.round(itemsMinor * policy.taxRate);
  const atFault = sellerAtFault(reason);
  const shippingMinor = atFault ? shippingPaidMinor : 0;
  const restockingFeeMinor = atFault ? 0 : Math.floor(itemsMinor * policy.restockingFeeRate);
  const totalMinor = Math.max(0, itemsMinor + taxMinor + shippingMinor - restockingFeeMinor);
  return { lines: refundLines, itemsMinor, taxMinor, shippingMinor, restockingFeeMinor, totalMinor };
}

// Units of a line still to restock: inspected minus restocked. A retry, a cancel or a second refund
// finds nothing left and restocks nothing.
export function unitsToRestock(line: {
  sellable: number;
  damaged: number;
  needsQc: number;
  restocked: number;
}): number {
  return line.sellable + line.damaged + line.needsQc - line.restocked;
}
