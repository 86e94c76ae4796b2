// The warehouse command worker's tick: claim due commands (committed before any call), call the
// warehouse with each command's deterministic key outside any transaction, then apply the answer and
// mark the command sent in one transaction. A failure is retried with backoff, or fails for ops after
// the last attempt or a refusal the warehouse would repeat; nothing is dropped.
import { appendToOutbox } from "@stockroom/outbox";
import { v7 as uuidv7 } from "uuid";
import {
  findFulfillment,
  markUnpickedShort,
  setReservationLines,
  transitionFulfillment,
} from "../data/fulfillment-order.repo.ts";
import { addRestockedUnits, findReturn, transitionReturn } from "../data/return.repo.ts";
import { bumpFulfillmentVersion, findShipment } from "../data/shipment.repo.ts";
import {
  type ClaimedCommand,
  claimDueCommands,
  enqueueWarehouseCommand,
  markCommandAttemptFailed,
  markCommandSent,
} from "../data/warehouse-command.repo.ts";
import { unitsToPick } from "../domain/fulfillment-line.ts";
import { checkReservationCovers } from "../domain/reservation-check.ts";
import { unitsToRestock } from "../domain/return-rules.ts";
import { afterFailedAttempt, warehouseCommandKey } from "../domain/warehouse-command.ts";
import {
  fulfillmentCreatedEvent,
  fulfillmentShippedEvent,
  fulfillmentShortEvent,
  ShortReason,
} from "./fulfillment-events.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";
import { WarehouseRefusedError } from "./warehouse.port.ts";

export interface CommandWorkerSettings {
  batchSize: number;
  // How long a claimed command stays invisible to other workers while its call runs.
  leaseMs: number;
  // Which errors are worth retrying (transient: unavailable, deadline, aborted). Refusals are not.
  isRetryable: (err: unknown) => boolean;
}

export interface CommandTickResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

export function sendWarehouseCommandsUseCase(deps: UseCaseDeps, settings: CommandWorkerSettings) {
  async function verifyReservation(command: ClaimedCommand): Promise<void> {
    const reservationId = String(command.payload.reservationId);
    const answer = await deps.warehouse.getReservation(reservationId);
    await deps.transaction(async (trx) => {
      const now = deps.clock();
      const fulfillment = await findFulfillment(trx, command.aggregateId);
      if (fulfillment && fulfillment.status === "verifying") {
        const lines = fulfillment.lines.map((l) => ({
          orderLineNumber: l.orderLineNumber,
          sku: l.sku,
          quantity: unitsToPick(l),
        }));
        const check = checkReservationCovers(
          answer ?? { status: "released", lines: [] },
          fulfillment.warehouseCode,
          lines,
        );
        const subject = {
          topic: deps.topics.fulfillment,
          fulfillmentId: fulfillment.fulfillmentId,
          orderId: fulfillment.orderId,
          warehouseCode: fulfillment.warehouseCode,
        };
        const eventLines = fulfillment.lines.map((l) => ({
          orderLineNumber: l.orderLineNumber,
          sku: l.sku,
          quantity: unitsToPick(l),
          lotCode: l.lotCode,
        }));
        if (check.ok) {
          await setReservationLines(trx, fulfillment.fulfillmentId, check.reservationLineOf);
          const version = await transitionFulfillment(trx, fulfillment.fulfillmentId, "verify", now);
          if (version !== undefined) {
            await appendToOutbox(trx, { producer: deps.producer }, [
              fulfillmentCreatedEvent(
                { ...subject, version, reservationId: fulfillment.reservationId },
                eventLines,
                now,
              ),
            ]);
          }
        } else {
          await markUnpickedShort(trx, fulfillment.fulfillmentId);
          const version = await transitionFulfillment(trx, fulfillment.fulfillmentId, "refuse", now, {
            cancelReason: check.reason.slice(0, 500),
          });
          if (version !== undefined) {
            await appendToOutbox(trx, { producer: deps.producer }, [
              fulfillmentShortEvent({ ...subject, version }, eventLines, ShortReason.STOCK_LOST, now),
            ]);
          }
        }
      }
      await markCommandSent(trx, command.commandId, now);
    });
  }

  // The warehouse consumed the units (its answer to the same key is the same on a retry); only now
  // does FulfillmentShipped tell the order service to capture payment.
  async function shipReservation(command: ClaimedCommand): Promise<void> {
    const payload = command.payload as { reservationId: string; lineNumbers: number[]; shipmentId: string };
    await deps.warehouse.shipReservation({
      idempotencyKey: command.idempotencyKey,
      reservationId: payload.reservationId,
      lineNumbers: payload.lineNumbers,
      shipmentId: payload.shipmentId,
    });
    await deps.transaction(async (trx) => {
      const now = deps.clock();
      if (!(await markCommandSent(trx, command.commandId, now))) return;
      const fulfillment = await findFulfillment(trx, command.aggregateId);
      const shipment = await findShipment(trx, command.aggregateId);
      if (!fulfillment || !shipment) return;
      const version = await bumpFulfillmentVersion(trx, fulfillment.fulfillmentId, now);
      await appendToOutbox(trx, { producer: deps.producer }, [
        fulfillmentShippedEvent(
          {
            topic: deps.topics.fulfillment,
            fulfillmentId: fulfillment.fulfillmentId,
            orderId: fulfillment.orderId,
            warehouseCode: fulfillment.warehouseCode,
            version,
          },
          {
            shipmentId: shipment.shipment_id,
            carrier: shipment.carrier,
            trackingNumber: shipment.tracking_number,
            shippedAt: shipment.shipped_at,
          },
          fulfillment.lines.map((l) => ({
            orderLineNumber: l.orderLineNumber,
            sku: l.sku,
            quantity: l.shipped,
            lotCode: l.lotCode,
          })),
          now,
        ),
      ]);
    });
  }

  interface RestockPayload {
    fulfillmentId: string;
    orderLineNumber: number;
    sku: string;
    warehouseCode: string;
    lotCode: string;
    quantity: number;
    condition: "sellable" | "damaged" | "needs_qc";
  }

  // Returned units back into the warehouse: sellable to on_hand, damaged to damaged, needs_qc to
  // on_hand and then (a command of its own) to quality_control. Counted restocked per line in the
  // transaction that marks the command sent, so a resent command counts nothing twice; the return
  // closes when every inspected unit is restocked.
  async function restockReturn(command: ClaimedCommand): Promise<void> {
    const p = command.payload as unknown as RestockPayload;
    await deps.warehouse.restockReturn({
      idempotencyKey: command.idempotencyKey,
      returnId: command.aggregateId,
      lines: [
        {
          sku: p.sku,
          warehouseCode: p.warehouseCode,
          quantity: p.quantity,
          lotCode: p.lotCode,
          condition: p.condition === "damaged" ? "damaged" : "sellable",
        },
      ],
    });
    await deps.transaction(async (trx) => {
      const now = deps.clock();
      if (!(await markCommandSent(trx, command.commandId, now))) return;
      await addRestockedUnits(trx, {
        returnId: command.aggregateId,
        fulfillmentId: p.fulfillmentId,
        orderLineNumber: p.orderLineNumber,
        quantity: p.quantity,
      });
      if (p.condition === "needs_qc") {
        await enqueueWarehouseCommand(
          trx,
          {
            commandId: uuidv7(),
            idempotencyKey: warehouseCommandKey(command.aggregateId, "qc-hold", p.orderLineNumber),
            kind: "record_quality_check",
            aggregateType: "return",
            aggregateId: command.aggregateId,
            payload: { ...p },
          },
          now,
        );
      }
      const after = await findReturn(trx, command.aggregateId);
      if (after?.status === "inspected" && after.lines.every((l) => unitsToRestock(l) === 0)) {
        await transitionReturn(trx, after.returnId, "close", now);
      }
    });
  }

  async function holdReturnedUnits(command: ClaimedCommand): Promise<void> {
    const p = command.payload as unknown as RestockPayload;
    await deps.warehouse.holdForQualityCheck({
      idempotencyKey: command.idempotencyKey,
      warehouseCode: p.warehouseCode,
      sku: p.sku,
      quantity: p.quantity,
      lotCode: p.lotCode,
      reason: "returned unit needs inspection",
      returnId: command.aggregateId,
    });
    await deps.transaction((trx) => markCommandSent(trx, command.commandId, deps.clock()));
  }

  // A short pick's missing units, posted as a LOSS on their lot (the bin in the note).
  async function postShortPick(command: ClaimedCommand): Promise<void> {
    const p = command.payload as {
      warehouseCode: string;
      sku: string;
      lotCode: string;
      quantity: number;
      note: string;
    };
    await deps.warehouse.postStockLoss({
      idempotencyKey: command.idempotencyKey,
      warehouseCode: p.warehouseCode,
      sku: p.sku,
      lotCode: p.lotCode,
      quantity: p.quantity,
      note: p.note,
    });
    await deps.transaction((trx) => markCommandSent(trx, command.commandId, deps.clock()));
  }

  // A packed unit that failed QC: on_hand → quality_control; a damaged one then → damaged, as a command
  // of its own queued when the first is marked sent (so the second never runs before the first).
  async function moveFailedUnits(command: ClaimedCommand): Promise<void> {
    const p = command.payload as {
      warehouseCode: string;
      sku: string;
      lotCode: string;
      quantity: number;
      outcome: "hold" | "fail";
      followUp: "fail" | "none";
      reason: string;
      packageId: string;
    };
    await deps.warehouse.recordQualityCheck({
      idempotencyKey: command.idempotencyKey,
      warehouseCode: p.warehouseCode,
      sku: p.sku,
      lotCode: p.lotCode,
      quantity: p.quantity,
      outcome: p.outcome,
      reason: p.reason,
      reference: { type: "fulfillment", id: command.aggregateId },
    });
    await deps.transaction(async (trx) => {
      const now = deps.clock();
      if (!(await markCommandSent(trx, command.commandId, now))) return;
      if (p.outcome === "hold" && p.followUp === "fail") {
        await enqueueWarehouseCommand(
          trx,
          {
            commandId: uuidv7(),
            idempotencyKey: `${command.idempotencyKey}:fail`,
            kind: "record_quality_check",
            aggregateType: "fulfillment",
            aggregateId: command.aggregateId,
            payload: { ...p, outcome: "fail", followUp: "none" },
          },
          now,
        );
      }
    });
  }

  async function perform(command: ClaimedCommand): Promise<void> {
    switch (command.kind) {
      case "verify_reservation":
        return verifyReservation(command);
      case "ship_reservation":
        return shipReservation(command);
      case "restock_return":
        return restockReturn(command);
      case "record_quality_check":
        return command.aggregateType === "fulfillment"
          ? moveFailedUnits(command)
          : holdReturnedUnits(command);
      case "adjust_stock":
        return postShortPick(command);
      default:
        throw new WarehouseRefusedError(`no sender for warehouse command kind ${command.kind} yet`);
    }
  }

  return async (): Promise<CommandTickResult> => {
    const claimed = await claimDueCommands(deps.db, deps.clock(), settings.batchSize, settings.leaseMs);
    const result: CommandTickResult = { claimed: claimed.length, sent: 0, retried: 0, failed: 0 };
    for (const command of claimed) {
      try {
        await perform(command);
        result.sent += 1;
      } catch (err) {
        const retryable = !(err instanceof WarehouseRefusedError) && settings.isRetryable(err);
        const outcome = afterFailedAttempt(
          command.attempts,
          retryable,
          deps.clock(),
          deps.retryPolicy,
          deps.random(),
        );
        await markCommandAttemptFailed(
          deps.db,
          command.commandId,
          outcome,
          err instanceof Error ? err.message : String(err),
        );
        if (outcome.status === "failed") result.failed += 1;
        else result.retried += 1;
      }
    }
    return result;
  };
}
