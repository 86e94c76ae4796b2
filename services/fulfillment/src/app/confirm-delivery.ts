// ConfirmDelivery: the carrier delivered the parcel (ops, or later a signed carrier webhook). shipped →
// delivered (guarded), the lines' delivered units, the shipment's delivery time, FulfillmentDelivered.
// The return window starts here.
import { ErrorReason, invalidArgument, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { appendToOutbox } from "@stockroom/outbox";
import { findFulfillment, transitionFulfillment } from "../data/fulfillment-order.repo.ts";
import { findShipment, markDelivered } from "../data/shipment.repo.ts";
import { assertFulfillmentCommand } from "../domain/fulfillment-order.ts";
import { fulfillmentDeliveredEvent } from "./fulfillment-events.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export interface ConfirmDeliveryCommand {
  idempotencyKey: string;
  fulfillmentId: string;
  deliveredAt?: Date | undefined;
}

export function confirmDeliveryUseCase(deps: UseCaseDeps) {
  return async (
    command: ConfirmDeliveryCommand,
    context: RequestContext,
  ): Promise<{ deliveredAt: string }> => {
    const { idempotencyKey, ...request } = command;
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "confirm-delivery",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const deliveredAt = command.deliveredAt ?? now;
          if (deliveredAt.getTime() > now.getTime()) {
            throw invalidArgument("delivered_at", "delivered_at cannot be in the future");
          }
          const fulfillment = await findFulfillment(trx, command.fulfillmentId);
          if (!fulfillment) {
            throw notFound(
              ErrorReason.FULFILLMENT_NOT_FOUND,
              `fulfillment ${command.fulfillmentId} not found`,
            );
          }
          assertFulfillmentCommand(fulfillment.fulfillmentId, fulfillment.status, "deliver");
          const shipment = await findShipment(trx, fulfillment.fulfillmentId);
          if (shipment && deliveredAt.getTime() < shipment.shipped_at.getTime()) {
            throw invalidArgument(
              "delivered_at",
              `delivered_at cannot be before the parcel shipped (${shipment.shipped_at.toISOString()})`,
            );
          }
          const version = await transitionFulfillment(trx, fulfillment.fulfillmentId, "deliver", deliveredAt);
          if (version === undefined) {
            assertFulfillmentCommand(fulfillment.fulfillmentId, "delivered", "deliver");
            return { deliveredAt: deliveredAt.toISOString() };
          }
          const shipmentId = await markDelivered(trx, fulfillment.fulfillmentId, deliveredAt);
          await appendToOutbox(trx, { producer: deps.producer }, [
            fulfillmentDeliveredEvent(
              {
                topic: deps.topics.fulfillment,
                fulfillmentId: fulfillment.fulfillmentId,
                orderId: fulfillment.orderId,
                warehouseCode: fulfillment.warehouseCode,
                version,
              },
              shipmentId,
              fulfillment.lines.map((l) => ({
                orderLineNumber: l.orderLineNumber,
                sku: l.sku,
                quantity: l.shipped,
                lotCode: l.lotCode,
              })),
              deliveredAt,
            ),
          ]);
          return { deliveredAt: deliveredAt.toISOString() };
        },
      ),
    );
  };
}
