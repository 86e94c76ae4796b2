// RequestReturn (a storefront for its customer): delivered units back within the return window, at most
// what was delivered and not already asked back by another return (CHECK returned <= delivered holds it
// across racing returns). ReturnRequested goes to the outbox.
import { ErrorReason, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import { findFulfillment } from "../data/fulfillment-order.repo.ts";
import { findReturn, insertReturn, type ReturnRow } from "../data/return.repo.ts";
import { findDeliveredAt } from "../data/shipment.repo.ts";
import { assertWithinReturnWindow, checkRequestedLines, type ReturnReason } from "../domain/return-rules.ts";
import { returnRequestedEvent } from "./return-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface RequestReturnCommand {
  idempotencyKey: string;
  fulfillmentId: string;
  // The customer the storefront acts for; another customer's fulfillment is not found. Undefined: ops.
  customerId?: string | undefined;
  lines: { orderLineNumber: number; quantity: number }[];
  reason: ReturnReason;
  note: string;
}

export function requestReturnUseCase(deps: UseCaseDeps, settings: { returnWindowMs: number }) {
  return async (command: RequestReturnCommand, context: RequestContext): Promise<ReturnRow> => {
    const { idempotencyKey, ...request } = command;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "request-return",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const fulfillment = await findFulfillment(trx, command.fulfillmentId);
          if (
            !fulfillment ||
            (command.customerId !== undefined && fulfillment.customerId !== command.customerId)
          ) {
            throw notFound(
              ErrorReason.FULFILLMENT_NOT_FOUND,
              `fulfillment ${command.fulfillmentId} not found`,
            );
          }
          assertWithinReturnWindow(
            await findDeliveredAt(trx, fulfillment.fulfillmentId),
            now,
            settings.returnWindowMs,
          );
          checkRequestedLines(fulfillment.lines, command.lines);
          const returnId = uuidv7();
          const lines = command.lines.map((l) => ({
            orderLineNumber: l.orderLineNumber,
            sku: fulfillment.lines.find((f) => f.orderLineNumber === l.orderLineNumber)?.sku ?? "",
            requested: l.quantity,
          }));
          await insertReturn(
            trx,
            {
              returnId,
              fulfillmentId: fulfillment.fulfillmentId,
              orderId: fulfillment.orderId,
              customerId: fulfillment.customerId,
              reason: command.reason,
              note: command.note,
              currency: fulfillment.currency,
              lines,
            },
            now,
          );
          await appendToOutbox(trx, { producer: deps.producer }, [
            returnRequestedEvent(
              {
                topic: deps.topics.return,
                returnId,
                orderId: fulfillment.orderId,
                version: 1,
                fulfillmentId: fulfillment.fulfillmentId,
                customerId: fulfillment.customerId,
                reason: command.reason,
              },
              lines.map((l) => ({ ...l, quantity: l.requested })),
              now,
            ),
          ]);
          const created = await findReturn(trx, returnId);
          if (!created) throw new Error(`return ${returnId} vanished in its own transaction`);
          return created;
        },
      ),
    );
  };
}
