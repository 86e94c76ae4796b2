// Consumes warehouse.stock.v1 into the availability projection: each event is applied by
// applyStockLevelChanged in the consumer's transaction (with its event_processing_log row and the
// aggregate-version guard); malformed levels go to the dead-letter topic.
import type { Kysely } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  type PartitionProgress,
} from "@stockroom/messaging";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { createApplyStockLevelChanged } from "../../app/apply-stock-level-changed.ts";
import type { CatalogDatabase } from "../../data/database.ts";

export const STOCK_TOPIC = "warehouse.stock.v1";
export const STOCK_PROJECTION_GROUP = "catalog.stock-projection";
export const STOCK_PROJECTION_CONSUMER = "catalog.stock-projection";

export function createStockEventsConsumer(options: {
  kafka: Kafka;
  db: Kysely<CatalogDatabase>;
  apply: ReturnType<typeof createApplyStockLevelChanged>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic?: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
  /** Fed with every batch and applied event: the projection's lag (stock-projection-lag.ts). */
  progress?: PartitionProgress;
}): EventConsumer {
  return createEventConsumer<CatalogDatabase>({
    kafka: options.kafka,
    groupId: options.groupId ?? STOCK_PROJECTION_GROUP,
    topics: [options.topic ?? STOCK_TOPIC],
    db: options.db,
    consumerName: STOCK_PROJECTION_CONSUMER,
    handle: async (trx, event) => {
      await options.apply(trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.progress && { progress: options.progress }),
    ...(options.partitionsConsumedConcurrently && {
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    }),
  });
}
