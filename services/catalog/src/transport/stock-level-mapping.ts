// A warehouse StockLevel (from a stock event or from BatchGetStock) as the projection's per-warehouse row:
// available never below zero, the level's version as the row's version, its update time (now if none).
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { StockLevel } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import type { WarehouseStockLevel } from "../domain/availability.ts";

export function stockLevelFromMessage(level: StockLevel): WarehouseStockLevel {
  return {
    sku: level.sku,
    warehouseCode: level.warehouseCode,
    available: Math.max(0, Number(level.available)),
    onHand: Number(level.onHand),
    reserved: Number(level.reserved),
    committed: Number(level.committed),
    levelVersion: Number(level.version),
    updatedAt: level.updatedAt ? timestampDate(level.updatedAt) : new Date(),
  };
}
