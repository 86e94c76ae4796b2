// Consumes warehouse.stock.v1 into the index's in-stock flags: the level of each StockLevelChanged
// (available after reservations, commitments and safety stock) is applied by applyStockLevelChanged in
// the consumer's transaction; the topic's other event types are ignored; malformed levels go to the
// dead-letter topic.
import { anyIs, anyUnpack, timestampDate } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  type PartitionProgress,
  SEARCH_STOCK_INDEX_GROUP,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { StockLevelChangedSchema } from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import type { StockLevel } from "@stockroom/proto/stockroom/warehouse/v1/stock_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import { isValidLevel, type WarehouseLevel } from "../../domain/stock-level.ts";

export class StockEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StockEventInvalidError";
  }
}

export function warehouseLevelOf(level: StockLevel): WarehouseLevel {
  return {
    sku: level.sku,
    warehouseCode: level.warehouseCode,
    available: Math.max(0, Number(level.available)),
    levelVersion: Number(level.version),
    updatedAt: level.updatedAt ? timestampDate(level.updatedAt) : new Date(),
  };
}

// The use case the consumer feeds (applyStockLevelChanged), over the database the consumer runs in.
export interface StockEventUseCases<DB> {
  applyStockLevelChanged(trx: Transaction<DB>, level: WarehouseLevel): Promise<{ outcome: string }>;
}

export async function applyStockEvent<DB>(
  useCases: StockEventUseCases<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<string> {
  if (!envelope.payload || !anyIs(envelope.payload, StockLevelChangedSchema)) return "ignored";
  const message = anyUnpack(envelope.payload, StockLevelChangedSchema)?.level;
  const level = message && warehouseLevelOf(message);
  if (!level || !isValidLevel(level)) {
    throw new StockEventInvalidError(`event ${envelope.eventId}: StockLevelChanged without a valid level`);
  }
  return (await useCases.applyStockLevelChanged(trx, level)).outcome;
}

export function createStockEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  useCases: StockEventUseCases<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
  progress?: PartitionProgress;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? SEARCH_STOCK_INDEX_GROUP,
    topics: [options.topic],
    db: options.db,
    consumerName: SEARCH_STOCK_INDEX_GROUP,
    handle: async (trx, event) => {
      await applyStockEvent(options.useCases, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.progress && { progress: options.progress }),
    ...(options.partitionsConsumedConcurrently && {
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    }),
  });
}
