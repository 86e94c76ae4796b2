// ShipFulfillment: the packed parcel leaves with a carrier and tracking number. In one transaction
// (idempotent per caller key): packed → shipped (guarded), the package shipped, the shipment row
// (UNIQUE per fulfillment), the lines' shipped units, and a pending ship_reservation command keyed
// `<fulfillment id>:ship`. The worker calls the warehouse's ShipReservation after commit (committed and
// on_hand down, exactly once whatever retries happen) and only then writes FulfillmentShipped.
import { ErrorReason, failedPrecondition, notFound } from "@stockroom/errors";
import { fingerprintOf, runIdempotent } from "@stockroom/idempotency";
import { v7 as uuidv7 } from "uuid";
import { findFulfillment, transitionFulfillment } from "../data/fulfillment-order.repo.ts";
import {
  findLivePackage,
  insertShipment,
  markPackedUnitsShipped,
  shipPackage,
} from "../data/shipment.repo.ts";
import { enqueueWarehouseCommand } from "../data/warehouse-command.repo.ts";
import { assertFulfillmentCommand } from "../domain/fulfillment-order.ts";
import { checkShipmentInput } from "../domain/shipment.ts";
import { warehouseCommandKey } from "../domain/warehouse-command.ts";
import type { RequestContext, UseCaseDeps } from "./use-case-deps.ts";

export const SHIP_MOVEMENT = "ship";

export interface ShipFulfillmentCommand {
  idempotencyKey: string;
  fulfillmentId: string;
  carrier: string;
  trackingNumber: string;
}

export interface ShipFulfillmentResult {
  fulfillmentId: string;
  shipmentId: string;
  carrier: string;
  trackingNumber: string;
  shippedAt: string;
}

export function shipFulfillmentUseCase(deps: UseCaseDeps) {
  return async (command: ShipFulfillmentCommand, context: RequestContext): Promise<ShipFulfillmentResult> => {
    const { idempotencyKey, ...request } = command;
    const input = checkShipmentInput(request);
    return deps.transaction((trx) =>
      runIdempotent(
        trx,
        {
          principal: context.principal,
          operation: "ship-fulfillment",
          key: idempotencyKey,
          fingerprint: fingerprintOf(request),
        },
        async () => {
          const now = deps.clock();
          const fulfillment = await findFulfillment(trx, command.fulfillmentId);
          if (!fulfillment) {
            throw notFound(
              ErrorReason.FULFILLMENT_NOT_FOUND,
              `fulfillment ${command.fulfillmentId} not found`,
            );
          }
          assertFulfillmentCommand(fulfillment.fulfillmentId, fulfillment.status, "ship");
          const parcel = await findLivePackage(trx, fulfillment.fulfillmentId);
          if (!parcel || !(await shipPackage(trx, parcel.package_id, now))) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `fulfillment ${fulfillment.fulfillmentId} has no packed package to ship`,
            );
          }
          if ((await transitionFulfillment(trx, fulfillment.fulfillmentId, "ship", now)) === undefined) {
            throw failedPrecondition(
              ErrorReason.INVALID_STATE_TRANSITION,
              `fulfillment ${fulfillment.fulfillmentId} changed while shipping; retry`,
            );
          }
          const shipmentId = uuidv7();
          await insertShipment(
            trx,
            { shipmentId, fulfillmentId: fulfillment.fulfillmentId, packageId: parcel.package_id, ...input },
            now,
          );
          await markPackedUnitsShipped(trx, fulfillment.fulfillmentId);
          const lineNumbers = [
            ...new Set(
              fulfillment.lines
                .filter((l) => l.packed > l.shipped && l.reservationLineNumber !== null)
                .map((l) => l.reservationLineNumber as number),
            ),
          ].sort((a, b) => a - b);
          await enqueueWarehouseCommand(
            trx,
            {
              commandId: uuidv7(),
              idempotencyKey: warehouseCommandKey(fulfillment.fulfillmentId, SHIP_MOVEMENT),
              kind: "ship_reservation",
              aggregateType: "fulfillment",
              aggregateId: fulfillment.fulfillmentId,
              payload: { reservationId: fulfillment.reservationId, lineNumbers, shipmentId },
            },
            now,
          );
          return {
            fulfillmentId: fulfillment.fulfillmentId,
            shipmentId,
            carrier: input.carrier,
            trackingNumber: input.trackingNumber,
            shippedAt: now.toISOString(),
          };
        },
      ),
    );
  };
}
