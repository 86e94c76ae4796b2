// The product view cache: versioned cache-aside keyed by canonical sku under catalog:product:v1, with
// TTLs that shrink as stock runs out (a storefront must not show "in stock" long after it sold out).
import {
  createKeyspace,
  createVersionedCache,
  DEFAULT_STOCK_TTL_POLICY,
  type StockTtlPolicy,
  ttlForAvailable,
  type VersionedCache,
} from "@stockroom/cache";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { isValidSku } from "../domain/product.ts";
import { type ProductView, projectionVersionOf } from "../domain/product-view.ts";
import { decodeView, encodeView } from "./product-message.ts";

export const PRODUCT_CACHE_NAMESPACE = "catalog:product:v1";

export type ProductCache = VersionedCache<ProductView>;

export function createProductCache(options: {
  redis: Redis;
  loadMany: (skus: readonly string[]) => Promise<Map<string, ProductView>>;
  ttlPolicy?: StockTtlPolicy;
  /** How long a read waits for Redis before it falls back to the database. */
  redisTimeoutMs?: number;
  /** How long a view read from Redis may be answered from memory (see VersionedCacheOptions.localTtlMs). */
  localTtlMs?: number;
  registry?: Registry;
  onError?: (err: unknown, operation: string) => void;
}): ProductCache {
  const ttlPolicy = options.ttlPolicy ?? DEFAULT_STOCK_TTL_POLICY;
  return createVersionedCache<ProductView>({
    name: "catalog_product",
    redis: options.redis,
    keyspace: createKeyspace(PRODUCT_CACHE_NAMESPACE, isValidSku),
    encode: encodeView,
    decode: decodeView,
    versionOf: projectionVersionOf,
    ttlMsOf: (view) => ttlForAvailable(view.availability.totalAvailable, ttlPolicy),
    loadMany: options.loadMany,
    ...(options.redisTimeoutMs !== undefined && { breaker: { timeoutMs: options.redisTimeoutMs } }),
    ...(options.localTtlMs !== undefined && { localTtlMs: options.localTtlMs }),
    ...(options.registry && { registry: options.registry }),
    ...(options.onError && { onError: options.onError }),
  });
}

// Reads straight from the database (cache disabled by configuration, or for benchmarks).
export function uncachedSource(loadMany: (skus: readonly string[]) => Promise<Map<string, ProductView>>) {
  return { getMany: loadMany };
}
