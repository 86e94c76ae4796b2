// ReportShortPick (ops): the bin holds fewer units than the line asks. The units found are picked, the
// rest of the line goes short on the pick list and the fulfillment line; the missing units are posted
// to the warehouse as a LOSS on that bin (a pending adjust_stock command keyed
// `<pick list>:short:<line>`, sent after commit by the worker, once) and FulfillmentShort tells the order
// service, which re-allocates or refunds the units.
import { invalidArgument } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import { findFulfillment } from "../data/fulfillment-order.repo.ts";
import { findPickList, type PickListRow } from "../data/pick-list.repo.ts";
import { bumpFulfillmentVersion } from "../data/shipment.repo.ts";
import { enqueueWarehouseCommand } from "../data/warehouse-command.repo.ts";
import { warehouseCommandKey } from "../domain/warehouse-command.ts";
import { fulfillmentShortEvent, ShortReason } from "./fulfillment-events.ts";
import { appendEvents, type PickScan, recordScan, scannedLine } from "./pick-scan.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export const SHORT_PICK_MOVEMENT = "short";

export interface ReportShortPickCommand extends PickScan {
  idempotencyKey: string;
  foundQuantity: number;
  reason: string;
}

export function reportShortPickUseCase(deps: UseCaseDeps) {
  return async (command: ReportShortPickCommand, context: RequestContext): Promise<PickListRow> => {
    const { idempotencyKey, ...request } = command;
    await deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "report-short-pick",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const scanned = await scannedLine(trx, command);
          const { line } = scanned;
          const open = line.quantity - line.picked - line.short;
          if (
            !Number.isInteger(command.foundQuantity) ||
            command.foundQuantity < 0 ||
            command.foundQuantity >= open
          ) {
            throw invalidArgument(
              "found_quantity",
              `found_quantity must be between 0 and ${open - 1} (the line has ${open} units left; all found is ConfirmPick), got ${command.foundQuantity}`,
            );
          }
          const short = open - command.foundQuantity;
          const fulfillment = await findFulfillment(trx, line.fulfillmentId);
          if (!fulfillment) throw new Error(`pick line ${line.lineNumber} names a missing fulfillment`);
          // FulfillmentShort first: its version precedes the picked/cancelled event the scan may cause.
          const version = await bumpFulfillmentVersion(trx, fulfillment.fulfillmentId, now);
          const shortEvent = fulfillmentShortEvent(
            {
              topic: deps.topics.fulfillment,
              fulfillmentId: fulfillment.fulfillmentId,
              orderId: fulfillment.orderId,
              warehouseCode: fulfillment.warehouseCode,
              version,
            },
            [
              {
                orderLineNumber: line.orderLineNumber,
                sku: line.sku,
                quantity: short,
                lotCode: line.lotCode,
              },
            ],
            ShortReason.SHORT_PICK,
            now,
          );
          const events = await recordScan(deps, trx, scanned, { picked: command.foundQuantity, short }, now);
          await enqueueWarehouseCommand(
            trx,
            {
              commandId: uuidv7(),
              idempotencyKey: warehouseCommandKey(scanned.pickListId, SHORT_PICK_MOVEMENT, line.lineNumber),
              kind: "adjust_stock",
              aggregateType: "fulfillment",
              aggregateId: fulfillment.fulfillmentId,
              payload: {
                warehouseCode: scanned.warehouseCode,
                sku: line.sku,
                lotCode: line.lotCode,
                binCode: line.binCode,
                quantity: short,
                note: `short pick: bin ${line.binCode}, pick list ${scanned.pickListId} line ${line.lineNumber}: ${command.reason}`.slice(
                  0,
                  500,
                ),
              },
            },
            now,
          );
          await appendEvents(deps, trx, [shortEvent, ...events]);
          return { pickListId: scanned.pickListId };
        },
      ),
    );
    const list = await findPickList(deps.db, command.pickListId);
    if (!list) throw new Error(`pick list ${command.pickListId} vanished after its commit`);
    return list;
  };
}
