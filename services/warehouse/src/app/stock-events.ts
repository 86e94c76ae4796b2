// The warehouse's aggregate types and the events a stock change emits (to WAREHOUSE_STOCK_TOPIC).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { WAREHOUSE_STOCK_TOPIC } from "@stockroom/messaging/topics";
import type { OutboxEvent } from "@stockroom/outbox";
import {
  LowStockReachedSchema,
  StockLevelChangedSchema,
  WarehouseCapacityCrossedSchema,
} from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import { type StockLevel, StockLevelSchema } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import { availableQuantity, type Buckets, type StockLevelKey } from "../domain/stock-level.ts";

export const STOCK_LEVEL_AGGREGATE = "stock_level";
export const STOCK_ALERT_AGGREGATE = "stock_level_alert";
export const WAREHOUSE_AGGREGATE = "warehouse";
export const RESERVATION_AGGREGATE = "reservation";

export interface LevelSnapshot extends StockLevelKey, Buckets {
  lowStockThreshold: number;
  version: number;
  updatedAt: Date;
}

export function stockLevelMessage(level: LevelSnapshot): StockLevel {
  return create(StockLevelSchema, {
    warehouseCode: level.warehouseCode,
    sku: level.sku,
    onHand: BigInt(level.onHand),
    reserved: BigInt(level.reserved),
    committed: BigInt(level.committed),
    safetyStock: BigInt(level.safetyStock),
    damaged: BigInt(level.damaged),
    qualityControl: BigInt(level.qualityControl),
    incoming: BigInt(level.incoming),
    available: BigInt(availableQuantity(level)),
    lowStockThreshold: BigInt(level.lowStockThreshold),
    version: BigInt(level.version),
    updatedAt: timestampFromDate(level.updatedAt),
  });
}

// A stock level is its own aggregate (versioned per warehouse and sku); its events are keyed by sku so
// every warehouse's events of one sku stay in one partition, in order.
export function stockLevelChanged(
  level: LevelSnapshot,
  reason: string,
  reference: { type: string; id: string },
): OutboxEvent {
  return {
    topic: WAREHOUSE_STOCK_TOPIC,
    messageKey: level.sku,
    aggregateType: STOCK_LEVEL_AGGREGATE,
    aggregateId: `${level.warehouseCode}/${level.sku}`,
    aggregateVersion: level.version,
    eventType: "StockLevelChanged",
    payloadSchema: StockLevelChangedSchema,
    payload: create(StockLevelChangedSchema, { level: stockLevelMessage(level), reason, reference }),
    occurredAt: level.updatedAt,
  };
}

export function lowStockReached(level: LevelSnapshot): OutboxEvent {
  return {
    topic: WAREHOUSE_STOCK_TOPIC,
    messageKey: level.sku,
    aggregateType: STOCK_ALERT_AGGREGATE,
    aggregateId: `${level.warehouseCode}/${level.sku}`,
    aggregateVersion: level.version,
    eventType: "LowStockReached",
    payloadSchema: LowStockReachedSchema,
    payload: create(LowStockReachedSchema, { level: stockLevelMessage(level) }),
    occurredAt: level.updatedAt,
  };
}

export function warehouseCapacityCrossed(input: {
  warehouseCode: string;
  unitsStored: number;
  capacityUnits: number;
  version: number;
  occurredAt: Date;
}): OutboxEvent {
  return {
    topic: WAREHOUSE_STOCK_TOPIC,
    messageKey: input.warehouseCode,
    aggregateType: WAREHOUSE_AGGREGATE,
    aggregateId: input.warehouseCode,
    aggregateVersion: input.version,
    eventType: "WarehouseCapacityCrossed",
    payloadSchema: WarehouseCapacityCrossedSchema,
    payload: create(WarehouseCapacityCrossedSchema, {
      warehouseCode: input.warehouseCode,
      unitsStored: BigInt(input.unitsStored),
      capacityUnits: BigInt(input.capacityUnits),
      fillRatio: input.unitsStored / input.capacityUnits,
    }),
    occurredAt: input.occurredAt,
  };
}
