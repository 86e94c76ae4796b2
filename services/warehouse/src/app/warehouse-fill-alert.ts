// Records whether a warehouse is above its fill-alert ratio after units arrive, and returns the
// capacity event when this arrival crossed it (once per crossing).
import type { OutboxEvent } from "@stockroom/outbox";
import type { Db } from "../data/stock.repo.ts";
import { setWarehouseFillAlert, type WarehouseCapacity } from "../data/warehouse.repo.ts";
import type { CapacityDecision } from "../domain/capacity.ts";
import { warehouseCapacityCrossed } from "./stock-events.ts";

export async function recordFillAlert(
  trx: Db,
  warehouse: WarehouseCapacity,
  capacity: CapacityDecision,
  arrivingUnits: number,
  now: Date,
): Promise<OutboxEvent[]> {
  if (capacity.overFillAlert === warehouse.overFillAlert) return [];
  const version = await setWarehouseFillAlert(trx, warehouse.code, {
    overFillAlert: capacity.overFillAlert,
    raise: capacity.raiseFillAlert,
  });
  if (!capacity.raiseFillAlert) return [];
  return [
    warehouseCapacityCrossed({
      warehouseCode: warehouse.code,
      unitsStored: warehouse.unitsStored + arrivingUnits,
      capacityUnits: warehouse.capacityUnits,
      version,
      occurredAt: now,
    }),
  ];
}
