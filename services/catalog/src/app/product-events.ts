// The events a product change emits to CATALOG_PRODUCT_TOPIC (product aggregate, keyed by sku).
import { create } from "@bufbuild/protobuf";
import { CATALOG_PRODUCT_TOPIC } from "@stockroom/messaging/topics";
import type { OutboxEvent } from "@stockroom/outbox";
import { PriceChangedSchema, ProductChangedSchema } from "@stockroom/proto/stockroom/catalog/v1/events_pb.js";
import type { Price, Product, ProductStatus } from "../domain/product.ts";
import { productMessage, STATUS_TO_PROTO } from "./product-message.ts";

export const PRODUCT_AGGREGATE = "product";

export type ProductEventType = "ProductCreated" | "ProductUpdated" | "ProductArchived";

export function productChanged(
  product: Product,
  eventType: ProductEventType,
  previousStatus?: ProductStatus,
): OutboxEvent {
  return {
    topic: CATALOG_PRODUCT_TOPIC,
    messageKey: product.sku,
    aggregateType: PRODUCT_AGGREGATE,
    aggregateId: product.sku,
    aggregateVersion: product.version,
    eventType,
    payloadSchema: ProductChangedSchema,
    payload: create(ProductChangedSchema, {
      product: productMessage(product),
      ...(previousStatus && { previousStatus: STATUS_TO_PROTO[previousStatus] }),
    }),
    occurredAt: product.updatedAt,
  };
}

export function priceChanged(product: Product, previous: Price): OutboxEvent {
  return {
    topic: CATALOG_PRODUCT_TOPIC,
    messageKey: product.sku,
    aggregateType: PRODUCT_AGGREGATE,
    aggregateId: product.sku,
    aggregateVersion: product.version,
    eventType: "PriceChanged",
    payloadSchema: PriceChangedSchema,
    payload: create(PriceChangedSchema, {
      sku: product.sku,
      previousPrice: { amountMinor: previous.amountMinor, currency: previous.currency },
      price: { amountMinor: product.price.amountMinor, currency: product.price.currency },
      productVersion: BigInt(product.version),
    }),
    occurredAt: product.updatedAt,
  };
}
