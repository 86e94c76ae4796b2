// A carrier's delivery webhook, verified: the shipment is found by (carrier, tracking number) and
// ConfirmDelivery runs under the key `carrier:<event id>` (a redelivered webhook replays its first
// answer), so FulfillmentDelivered is written once. Events other than "delivered" change nothing.
import { findFulfillment } from "../data/fulfillment-order.repo.ts";
import { findShipmentByTracking } from "../data/shipment.repo.ts";
import type { CarrierEvent } from "../domain/carrier-webhook.ts";
import type { ConfirmDeliveryCommand } from "./confirm-delivery.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export type CarrierWebhookOutcome = "delivered" | "already_delivered" | "ignored" | "unknown_shipment";

export const CARRIER_WEBHOOK_PRINCIPAL = "system:carrier-webhook";

export function recordCarrierDeliveryUseCase(
  deps: UseCaseDeps,
  confirmDelivery: (command: ConfirmDeliveryCommand, context: RequestContext) => Promise<unknown>,
) {
  return async (event: CarrierEvent): Promise<CarrierWebhookOutcome> => {
    if (event.status !== "delivered") return "ignored";
    const shipment = await findShipmentByTracking(deps.db, event.carrier, event.trackingNumber);
    if (!shipment) return "unknown_shipment";
    // Another event of the same delivery (its own id) finds it done.
    if ((await findFulfillment(deps.db, shipment.fulfillmentId))?.status === "delivered")
      return "already_delivered";
    const now = deps.clock();
    await confirmDelivery(
      {
        idempotencyKey: `carrier:${event.eventId}`,
        fulfillmentId: shipment.fulfillmentId,
        // A carrier clock a little ahead is not a reason to refuse its delivery.
        deliveredAt:
          event.deliveredAt && event.deliveredAt.getTime() <= now.getTime() ? event.deliveredAt : undefined,
      },
      {
        producer: deps.producer,
        actor: `carrier:${event.carrier}`,
        principal: CARRIER_WEBHOOK_PRINCIPAL,
        correlationId: event.eventId,
      },
    );
    return "delivered";
  };
}
