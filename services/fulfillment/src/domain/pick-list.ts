// Pick lists (waves): their states, the route order of their lines, the scan check, and progress.
import { invalidArgument } from "@stockroom/errors";
import { assertTransition, type TransitionTable } from "./transition-table.ts";

export const PICK_LIST_STATUSES = ["open", "in_progress", "completed", "cancelled"] as const;
export type PickListStatus = (typeof PICK_LIST_STATUSES)[number];

export const PICK_LINE_STATUSES = ["pending", "picked", "short", "cancelled"] as const;
export type PickLineStatus = (typeof PICK_LINE_STATUSES)[number];

export type PickListCommand = "record_pick" | "complete" | "cancel";

export const PICK_LIST_TRANSITIONS: TransitionTable<PickListStatus, PickListCommand> = {
  record_pick: { from: ["open", "in_progress"], to: "in_progress" },
  complete: { from: ["open", "in_progress"], to: "completed" },
  cancel: { from: ["open", "in_progress"], to: "cancelled" },
};

export function assertPickListCommand(
  pickListId: string,
  status: PickListStatus,
  command: PickListCommand,
): PickListStatus {
  return assertTransition(PICK_LIST_TRANSITIONS, `pick list ${pickListId}`, status, command);
}

export interface BinStop {
  binCode: string;
  zone: string;
  aisle: string;
  position: string;
  pickSequence: number;
}

export interface RouteStop extends BinStop {
  sku: string;
  fulfillmentId: string;
  orderLineNumber: number;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Route order: the bins' pick sequence first (the walk the warehouse laid out), then zone, aisle and
// position for bins of equal sequence, then the bin, then sku and the order line so the order is total.
export function compareRouteStops(a: RouteStop, b: RouteStop): number {
  return (
    a.pickSequence - b.pickSequence ||
    compareText(a.zone, b.zone) ||
    compareText(a.aisle, b.aisle) ||
    compareText(a.position, b.position) ||
    compareText(a.binCode, b.binCode) ||
    compareText(a.sku, b.sku) ||
    compareText(a.fulfillmentId, b.fulfillmentId) ||
    a.orderLineNumber - b.orderLineNumber
  );
}

export function inRouteOrder<T extends RouteStop>(stops: readonly T[]): T[] {
  return [...stops].sort(compareRouteStops);
}

// A scan of another bin or sku is refused with the field named; nothing is recorded.
export function assertScanMatches(
  line: { binCode: string; sku: string },
  scan: { binCode: string; sku?: string | undefined },
): void {
  if (scan.binCode.trim().toUpperCase() !== line.binCode) {
    throw invalidArgument(
      "scanned_bin_code",
      `scanned bin ${JSON.stringify(scan.binCode)} is not the line's bin ${line.binCode}`,
    );
  }
  if (scan.sku !== undefined && scan.sku.trim() !== line.sku) {
    throw invalidArgument(
      "scanned_sku",
      `scanned sku ${JSON.stringify(scan.sku)} is not the line's sku ${line.sku}`,
    );
  }
}

export interface PickLineUnits {
  quantity: number;
  picked: number;
  short: number;
  status: PickLineStatus;
}

// The line after `picked` more units were confirmed and `short` reported missing.
export function recordOnLine(line: PickLineUnits, picked: number, short: number): PickLineUnits {
  if (line.status !== "pending") {
    throw invalidArgument("line_number", `the line is already ${line.status}`);
  }
  const open = line.quantity - line.picked - line.short;
  if (picked + short > open) {
    throw invalidArgument("quantity", `only ${open} units are left on the line, got ${picked + short}`);
  }
  const next = { ...line, picked: line.picked + picked, short: line.short + short };
  const done = next.picked + next.short === next.quantity;
  return { ...next, status: !done ? "pending" : next.short > 0 ? "short" : "picked" };
}

export interface PickProgress {
  linesTotal: number;
  linesDone: number;
  unitsTotal: number;
  unitsPicked: number;
  unitsShort: number;
}

export function pickProgress(lines: readonly PickLineUnits[]): PickProgress {
  const live = lines.filter((l) => l.status !== "cancelled");
  return {
    linesTotal: live.length,
    linesDone: live.filter((l) => l.status !== "pending").length,
    unitsTotal: live.reduce((n, l) => n + l.quantity, 0),
    unitsPicked: live.reduce((n, l) => n + l.picked, 0),
    unitsShort: live.reduce((n, l) => n + l.short, 0),
  };
}

export function isPickListDone(lines: readonly PickLineUnits[]): boolean {
  return lines.every((l) => l.status !== "pending");
}
