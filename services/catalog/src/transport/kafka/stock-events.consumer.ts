// Consumes warehouse.stock.v1 into the availability projection. Each envelope is decoded here (the level
// of a StockLevelChanged; the topic's other event types are ignored) and applied by
// applyStockLevelChanged in the consumer's transaction (with its event_processing_log row and the
// aggregate-version guard); malformed levels go to the dead-letter topic.
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  CATALOG_STOCK_PROJECTION_GROUP,
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  type PartitionProgress,
  WAREHOUSE_STOCK_TOPIC,
} from "@stockroom/messaging";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { StockLevelChangedSchema } from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { StockApplyOutcome } from "../../app/apply-stock-level-changed.ts";
import type { WarehouseStockLevel } from "../../domain/availability.ts";
import { isValidSku, isValidWarehouseCode } from "../../domain/product.ts";
import { stockLevelFromMessage } from "../stock-level-mapping.ts";

export class StockEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StockEventInvalidError";
  }
}

// The use case the consumer feeds (applyStockLevelChanged), over the database the consumer runs in.
export type ApplyStockLevel<DB> = (
  trx: Transaction<DB>,
  level: WarehouseStockLevel,
) => Promise<StockApplyOutcome>;

// Another event type on the topic (LowStockReached, WarehouseCapacityCrossed): nothing to project.
export type StockEventOutcome = StockApplyOutcome | { outcome: "ignored" };

// The level a StockLevelChanged envelope carries; undefined for the topic's other event types.
export function decodeStockLevelChanged(envelope: EventEnvelope): WarehouseStockLevel | undefined {
  if (!envelope.payload || !anyIs(envelope.payload, StockLevelChangedSchema)) return undefined;
  const level = anyUnpack(envelope.payload, StockLevelChangedSchema)?.level;
  // A payload that does not fit is a poison message: thrown, it goes to the dead-letter topic.
  if (!level || !isValidSku(level.sku) || !isValidWarehouseCode(level.warehouseCode) || level.version < 1n) {
    throw new StockEventInvalidError(`event ${envelope.eventId}: StockLevelChanged without a valid level`);
  }
  return stockLevelFromMessage(level);
}

export async function applyStockEvent<DB>(
  apply: ApplyStockLevel<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<StockEventOutcome> {
  const level = decodeStockLevelChanged(envelope);
  return level ? apply(trx, level) : { outcome: "ignored" };
}

export function createStockEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  apply: ApplyStockLevel<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic?: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
  /**
   * Fed with every batch and applied event, and with the group's committed offsets on every partition
   * (the consumer's one offsets poller, which also reads its lag metrics): the projection's lag
   * (stock-projection-lag.ts).
   */
  progress?: PartitionProgress;
  /** How often that poller reads the offsets; default 1 s. */
  offsetsIntervalMs?: number;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? CATALOG_STOCK_PROJECTION_GROUP,
    topics: [options.topic ?? WAREHOUSE_STOCK_TOPIC],
    db: options.db,
    // The name in event_processing_log stays the group's own when a benchmark overrides the group.
    consumerName: CATALOG_STOCK_PROJECTION_GROUP,
    handle: async (trx, event) => {
      await applyStockEvent(options.apply, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.progress && { progress: options.progress }),
    ...(options.offsetsIntervalMs !== undefined && { lagIntervalMs: options.offsetsIntervalMs }),
    ...(options.partitionsConsumedConcurrently && {
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    }),
  });
}
