// What ConfirmPick and ReportShortPick share: one scan applied to one pick list line, inside the caller's
// transaction, with the pick list row locked (scans of one list apply one after the other). The scan
// must name the line's bin (and sku); a wrong one is refused before anything is written. After the
// line, its fulfillment line, the list's status and, once none of its lines is pending, the fulfillment
// (picked, or cancelled when nothing at all was found) follow in the same transaction.
import type { Transaction } from "@stockroom/db";
import { ErrorReason, failedPrecondition, invalidArgument, notFound } from "@stockroom/errors";
import { appendToOutbox, type OutboxEvent } from "@stockroom/outbox";
import type { FulfillmentDatabase } from "../data/database.ts";
import { addPickedUnits, findFulfillment, transitionFulfillment } from "../data/fulfillment-order.repo.ts";
import {
  findPickList,
  type PickLineRow,
  recordPickLineUnits,
  setPickListStatus,
} from "../data/pick-list.repo.ts";
import { unitsToPick } from "../domain/fulfillment-line.ts";
import { assertScanMatches, isPickListDone, recordOnLine } from "../domain/pick-list.ts";
import { fulfillmentCancelledEvent, fulfillmentPickedEvent } from "./fulfillment-events.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface PickScan {
  pickListId: string;
  lineNumber: number;
  scannedBinCode: string;
  scannedSku?: string | undefined;
  // The picker's warehouse; a list of another warehouse is refused.
  warehouseCode?: string | undefined;
}

export interface ScannedLine {
  pickListId: string;
  warehouseCode: string;
  line: PickLineRow;
}

// Finds and checks the scanned line (nothing written yet).
export async function scannedLine(
  trx: Transaction<FulfillmentDatabase>,
  scan: PickScan,
): Promise<ScannedLine> {
  const list = await findPickList(trx, scan.pickListId, true);
  if (!list) throw notFound(ErrorReason.PICK_LIST_NOT_FOUND, `pick list ${scan.pickListId} not found`);
  if (scan.warehouseCode !== undefined && scan.warehouseCode !== list.warehouseCode) {
    throw invalidArgument(
      "warehouse_code",
      `pick list ${list.pickListId} is for warehouse ${list.warehouseCode}, not ${scan.warehouseCode}`,
    );
  }
  if (list.status !== "open" && list.status !== "in_progress") {
    throw failedPrecondition(
      ErrorReason.INVALID_STATE_TRANSITION,
      `pick list ${list.pickListId} is ${list.status}`,
    );
  }
  const line = list.lines.find((l) => l.lineNumber === scan.lineNumber);
  if (!line) {
    throw invalidArgument("line_number", `pick list ${list.pickListId} has no line ${scan.lineNumber}`);
  }
  assertScanMatches(line, { binCode: scan.scannedBinCode, sku: scan.scannedSku });
  return { pickListId: list.pickListId, warehouseCode: list.warehouseCode, line };
}

// Records `picked` units found and `short` missing on the line, then what follows from it. Returns the
// events to append (the caller may add its own before appending them all).
export async function recordScan(
  deps: UseCaseDeps,
  trx: Transaction<FulfillmentDatabase>,
  scanned: ScannedLine,
  units: { picked: number; short: number },
  now: Date,
): Promise<OutboxEvent[]> {
  const { line, pickListId } = scanned;
  const after = recordOnLine(line, units.picked, units.short);
  if (!(await recordPickLineUnits(trx, pickListId, line.lineNumber, line, after, now))) {
    throw failedPrecondition(ErrorReason.INVALID_STATE_TRANSITION, `line ${line.lineNumber} changed; retry`);
  }
  await addPickedUnits(trx, line.fulfillmentId, line.orderLineNumber, units.picked, units.short);
  const list = await findPickList(trx, pickListId);
  if (!list) throw new Error(`pick list ${pickListId} vanished in its own transaction`);
  await setPickListStatus(trx, pickListId, isPickListDone(list.lines) ? "completed" : "in_progress", now);
  const events: OutboxEvent[] = [];
  const pendingOfFulfillment = list.lines.some(
    (l) => l.fulfillmentId === line.fulfillmentId && l.status === "pending",
  );
  if (pendingOfFulfillment) return events;
  const fulfillment = await findFulfillment(trx, line.fulfillmentId);
  if (fulfillment?.status !== "picking") return events;
  if (fulfillment.lines.some((l) => unitsToPick(l) > 0)) return events;
  const subject = {
    topic: deps.topics.fulfillment,
    fulfillmentId: fulfillment.fulfillmentId,
    orderId: fulfillment.orderId,
    warehouseCode: fulfillment.warehouseCode,
  };
  const nothingFound = fulfillment.lines.every((l) => l.picked === 0);
  const version = await transitionFulfillment(
    trx,
    fulfillment.fulfillmentId,
    nothingFound ? "cancel" : "finish_picking",
    now,
    { cancelReason: "every unit short at picking" },
  );
  if (version === undefined) return events;
  events.push(
    nothingFound
      ? fulfillmentCancelledEvent({ ...subject, version }, [], "every unit short at picking", now)
      : fulfillmentPickedEvent(
          { ...subject, version },
          pickListId,
          fulfillment.lines.map((l) => ({
            orderLineNumber: l.orderLineNumber,
            sku: l.sku,
            quantity: l.picked,
            lotCode: l.lotCode,
          })),
          now,
        ),
  );
  return events;
}

export async function appendEvents(
  deps: UseCaseDeps,
  trx: Transaction<FulfillmentDatabase>,
  events: OutboxEvent[],
): Promise<void> {
  if (events.length > 0) await appendToOutbox(trx, { producer: deps.producer }, events);
}
