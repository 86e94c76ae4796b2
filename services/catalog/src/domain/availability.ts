// The availability projection: per-warehouse rows as the warehouse last reported them, and the totals
// derived from them at read time (never stored, so one warehouse's late event cannot corrupt them).

export interface WarehouseAvailability {
  warehouseCode: string;
  available: number;
  onHand: number;
  reserved: number;
  committed: number;
  levelVersion: number;
  updatedAt: Date;
}

// One warehouse's level of one sku, as the warehouse reports it (its events, its BatchGetStock).
export interface WarehouseStockLevel extends WarehouseAvailability {
  sku: string;
}

export interface Availability {
  totalAvailable: number;
  warehouses: WarehouseAvailability[];
  asOf: Date;
  // As loaded: asOf minus the newest applied change (0 when nothing was applied yet). What a reader is
  // answered is stamped at answer time from the consumer's progress instead (app/projection-lag.ts).
  lagMs: number;
}

export function availabilityFrom(rows: readonly WarehouseAvailability[], asOf: Date): Availability {
  let totalAvailable = 0;
  let newest = 0;
  for (const row of rows) {
    totalAvailable += Math.max(0, row.available);
    newest = Math.max(newest, row.updatedAt.getTime());
  }
  return {
    totalAvailable,
    warehouses: [...rows].sort((a, b) => a.warehouseCode.localeCompare(b.warehouseCode)),
    asOf,
    lagMs: newest === 0 ? 0 : Math.max(0, asOf.getTime() - newest),
  };
}
