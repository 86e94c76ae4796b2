export {
  DEFAULT_STOCK_TTL_POLICY,
  jitteredTtl,
  type StockTtlPolicy,
  ttlForAvailable,
} from "./adaptive-ttl.ts";
export { CacheKeyError, type CacheKeyspace, createKeyspace } from "./cache-key.ts";
export type { BreakerState, CacheOutcome } from "./cache-metrics.ts";
export { CACHE_REDIS_DEFAULTS, type CacheRedisOptions, createCacheRedis } from "./redis-client.ts";
export {
  type CacheBreakerOptions,
  createVersionedCache,
  DEFAULT_CACHE_BREAKER,
  type VersionedCache,
  type VersionedCacheOptions,
} from "./versioned-cache.ts";
