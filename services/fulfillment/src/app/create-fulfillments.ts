// OrderConfirmed → one fulfillment order per shipping warehouse of the order's allocations, each
// `verifying` with a pending verify_reservation command: the worker asks the warehouse, after this
// transaction commits, whether the reservation still commits those units (FULF-P0-03). Runs inside the
// consumer's transaction (with its event_processing_log row); a redelivery creates nothing twice.
import type { Transaction } from "@stockroom/db";
import { v7 as uuidv7 } from "uuid";
import type { FulfillmentDatabase } from "../data/database.ts";
import { insertFulfillment, type NewFulfillment } from "../data/fulfillment-order.repo.ts";
import { enqueueWarehouseCommand } from "../data/warehouse-command.repo.ts";
import { warehouseCommandKey } from "../domain/warehouse-command.ts";
import type { UseCaseDeps } from "./use-case-deps.ts";

export const VERIFY_RESERVATION = "verify-reservation";

// The order as the consumer decoded it from OrderConfirmed.
export interface ConfirmedOrder {
  orderId: string;
  customerId: string;
  currency: string;
  reservationId: string;
  lines: {
    orderLineNumber: number;
    sku: string;
    unitPriceMinor: number;
    allocations: { warehouseCode: string; lotCode: string; quantity: number }[];
  }[];
}

export interface CreatedFulfillment {
  fulfillmentId: string;
  warehouseCode: string;
  created: boolean;
}

export function fulfillmentsOf(order: ConfirmedOrder): Omit<NewFulfillment, "fulfillmentId">[] {
  const byWarehouse = new Map<string, NewFulfillment["lines"]>();
  for (const line of order.lines) {
    const perWarehouse = new Map<string, { quantity: number; lots: Set<string> }>();
    for (const a of line.allocations) {
      const w = perWarehouse.get(a.warehouseCode) ?? { quantity: 0, lots: new Set<string>() };
      w.quantity += a.quantity;
      w.lots.add(a.lotCode);
      perWarehouse.set(a.warehouseCode, w);
    }
    for (const [warehouseCode, w] of perWarehouse) {
      if (w.quantity <= 0) continue;
      const lines = byWarehouse.get(warehouseCode) ?? [];
      lines.push({
        orderLineNumber: line.orderLineNumber,
        sku: line.sku,
        // One lot named when the units come from one; several lots are picked by bin, lot-agnostic.
        lotCode: w.lots.size === 1 ? ([...w.lots][0] ?? "") : "",
        unitPriceMinor: line.unitPriceMinor,
        ordered: w.quantity,
      });
      byWarehouse.set(warehouseCode, lines);
    }
  }
  return [...byWarehouse]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([warehouseCode, lines]) => ({
      orderId: order.orderId,
      customerId: order.customerId,
      warehouseCode,
      reservationId: order.reservationId,
      currency: order.currency,
      orderValueMinor: lines.reduce((n, l) => n + l.unitPriceMinor * l.ordered, 0),
      lines,
    }));
}

export function createFulfillmentsUseCase(deps: UseCaseDeps) {
  return async (
    trx: Transaction<FulfillmentDatabase>,
    order: ConfirmedOrder,
  ): Promise<CreatedFulfillment[]> => {
    const now = deps.clock();
    const created: CreatedFulfillment[] = [];
    for (const planned of fulfillmentsOf(order)) {
      const fulfillmentId = uuidv7();
      const inserted = await insertFulfillment(trx, { ...planned, fulfillmentId });
      created.push({ fulfillmentId, warehouseCode: planned.warehouseCode, created: inserted });
      if (!inserted) continue;
      await enqueueWarehouseCommand(
        trx,
        {
          commandId: uuidv7(),
          idempotencyKey: warehouseCommandKey(fulfillmentId, VERIFY_RESERVATION),
          kind: "verify_reservation",
          aggregateType: "fulfillment",
          aggregateId: fulfillmentId,
          payload: { reservationId: order.reservationId },
        },
        now,
      );
    }
    return created;
  };
}
