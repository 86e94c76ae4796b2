// OrderCancelled → every fulfillment of the order that has not shipped is cancelled: what was neither
// shipped nor short is cancelled, exactly what was picked is put back (its pending pick lines are
// cancelled too, a list left with nothing pending completes, a packed or held package is opened), and
// FulfillmentCancelled says so. The order service releases the reservation's
// committed units itself (its cancellation saga); this service moves no stock for a cancel, so
// nothing can be released twice (vendure#1198, medusa#11703). A redelivery finds nothing to cancel.
import type { Transaction } from "@stockroom/db";
import { appendToOutbox } from "@stockroom/outbox";
import type { FulfillmentDatabase } from "../data/database.ts";
import {
  cancelUnshippedLines,
  findFulfillment,
  findFulfillmentIdsOfOrder,
  transitionFulfillment,
} from "../data/fulfillment-order.repo.ts";
import { voidLivePackages } from "../data/package.repo.ts";
import { cancelPendingPickLines, completeListsWithoutPendingLines } from "../data/pick-list.repo.ts";
import { FULFILLMENT_TRANSITIONS } from "../domain/fulfillment-order.ts";
import { canTransition } from "../domain/transition-table.ts";
import { fulfillmentCancelledEvent } from "./fulfillment-events.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export interface CancelledFulfillment {
  fulfillmentId: string;
  lines: { orderLineNumber: number; sku: string; cancelled: number; putBack: number }[];
}

export function cancelFulfillmentsUseCase(deps: UseCaseDeps) {
  return async (
    trx: Transaction<FulfillmentDatabase>,
    input: { orderId: string; reason: string },
  ): Promise<CancelledFulfillment[]> => {
    const now = deps.clock();
    const cancelled: CancelledFulfillment[] = [];
    for (const fulfillmentId of await findFulfillmentIdsOfOrder(trx, input.orderId)) {
      const fulfillment = await findFulfillment(trx, fulfillmentId);
      if (!fulfillment || !canTransition(FULFILLMENT_TRANSITIONS, fulfillment.status, "cancel")) continue;
      const version = await transitionFulfillment(trx, fulfillmentId, "cancel", now, {
        cancelReason: input.reason.slice(0, 500),
      });
      if (version === undefined) continue;
      const lines = await cancelUnshippedLines(trx, fulfillmentId);
      await cancelPendingPickLines(trx, fulfillmentId, now);
      await completeListsWithoutPendingLines(trx, fulfillmentId, now);
      await voidLivePackages(trx, fulfillmentId, now);
      await appendToOutbox(trx, { producer: deps.producer }, [
        fulfillmentCancelledEvent(
          {
            topic: deps.topics.fulfillment,
            fulfillmentId,
            orderId: fulfillment.orderId,
            warehouseCode: fulfillment.warehouseCode,
            version,
          },
          lines.map((l) => ({ ...l, quantity: l.cancelled })),
          input.reason,
          now,
        ),
      ]);
      cancelled.push({ fulfillmentId, lines });
    }
    return cancelled;
  };
}
