// Cache-aside with versioned values. Reads go Redis → loader (the database); concurrent misses of one key
// share one load (single flight); a write never replaces a newer version; Redis calls run behind a circuit
// breaker and time out fast, and any Redis failure falls back to the loader, so a slow or dead Redis costs
// a database read, never a hung request or a value older than its TTL. The parts live in their own files:
// redis-breaker (breaker and timeout), entry-store (the Redis side), decoded-values (values remembered
// with their bytes), local-copies (localTtlMs), turn-batcher (one Redis read per event-loop turn),
// single-flight, group-fetch (read-through of a group), read-counter and warm-up (warmHottest).
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { DEFAULT_JITTER_RATIO } from "./adaptive-ttl.ts";
import type { CacheKeyspace } from "./cache-key.ts";
import { type BreakerState, createCacheMetrics } from "./cache-metrics.ts";
import { createDecodedValues } from "./decoded-values.ts";
import { createEntryStore } from "./entry-store.ts";
import { createGroupFetch } from "./group-fetch.ts";
import { createLocalCopies } from "./local-copies.ts";
import { createReadCounter } from "./read-counter.ts";
import { type CacheBreakerOptions, createRedisBreaker } from "./redis-breaker.ts";
import { createSingleFlight, type GroupWaits } from "./single-flight.ts";
import { createTurnBatcher } from "./turn-batcher.ts";
import { versionedScripts } from "./versioned-scripts.ts";
import { createWarmUp } from "./warm-up.ts";

export interface VersionedCacheOptions<V> {
  /** Metrics label, e.g. "catalog_product". */
  readonly name: string;
  readonly redis: Redis;
  readonly keyspace: CacheKeyspace;
  readonly encode: (value: V) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => V;
  /** The projection version the value was read at; strictly grows with every change of its source. */
  readonly versionOf: (value: V) => number;
  /** Base TTL of a value (jitter is added); e.g. shorter for low stock. */
  readonly ttlMsOf: (value: V) => number;
  /** Loads current values from the source of truth; ids it does not return do not exist (not cached). */
  readonly loadMany: (ids: readonly string[]) => Promise<Map<string, V>>;
  readonly jitterRatio?: number;
  /** How long an invalidation keeps refusing older writes. Default 60 s. */
  readonly tombstoneTtlMs?: number;
  readonly breaker?: Partial<CacheBreakerOptions>;
  /** How many distinct ids the read counter of warmHottest tracks. Default 10,000. */
  readonly maxTrackedIds?: number;
  /**
   * How long a value read from Redis (or just loaded and stored) may be answered from this process's
   * memory without asking Redis. 0 (the default) turns that off. The bound it puts on staleness: an
   * invalidation made by this process drops its copy at once (and a read racing with it does not keep
   * one); an invalidation made by another process is seen here at most this long after it reached Redis;
   * and a copy is never kept past the Redis entry's own TTL (its writer's time plus the TTL less jitter).
   */
  readonly localTtlMs?: number;
  /**
   * warmHottest rewrites an entry whose version is current only when it expires within this time.
   * Default 10 s (a warm-up every second keeps hot entries alive with nine passes to spare).
   */
  readonly renewWithinMs?: number;
  /** warmHottest loads and stores the ids in chunks of this many, one chunk after another. Default 25. */
  readonly warmChunkSize?: number;
  readonly registry?: Registry;
  /** Told about Redis failures that were absorbed by falling back (for logging). */
  readonly onError?: (err: unknown, operation: string) => void;
}

// Values a cache returns may be shared between callers (concurrent readers of one id, repeated reads of
// unchanged bytes): treat them as read-only.
export interface VersionedCache<V> {
  get(id: string): Promise<V | undefined>;
  /** Values of the ids that exist; one Redis round trip and one load for all misses. */
  getMany(ids: readonly string[]): Promise<Map<string, V>>;
  /** Writes unless Redis holds a newer version; false when refused or Redis is unavailable. */
  set(id: string, value: V): Promise<boolean>;
  /**
   * Reloads the `limit` most-read ids since the last call from the source and stores those Redis lacks,
   * holds at an older version, or would expire within renewWithinMs (renewing the TTL of unchanged ones),
   * so hot entries are refreshed before they expire. Returns how many were stored.
   */
  warmHottest(limit: number): Promise<number>;
  /** The source is now at `version`: drop older values and refuse older writes for the tombstone TTL. */
  invalidate(id: string, version: number): Promise<boolean>;
  breakerState(): BreakerState;
  /** Stops the breaker's timers; the Redis client belongs to the caller. */
  close(): void;
}

export function createVersionedCache<V>(options: VersionedCacheOptions<V>): VersionedCache<V> {
  const { keyspace, loadMany } = options;
  const metrics = createCacheMetrics(options.registry, options.name);
  const breaker = createRedisBreaker(options.breaker, metrics);
  const maxTracked = options.maxTrackedIds ?? 10_000;
  const jitterRatio = options.jitterRatio ?? DEFAULT_JITTER_RATIO;
  const reportError = (err: unknown, operation: string): void => options.onError?.(err, operation);
  const locals = createLocalCopies({
    localTtlMs: options.localTtlMs ?? 0,
    ttlMsOf: options.ttlMsOf,
    jitterRatio,
    maxTracked,
  });
  const store = createEntryStore({
    redis: options.redis,
    scripts: versionedScripts(options.redis),
    breaker,
    keyspace,
    decoded: createDecodedValues(options.decode, maxTracked),
    metrics,
    encode: options.encode,
    versionOf: options.versionOf,
    ttlMsOf: options.ttlMsOf,
    jitterRatio,
    tombstoneTtlMs: options.tombstoneTtlMs ?? 60_000,
    reportError,
  });
  const readCounter = createReadCounter(maxTracked);
  const flights = createSingleFlight(
    createTurnBatcher(createGroupFetch({ store, locals, metrics, loadMany })),
  );
  const warmHottest = createWarmUp({
    store,
    locals,
    breaker,
    readCounter,
    keyspace,
    loadMany,
    versionOf: options.versionOf,
    renewWithinMs: options.renewWithinMs ?? 10_000,
    chunkSize: Math.max(1, options.warmChunkSize ?? 25),
    reportError,
  });

  // Each id from this process's memory when a fresh copy is there, else from the group already fetching
  // it, else from a new group fetched with the other reads of this event-loop turn.
  async function getMany(ids: readonly string[]): Promise<Map<string, V>> {
    const unique = ids.length === 1 ? ids : [...new Set(ids)];
    // Validation first: a non-canonical id throws before anything reaches Redis.
    for (const id of unique) keyspace.keyOf(id);
    for (const id of unique) readCounter.count(id);
    const result = new Map<string, V>();
    const waits: GroupWaits<V> = new Map();
    const toFetch: string[] = [];
    const now = locals.now();
    for (const id of unique) {
      const local = locals.fresh(id, now);
      if (local !== undefined) {
        result.set(id, local.value);
        metrics.request("local");
        continue;
      }
      if (!flights.join(id, waits)) toFetch.push(id);
    }
    if (toFetch.length > 0) flights.start(toFetch, waits);
    if (waits.size === 0) return result;
    // Promise.all attaches to every group, so one failed load leaves no unhandled rejection behind.
    const groups = [...waits];
    const values = await Promise.all(groups.map(([group]) => group));
    groups.forEach(([, wanted], index) => {
      for (const id of wanted) {
        const value = values[index]?.get(id);
        if (value !== undefined) result.set(id, value);
      }
    });
    return result;
  }

  return {
    async get(id) {
      return (await getMany([id])).get(id);
    },
    getMany,
    async set(id, value) {
      locals.drop(id);
      return store.write(id, value);
    },
    async invalidate(id, version) {
      const key = keyspace.keyOf(id);
      locals.drop(id);
      try {
        return await store.invalidate(key, version);
      } catch (err) {
        // Redis may still hold the old value (and will once it is back): from now on this process
        // distrusts every entry written before this moment, until it is rewritten from the source.
        store.distrustUntilNow();
        locals.clear();
        reportError(err, "invalidate");
        return false;
      }
    },
    warmHottest,
    breakerState(): BreakerState {
      return breaker.state();
    },
    close() {
      breaker.shutdown();
    },
  };
}
