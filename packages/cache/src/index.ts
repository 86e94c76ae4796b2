export {
  DEFAULT_STOCK_TTL_POLICY,
  jitteredTtl,
  type StockTtlPolicy,
  ttlForAvailable,
} from "./adaptive-ttl.ts";
export { CacheKeyError, type CacheKeyspace, createKeyspace } from "./cache-key.ts";
export type { BreakerState, CacheOutcome } from "./cache-metrics.ts";
export { type CacheBreakerOptions, DEFAULT_CACHE_BREAKER } from "./redis-breaker.ts";
export { CACHE_REDIS_DEFAULTS, type CacheRedisOptions, createCacheRedis } from "./redis-client.ts";
export { createVersionedCache, type VersionedCache, type VersionedCacheOptions } from "./versioned-cache.ts";
