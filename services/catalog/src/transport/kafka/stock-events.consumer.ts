// Consumes warehouse.stock.v1 into the availability projection: each event is applied by
// applyStockLevelChanged in the consumer's transaction (with its event_processing_log row and the
// aggregate-version guard); malformed levels go to the dead-letter topic.
import type { Kysely } from "@stockroom/db";
import {
  CATALOG_STOCK_PROJECTION_GROUP,
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  WAREHOUSE_STOCK_TOPIC,
} from "@stockroom/messaging";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { createApplyStockLevelChanged } from "../../app/apply-stock-level-changed.ts";
import type { CatalogDatabase } from "../../data/database.ts";

export function createStockEventsConsumer(options: {
  kafka: Kafka;
  db: Kysely<CatalogDatabase>;
  apply: ReturnType<typeof createApplyStockLevelChanged>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic?: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
}): EventConsumer {
  return createEventConsumer<CatalogDatabase>({
    kafka: options.kafka,
    groupId: options.groupId ?? CATALOG_STOCK_PROJECTION_GROUP,
    topics: [options.topic ?? WAREHOUSE_STOCK_TOPIC],
    db: options.db,
    // The name in event_processing_log stays the group's own when a benchmark overrides the group.
    consumerName: CATALOG_STOCK_PROJECTION_GROUP,
    handle: async (trx, event) => {
      await options.apply(trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.partitionsConsumedConcurrently && {
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    }),
  });
}
