// RecordQcResults (ops): a result for every unit of a held package (one inspection per package, UNIQUE).
// All pass: the package and the fulfillment go packed. A unit fails: the package is opened (voided), the
// unit leaves the picked units (qc_failed) and moves in the warehouse, through pending commands keyed
// `<package>:qc:<line>:<outcome>`, from on_hand to quality_control (and on to damaged for a damaged unit),
// once whatever retries happen; its committed unit stays committed and a replacement is picked in the
// next wave (the fulfillment goes back to open), or, with no_replacement, the line goes short by it
// (FulfillmentShort) and the good units are packed again.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox, type OutboxEvent } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import { findFulfillment, transitionFulfillment } from "../data/fulfillment-order.repo.ts";
import { applyQcFailures, findPackage, insertQcInspection, transitionPackage } from "../data/package.repo.ts";
import { findPickedLot } from "../data/pick-list.repo.ts";
import { bumpFulfillmentVersion } from "../data/shipment.repo.ts";
import { enqueueWarehouseCommand } from "../data/warehouse-command.repo.ts";
import { unitsToPick } from "../domain/fulfillment-line.ts";
import { assertFulfillmentCommand } from "../domain/fulfillment-order.ts";
import { assertPackageCommand, checkQcResults, type QcUnitResult } from "../domain/package.ts";
import { warehouseCommandKey } from "../domain/warehouse-command.ts";
import { fulfillmentQcFailedEvent, fulfillmentShortEvent, ShortReason } from "./fulfillment-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export const QC_MOVEMENT = "qc";

export interface RecordQcResultsCommand {
  idempotencyKey: string;
  packageId: string;
  results: QcUnitResult[];
  inspectorNote: string;
  replaceFailedUnits: boolean;
}

export function recordQcResultsUseCase(deps: UseCaseDeps) {
  return async (
    command: RecordQcResultsCommand,
    context: RequestContext,
  ): Promise<{ fulfillmentId: string }> => {
    const { idempotencyKey, ...request } = command;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "record-qc-results",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const parcel = await findPackage(trx, command.packageId, true);
          if (!parcel)
            throw notFound(ErrorReason.PACKAGE_NOT_FOUND, `package ${command.packageId} not found`);
          assertPackageCommand(parcel.packageId, parcel.status, "pass_qc");
          const fulfillment = await findFulfillment(trx, parcel.fulfillmentId);
          if (!fulfillment) throw new Error(`package ${parcel.packageId} names a missing fulfillment`);
          assertFulfillmentCommand(fulfillment.fulfillmentId, fulfillment.status, "pass_qc");
          const failed = checkQcResults(parcel.lines, command.results);
          await insertQcInspection(
            trx,
            {
              inspectionId: uuidv7(),
              packageId: parcel.packageId,
              inspector: context.actor,
              note: command.inspectorNote,
              results: command.results,
            },
            now,
          );
          const subject = {
            topic: deps.topics.fulfillment,
            fulfillmentId: fulfillment.fulfillmentId,
            orderId: fulfillment.orderId,
            warehouseCode: fulfillment.warehouseCode,
          };
          const changed = () =>
            failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `fulfillment ${fulfillment.fulfillmentId} changed during QC; retry`,
            );
          if (failed.size === 0) {
            if (!(await transitionPackage(trx, parcel.packageId, "pass_qc", now))) throw changed();
            if ((await transitionFulfillment(trx, fulfillment.fulfillmentId, "pass_qc", now)) === undefined)
              throw changed();
            return { fulfillmentId: fulfillment.fulfillmentId };
          }
          if (!(await transitionPackage(trx, parcel.packageId, "void", now))) throw changed();
          const failedByLine = new Map([...failed].map(([line, f]) => [line, f.qualityControl + f.damaged]));
          await applyQcFailures(trx, fulfillment.fulfillmentId, failedByLine, command.replaceFailedUnits);
          for (const [orderLineNumber, f] of failed) {
            const line = fulfillment.lines.find((l) => l.orderLineNumber === orderLineNumber);
            if (!line) continue;
            const lotCode =
              (await findPickedLot(trx, fulfillment.fulfillmentId, orderLineNumber)) ?? line.lotCode;
            for (const [outcome, quantity] of [
              ["quality_control", f.qualityControl],
              ["damaged", f.damaged],
            ] as const) {
              if (quantity === 0) continue;
              await enqueueWarehouseCommand(
                trx,
                {
                  commandId: uuidv7(),
                  idempotencyKey: warehouseCommandKey(
                    parcel.packageId,
                    QC_MOVEMENT,
                    orderLineNumber,
                    outcome,
                  ),
                  kind: "record_quality_check",
                  aggregateType: "fulfillment",
                  aggregateId: fulfillment.fulfillmentId,
                  payload: {
                    warehouseCode: fulfillment.warehouseCode,
                    sku: line.sku,
                    lotCode,
                    quantity,
                    outcome: "hold",
                    // A damaged unit goes on from quality_control to damaged (a command of its own).
                    followUp: outcome === "damaged" ? "fail" : "none",
                    reason: `failed QC in package ${parcel.packageId}`,
                    packageId: parcel.packageId,
                  },
                },
                now,
              );
            }
          }
          const after = await findFulfillment(trx, fulfillment.fulfillmentId);
          if (!after) throw new Error(`fulfillment ${fulfillment.fulfillmentId} vanished`);
          const failedLines = [...failedByLine].map(([orderLineNumber, quantity]) => {
            const l = fulfillment.lines.find((x) => x.orderLineNumber === orderLineNumber);
            return { orderLineNumber, sku: l?.sku ?? "", quantity, lotCode: l?.lotCode ?? "" };
          });
          const events: OutboxEvent[] = [];
          const qcVersion = await bumpFulfillmentVersion(trx, fulfillment.fulfillmentId, now);
          events.push(
            fulfillmentQcFailedEvent(
              { ...subject, version: qcVersion },
              parcel.packageId,
              failedLines,
              command.replaceFailedUnits,
              now,
            ),
          );
          let next: "repick_after_qc" | "repack_after_qc" | "cancel";
          if (command.replaceFailedUnits && after.lines.some((l) => unitsToPick(l) > 0))
            next = "repick_after_qc";
          else if (after.lines.some((l) => l.picked > l.packed)) next = "repack_after_qc";
          else next = "cancel";
          const version = await transitionFulfillment(trx, fulfillment.fulfillmentId, next, now, {
            cancelReason: "every unit failed QC",
          });
          if (version === undefined) throw changed();
          if (!command.replaceFailedUnits) {
            events.push(
              fulfillmentShortEvent({ ...subject, version }, failedLines, ShortReason.QC_FAILED, now),
            );
          }
          await appendToOutbox(trx, { producer: deps.producer }, events);
          return { fulfillmentId: fulfillment.fulfillmentId };
        },
      ),
    );
  };
}
