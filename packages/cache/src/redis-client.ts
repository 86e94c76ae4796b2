// A Redis client for caches: commands fail fast instead of queueing while Redis is down (ioredis #285,
// #61), so the caller falls back to its database. How long a cached read waits for Redis is the versioned
// cache's timeout (breaker.timeoutMs, tolerant of a late event loop); the command timeout here is only a
// backstop that ends commands the cache stopped waiting for.
import { Redis, type RedisOptions } from "ioredis";

export const CACHE_REDIS_DEFAULTS = {
  commandTimeout: 1_000,
  maxRetriesPerRequest: 1,
  connectTimeout: 1_000,
} as const;

export interface CacheRedisOptions {
  readonly commandTimeoutMs?: number;
  readonly keyPrefix?: string;
  /** Told about connection errors (ioredis emits them as events; unhandled they would crash). */
  readonly onError?: (err: Error) => void;
}

export function createCacheRedis(url: string, options: CacheRedisOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    enableOfflineQueue: false,
    // Commands issued in one tick of the event loop go out in one write: a socket write is a system call,
    // and one per command was the largest single cost of a cached read (a GetProduct is one HMGET).
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs ?? CACHE_REDIS_DEFAULTS.commandTimeout,
    maxRetriesPerRequest: CACHE_REDIS_DEFAULTS.maxRetriesPerRequest,
    connectTimeout: CACHE_REDIS_DEFAULTS.connectTimeout,
    // Keep reconnecting in the background, at most every 2 s; requests meanwhile go to the database.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
  };
  const redis = new Redis(url, redisOptions);
  redis.on("error", (err: Error) => options.onError?.(err));
  return redis;
}
