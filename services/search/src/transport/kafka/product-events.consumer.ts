// Consumes catalog.product.v1 into the index: ProductCreated/Updated/Archived carry the whole product
// (ProductChanged), PriceChanged the new price. Each envelope is decoded here and applied by a use case
// in the consumer's transaction (with its event_processing_log row and the aggregate-version guard); a
// payload that does not fit goes to the dead-letter topic.
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Kysely, Transaction } from "@stockroom/db";
import {
  type ConsumerLogger,
  createEventConsumer,
  type EventConsumer,
  type PartitionProgress,
  SEARCH_PRODUCT_INDEX_GROUP,
} from "@stockroom/messaging";
import { PriceChangedSchema, ProductChangedSchema } from "@stockroom/proto/stockroom/catalog/v1/events_pb.js";
import type { EventEnvelope } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { PriceUpdate, ProductFields } from "../../domain/search-document.ts";
import { SKU_PATTERN } from "../../domain/stock-level.ts";
import { productFieldsOf } from "../catalog-product-mapping.ts";

export class ProductEventInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProductEventInvalidError";
  }
}

// The use cases the consumer feeds, over the database the consumer runs in.
export interface CatalogEventUseCases<DB> {
  applyProductChanged(trx: Transaction<DB>, product: ProductFields): Promise<string>;
  applyPriceChanged(trx: Transaction<DB>, update: PriceUpdate): Promise<string>;
}

export async function applyProductEvent<DB>(
  useCases: CatalogEventUseCases<DB>,
  trx: Transaction<DB>,
  envelope: EventEnvelope,
): Promise<string> {
  const payload = envelope.payload;
  if (payload && anyIs(payload, ProductChangedSchema)) {
    const product = anyUnpack(payload, ProductChangedSchema)?.product;
    const fields = product && productFieldsOf(product);
    if (!fields || !SKU_PATTERN.test(fields.sku)) {
      throw new ProductEventInvalidError(`event ${envelope.eventId}: ProductChanged without a valid product`);
    }
    return useCases.applyProductChanged(trx, fields);
  }
  if (payload && anyIs(payload, PriceChangedSchema)) {
    const change = anyUnpack(payload, PriceChangedSchema);
    if (!change?.price || !SKU_PATTERN.test(change.sku) || change.productVersion < 1n) {
      throw new ProductEventInvalidError(`event ${envelope.eventId}: PriceChanged without a valid price`);
    }
    return useCases.applyPriceChanged(trx, {
      sku: change.sku,
      price: { amountMinor: Number(change.price.amountMinor), currency: change.price.currency },
      productVersion: Number(change.productVersion),
    });
  }
  return "ignored";
}

export function createProductEventsConsumer<DB>(options: {
  kafka: Kafka;
  db: Kysely<DB>;
  useCases: CatalogEventUseCases<DB>;
  logger: ConsumerLogger;
  registry?: Registry;
  topic: string;
  groupId?: string;
  partitionsConsumedConcurrently?: number;
  progress?: PartitionProgress;
}): EventConsumer {
  return createEventConsumer<DB>({
    kafka: options.kafka,
    groupId: options.groupId ?? SEARCH_PRODUCT_INDEX_GROUP,
    topics: [options.topic],
    db: options.db,
    consumerName: SEARCH_PRODUCT_INDEX_GROUP,
    handle: async (trx, event) => {
      await applyProductEvent(options.useCases, trx, event.envelope);
    },
    logger: options.logger,
    ...(options.registry && { registry: options.registry }),
    ...(options.progress && { progress: options.progress }),
    ...(options.partitionsConsumedConcurrently && {
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    }),
  });
}
