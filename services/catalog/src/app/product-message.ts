// Domain product views ↔ stockroom.catalog.v1.Product. Shared by the events, the cache codec and the
// gRPC responses, so every reader sees the same shape.
import { create, fromBinary, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Product as ProductMessage,
  ProductSchema,
  ProductStatus as ProtoStatus,
} from "@stockroom/proto/stockroom/catalog/v1/product_pb.js";
import type { Availability } from "../domain/availability.ts";
import type { Product, ProductStatus } from "../domain/product.ts";
import type { ProductRating } from "../domain/product-rating.ts";
import type { ProductView } from "../domain/product-view.ts";

export const STATUS_TO_PROTO: Record<ProductStatus, ProtoStatus> = {
  draft: ProtoStatus.DRAFT,
  active: ProtoStatus.ACTIVE,
  archived: ProtoStatus.ARCHIVED,
};

const STATUS_FROM_PROTO = new Map<ProtoStatus, ProductStatus>([
  [ProtoStatus.DRAFT, "draft"],
  [ProtoStatus.ACTIVE, "active"],
  [ProtoStatus.ARCHIVED, "archived"],
]);

export function statusFromProto(status: ProtoStatus): ProductStatus | undefined {
  return STATUS_FROM_PROTO.get(status);
}

export function productMessage(
  product: Product,
  availability?: Availability,
  rating?: ProductRating,
): ProductMessage {
  return create(ProductSchema, {
    sku: product.sku,
    name: product.name,
    description: product.description,
    brand: product.brand,
    categoryPath: product.categoryPath,
    attributes: product.attributes as JsonObject,
    status: STATUS_TO_PROTO[product.status],
    price: { amountMinor: product.price.amountMinor, currency: product.price.currency },
    ...(product.weightGrams !== undefined && { weightGrams: product.weightGrams }),
    version: BigInt(product.version),
    createdAt: timestampFromDate(product.createdAt),
    updatedAt: timestampFromDate(product.updatedAt),
    ...(availability && {
      availability: {
        totalAvailable: BigInt(availability.totalAvailable),
        warehouses: availability.warehouses.map((row) => ({
          warehouseCode: row.warehouseCode,
          available: BigInt(row.available),
          onHand: BigInt(row.onHand),
          reserved: BigInt(row.reserved),
          committed: BigInt(row.committed),
          levelVersion: BigInt(row.levelVersion),
          updatedAt: timestampFromDate(row.updatedAt),
        })),
        asOf: timestampFromDate(availability.asOf),
        projectionLag: durationFromMs(availability.lagMs),
      },
    }),
    ...(rating && {
      rating: {
        reviewCount: BigInt(rating.reviewCount),
        averageRating: rating.averageRating,
        verifiedReviewCount: BigInt(rating.verifiedReviewCount),
        verifiedAverageRating: rating.verifiedAverageRating,
        summaryVersion: BigInt(rating.summaryVersion),
      },
    }),
  });
}

export function viewFromMessage(message: ProductMessage): ProductView {
  const availability = message.availability;
  return {
    product: {
      sku: message.sku,
      name: message.name,
      description: message.description,
      brand: message.brand,
      categoryPath: message.categoryPath,
      attributes: (message.attributes ?? {}) as Record<string, unknown>,
      status: statusFromProto(message.status) ?? "draft",
      price: { amountMinor: message.price?.amountMinor ?? 0n, currency: message.price?.currency ?? "" },
      ...(message.weightGrams !== undefined && { weightGrams: message.weightGrams }),
      version: Number(message.version),
      createdAt: message.createdAt ? timestampDate(message.createdAt) : new Date(0),
      updatedAt: message.updatedAt ? timestampDate(message.updatedAt) : new Date(0),
    },
    availability: {
      totalAvailable: Number(availability?.totalAvailable ?? 0n),
      warehouses: (availability?.warehouses ?? []).map((row) => ({
        warehouseCode: row.warehouseCode,
        available: Number(row.available),
        onHand: Number(row.onHand),
        reserved: Number(row.reserved),
        committed: Number(row.committed),
        levelVersion: Number(row.levelVersion),
        updatedAt: row.updatedAt ? timestampDate(row.updatedAt) : new Date(0),
      })),
      asOf: availability?.asOf ? timestampDate(availability.asOf) : new Date(0),
      lagMs: availability?.projectionLag
        ? Number(availability.projectionLag.seconds) * 1000 +
          Math.trunc(availability.projectionLag.nanos / 1e6)
        : 0,
    },
    ...(message.rating && {
      rating: {
        reviewCount: Number(message.rating.reviewCount),
        averageRating: message.rating.averageRating,
        verifiedReviewCount: Number(message.rating.verifiedReviewCount),
        verifiedAverageRating: message.rating.verifiedAverageRating,
        summaryVersion: Number(message.rating.summaryVersion),
      },
    }),
  };
}

export function encodeView(view: ProductView): Uint8Array {
  return toBinary(ProductSchema, productMessage(view.product, view.availability, view.rating));
}

export function decodeView(bytes: Uint8Array): ProductView {
  return viewFromMessage(fromBinary(ProductSchema, bytes));
}
