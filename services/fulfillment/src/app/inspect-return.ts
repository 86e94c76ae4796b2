// InspectReturn (ops): a disposition for every received unit. received → inspected (guarded), one
// disposition row per unit, the refund computed (domain/return-rules.ts computeRefund) and sent to the
// order service (ReturnRefundRequested), and one pending restock command per (line, condition), keyed
// `<return id>:restock:<line>:<condition>`: the warehouse takes each unit back exactly once, and the
// restocked units are counted per line when it has (send-warehouse-commands.ts).
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import { findFulfillment } from "../data/fulfillment-order.repo.ts";
import { findReturn, type ReturnRow, recordInspection, transitionReturn } from "../data/return.repo.ts";
import { enqueueWarehouseCommand } from "../data/warehouse-command.repo.ts";
import {
  assertReturnCommand,
  checkDispositions,
  computeRefund,
  type Disposition,
  RETURN_CONDITIONS,
  type RefundPolicy,
} from "../domain/return-rules.ts";
import { warehouseCommandKey } from "../domain/warehouse-command.ts";
import { returnRefundRequestedEvent } from "./return-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export const RESTOCK_MOVEMENT = "restock";

export interface InspectReturnCommand {
  idempotencyKey: string;
  returnId: string;
  dispositions: Disposition[];
}

export function inspectReturnUseCase(deps: UseCaseDeps, settings: { refundPolicy: RefundPolicy }) {
  return async (command: InspectReturnCommand, context: RequestContext): Promise<ReturnRow> => {
    const { idempotencyKey, ...request } = command;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "inspect-return",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const found = await findReturn(trx, command.returnId);
          if (!found) throw notFound(ErrorReason.RETURN_NOT_FOUND, `return ${command.returnId} not found`);
          assertReturnCommand(found.returnId, found.status, "inspect");
          const counts = checkDispositions(found.lines, command.dispositions);
          const fulfillment = await findFulfillment(trx, found.fulfillmentId);
          if (!fulfillment) throw new Error(`return ${found.returnId} names a missing fulfillment`);
          const refund = computeRefund(
            found.reason,
            found.lines.map((l) => ({
              orderLineNumber: l.orderLineNumber,
              quantity: l.received,
              unitPriceMinor:
                fulfillment.lines.find((f) => f.orderLineNumber === l.orderLineNumber)?.unitPriceMinor ?? 0,
            })),
            0,
            settings.refundPolicy,
          );
          const version = await transitionReturn(trx, found.returnId, "inspect", now, {
            refundMinor: refund.totalMinor,
          });
          if (version === undefined) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `return ${found.returnId} changed; retry`,
            );
          }
          await recordInspection(
            trx,
            found.returnId,
            counts,
            new Map(refund.lines.map((l) => [l.orderLineNumber, l.amountMinor])),
            now,
          );
          for (const line of found.lines) {
            const c = counts.get(line.orderLineNumber);
            const lotCode =
              fulfillment.lines.find((f) => f.orderLineNumber === line.orderLineNumber)?.lotCode ?? "";
            for (const condition of RETURN_CONDITIONS) {
              const quantity = c?.[condition] ?? 0;
              if (quantity === 0) continue;
              await enqueueWarehouseCommand(
                trx,
                {
                  commandId: uuidv7(),
                  idempotencyKey: warehouseCommandKey(
                    found.returnId,
                    RESTOCK_MOVEMENT,
                    line.orderLineNumber,
                    condition,
                  ),
                  kind: "restock_return",
                  aggregateType: "return",
                  aggregateId: found.returnId,
                  payload: {
                    fulfillmentId: found.fulfillmentId,
                    orderLineNumber: line.orderLineNumber,
                    sku: line.sku,
                    warehouseCode: found.warehouseCode,
                    lotCode,
                    quantity,
                    condition,
                  },
                },
                now,
              );
            }
          }
          await appendToOutbox(trx, { producer: deps.producer }, [
            returnRefundRequestedEvent(
              {
                topic: deps.topics.return,
                returnId: found.returnId,
                orderId: found.orderId,
                version,
                currency: found.currency,
                reason: found.reason,
              },
              refund.lines.map((l) => ({
                ...l,
                sku: found.lines.find((r) => r.orderLineNumber === l.orderLineNumber)?.sku ?? "",
              })),
              refund.totalMinor,
              now,
            ),
          ]);
          const after = await findReturn(trx, found.returnId);
          if (!after) throw new Error(`return ${found.returnId} vanished in its own transaction`);
          return after;
        },
      ),
    );
  };
}
