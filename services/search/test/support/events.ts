// Event envelopes as the catalog, the warehouse and the review service publish them, for feeding the search consumers.
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PriceChangedSchema, ProductChangedSchema } from "@stockroom/proto/stockroom/catalog/v1/events_pb.js";
import { ProductStatus } from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import {
  type EventEnvelope,
  EventEnvelopeSchema,
} from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { RatingSummaryChangedSchema } from "@stockroom/proto/stockroom/review/v1/events_pb.js";
import { StockLevelChangedSchema } from "@stockroom/proto/stockroom/warehouse/v1/events_pb.js";
import type { Producer } from "kafkajs";

export function productEvent(input: {
  sku: string;
  version: number;
  name: string;
  status?: "active" | "archived";
  priceMinor?: number;
  eventId?: string;
}): EventEnvelope {
  const status = input.status === "archived" ? ProductStatus.ARCHIVED : ProductStatus.ACTIVE;
  return create(EventEnvelopeSchema, {
    eventId: input.eventId ?? randomUUID(),
    eventType: input.status === "archived" ? "ProductArchived" : "ProductUpdated",
    aggregateType: "product",
    aggregateId: input.sku,
    aggregateVersion: BigInt(input.version),
    occurredAt: timestampFromDate(new Date()),
    producer: "catalog",
    payload: anyPack(
      ProductChangedSchema,
      create(ProductChangedSchema, {
        product: {
          sku: input.sku,
          name: input.name,
          description: "",
          brand: "Evented",
          categoryPath: "misc",
          attributes: { color: "red" },
          status,
          price: { amountMinor: BigInt(input.priceMinor ?? 1_000), currency: "EUR" },
          version: BigInt(input.version),
          createdAt: timestampFromDate(new Date("2026-03-01T00:00:00.000Z")),
        },
      }),
    ),
  });
}

export function priceEvent(input: { sku: string; version: number; priceMinor: number }): EventEnvelope {
  return create(EventEnvelopeSchema, {
    eventId: randomUUID(),
    eventType: "PriceChanged",
    aggregateType: "product",
    aggregateId: input.sku,
    aggregateVersion: BigInt(input.version),
    occurredAt: timestampFromDate(new Date()),
    producer: "catalog",
    payload: anyPack(
      PriceChangedSchema,
      create(PriceChangedSchema, {
        sku: input.sku,
        price: { amountMinor: BigInt(input.priceMinor), currency: "EUR" },
        productVersion: BigInt(input.version),
      }),
    ),
  });
}

export function stockEvent(input: {
  sku: string;
  warehouseCode: string;
  version: number;
  onHand: number;
  reserved?: number;
  committed?: number;
}): EventEnvelope {
  const reserved = input.reserved ?? 0;
  const committed = input.committed ?? 0;
  return create(EventEnvelopeSchema, {
    eventId: randomUUID(),
    eventType: "StockLevelChanged",
    aggregateType: "stock_level",
    aggregateId: `${input.warehouseCode}/${input.sku}`,
    aggregateVersion: BigInt(input.version),
    occurredAt: timestampFromDate(new Date()),
    producer: "warehouse",
    payload: anyPack(
      StockLevelChangedSchema,
      create(StockLevelChangedSchema, {
        level: {
          warehouseCode: input.warehouseCode,
          sku: input.sku,
          onHand: BigInt(input.onHand),
          reserved: BigInt(reserved),
          committed: BigInt(committed),
          available: BigInt(Math.max(0, input.onHand - reserved - committed)),
          version: BigInt(input.version),
          updatedAt: timestampFromDate(new Date()),
        },
      }),
    ),
  });
}

// A RatingSummaryChanged of the sku's rating_summary aggregate at the version (verified figures = all).
export function ratingEvent(input: {
  sku: string;
  version: number;
  average: number;
  count: number;
  eventId?: string;
}): EventEnvelope {
  const figures = { count: BigInt(input.count), average: input.average };
  return create(EventEnvelopeSchema, {
    eventId: input.eventId ?? randomUUID(),
    eventType: "RatingSummaryChanged",
    aggregateType: "rating_summary",
    aggregateId: input.sku,
    aggregateVersion: BigInt(input.version),
    occurredAt: timestampFromDate(new Date()),
    producer: "review",
    payload: anyPack(
      RatingSummaryChangedSchema,
      create(RatingSummaryChangedSchema, {
        summary: {
          sku: input.sku,
          all: figures,
          verified: figures,
          version: BigInt(input.version),
          updatedAt: timestampFromDate(new Date()),
        },
      }),
    ),
  });
}

export async function publish(
  producer: Producer,
  topic: string,
  key: string,
  envelopes: EventEnvelope[],
): Promise<void> {
  await producer.send({
    topic,
    messages: envelopes.map((e) => ({ key, value: Buffer.from(toBinary(EventEnvelopeSchema, e)) })),
  });
}
