// Cache-aside with versioned values. Reads go Redis → loader (the database); concurrent misses of one key
// share one load (single flight); a write never replaces a newer version; Redis calls run behind a circuit
// breaker and time out fast, and any Redis failure falls back to the loader, so a slow or dead Redis costs
// a database read, never a hung request or a value older than its TTL.
import type { Redis } from "ioredis";
import { ReplyError } from "ioredis";
import CircuitBreaker from "opossum";
import type { Registry } from "prom-client";
import { DEFAULT_JITTER_RATIO, jitteredTtl } from "./adaptive-ttl.ts";
import type { CacheKeyspace } from "./cache-key.ts";
import { type BreakerState, createCacheMetrics } from "./cache-metrics.ts";
import { entryFrom, versionedScripts } from "./versioned-scripts.ts";

export interface CacheBreakerOptions {
  /**
   * How long a Redis call may take before the read falls back to the loader (and the breaker counts a
   * failure). Measured by the event loop's clock, but a reply that arrived while the loop itself was late
   * (a stall, a busy CPU) is taken, not thrown away: see withinTimeout.
   */
  readonly timeoutMs: number;
  readonly errorThresholdPercentage: number;
  /** Failures needed in the rolling window before the breaker may open. */
  readonly volumeThreshold: number;
  /** How long the breaker stays open before letting one call probe Redis. */
  readonly resetTimeoutMs: number;
  readonly rollingCountTimeoutMs: number;
}

export const DEFAULT_CACHE_BREAKER: CacheBreakerOptions = {
  timeoutMs: 50,
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 5_000,
  rollingCountTimeoutMs: 10_000,
};

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

// A timer that fires late because the event loop was busy finds the replies that came meanwhile still
// unread in their sockets (timers run before I/O in a loop iteration). Failing then would turn a stall
// into timeouts of healthy calls, each falling back to the database and adding load: so on expiry the
// check is deferred by setImmediate, which runs after the loop has read pending I/O.
function withinTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
      });
    }, timeoutMs);
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

// Redis answered (a script or type error): it is alive, so that must not trip the breaker.
function isNotAnOutage(err: unknown): boolean {
  return err instanceof ReplyError;
}

export function createVersionedCache<V>(options: VersionedCacheOptions<V>): VersionedCache<V> {
  const { keyspace } = options;
  const scripts = versionedScripts(options.redis);
  const metrics = createCacheMetrics(options.registry, options.name);
  const tombstoneTtlMs = options.tombstoneTtlMs ?? 60_000;
  const breakerOptions = { ...DEFAULT_CACHE_BREAKER, ...options.breaker };
  const breaker = new CircuitBreaker(
    (call: () => Promise<unknown>) => withinTimeout(call(), breakerOptions.timeoutMs),
    {
      // The call times itself out (withinTimeout): one timer per call, and one that tolerates a late loop.
      timeout: false,
      errorThresholdPercentage: breakerOptions.errorThresholdPercentage,
      volumeThreshold: breakerOptions.volumeThreshold,
      resetTimeout: breakerOptions.resetTimeoutMs,
      rollingCountTimeout: breakerOptions.rollingCountTimeoutMs,
      errorFilter: isNotAnOutage,
      // Off: with them on, opossum keeps every call's latency for the rolling window and concatenates and
      // sorts them all on each failure (to decide whether to open) and for a snapshot every second: at
      // 1,000 reads/s that stalled the event loop for 0.1–0.8 s, long enough to time out the Redis commands
      // in flight, whose failures each sorted again. Opening needs only the window's counts.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    },
  );
  breaker.on("open", () => metrics.breakerState("open"));
  breaker.on("halfOpen", () => metrics.breakerState("half_open"));
  breaker.on("close", () => metrics.breakerState("closed"));
  metrics.breakerState("closed");
  // One load in flight per key; every concurrent reader of that key awaits the same promise.
  const inFlight = new Map<string, Promise<Map<string, V>>>();
  // Reads per id since the last warm-up; bounded so a scan over many ids cannot grow it without end.
  const readCounts = new Map<string, number>();
  const maxTracked = options.maxTrackedIds ?? 10_000;
  const renewWithinMs = options.renewWithinMs ?? 10_000;
  const warmChunkSize = Math.max(1, options.warmChunkSize ?? 25);
  const localTtlMs = options.localTtlMs ?? 0;
  const jitterRatio = options.jitterRatio ?? DEFAULT_JITTER_RATIO;
  // When an invalidation last failed to reach Redis (0: never).
  let undeliveredInvalidationAt = 0;

  function countRead(id: string): void {
    const count = readCounts.get(id);
    if (count !== undefined) readCounts.set(id, count + 1);
    else if (readCounts.size < maxTracked) readCounts.set(id, 1);
  }

  function throughBreaker<T>(call: () => Promise<T>): Promise<T> {
    return breaker.fire(call) as Promise<T>;
  }

  function reportError(err: unknown, operation: string): void {
    options.onError?.(err, operation);
  }

  // The last value decoded (or stored) per id with its bytes: a hot entry is read far more often than it
  // changes, and decoding was a tenth of a cached read's CPU. Only identical bytes reuse a value, so what a
  // read returns is exactly what Redis holds; Redis is still asked every time. A value this process stored
  // is remembered with the bytes it was stored as, so the reads after a load do not decode it again.
  const decodedById = new Map<string, { bytes: Buffer; value: V }>();

  function rememberDecoded(id: string, bytes: Buffer, value: V): void {
    if (!decodedById.has(id) && decodedById.size >= maxTracked) {
      // Bounded: drop the oldest id (Map iterates in insertion order).
      const oldest = decodedById.keys().next();
      if (!oldest.done) decodedById.delete(oldest.value);
    }
    decodedById.set(id, { bytes, value });
  }

  function decodeEntry(id: string, bytes: Buffer): V {
    const last = decodedById.get(id);
    if (last?.bytes.equals(bytes)) return last.value;
    const value = options.decode(bytes);
    // A copy: the client may hand out slices of a buffer it reuses.
    rememberDecoded(id, Buffer.from(bytes), value);
    return value;
  }

  // Values answered from process memory (localTtlMs), each until its deadline (wall clock, ms).
  const localById = new Map<string, { value: V; until: number }>();
  // Bumped by every invalidation and write of this process: a read that started before one does not keep
  // a local copy, since what it read from Redis may predate it.
  let localGeneration = 0;

  function keepLocal(id: string, value: V, writtenAt: number, generation: number): void {
    if (localTtlMs <= 0 || generation !== localGeneration) return;
    const now = Date.now();
    // Never past the Redis entry's expiry: the shortest TTL its writer could have given it.
    const expiresAt = writtenAt + options.ttlMsOf(value) * (1 - jitterRatio);
    if (expiresAt <= now) return;
    if (!localById.has(id) && localById.size >= maxTracked) {
      const oldest = localById.keys().next();
      if (!oldest.done) localById.delete(oldest.value);
    }
    localById.set(id, { value, until: Math.min(now + localTtlMs, expiresAt) });
  }

  function dropLocal(id: string): void {
    localGeneration++;
    localById.delete(id);
  }

  async function readCached(
    ids: string[],
  ): Promise<({ value: V; writtenAt: number } | undefined)[] | undefined> {
    const keys = ids.map((id) => keyspace.keyOf(id));
    try {
      const entries = await throughBreaker(() =>
        keys.length === 1 ? Promise.all([scripts.read(keys[0] as string)]) : readPipelined(keys),
      );
      // An entry written before an invalidation that could not be delivered may be stale: treat it as a miss.
      return entries.map((entry, index) =>
        entry && entry.writtenAt > undeliveredInvalidationAt
          ? { value: decodeEntry(ids[index] as string, entry.value), writtenAt: entry.writtenAt }
          : undefined,
      );
    } catch (err) {
      reportError(err, "read");
      return undefined;
    }
  }

  async function readPipelined(keys: string[]) {
    const pipeline = options.redis.pipeline();
    for (const key of keys) pipeline.hmgetBuffer(key, "v", "d", "t");
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, reply]) => {
      if (err) throw err;
      return entryFrom(reply as (Buffer | null)[]);
    });
  }

  // What warmHottest needs to know of entries, without their values: version, writer's time, TTL left.
  async function readEntryStates(keys: string[]) {
    return throughBreaker(async () => {
      const pipeline = options.redis.pipeline();
      for (const key of keys) pipeline.hmget(key, "v", "t").pttl(key);
      const results = (await pipeline.exec()) ?? [];
      return keys.map((_, index) => {
        const [fieldsErr, fields] = results[2 * index] ?? [];
        const [ttlErr, ttlMs] = results[2 * index + 1] ?? [];
        if (fieldsErr) throw fieldsErr;
        if (ttlErr) throw ttlErr;
        const [version, writtenAt] = fields as (string | null)[];
        return {
          version: version ? Number(version) : undefined,
          // Absent in a tombstone: nothing to serve.
          writtenAt: writtenAt ? Number(writtenAt) : undefined,
          ttlMs: ttlMs as number,
        };
      });
    });
  }

  async function write(id: string, value: V, renew = false): Promise<boolean> {
    const key = keyspace.keyOf(id);
    const ttl = jitteredTtl(options.ttlMsOf(value), jitterRatio);
    const encoded = options.encode(value);
    // A view, not a copy: kept in decodedById, a small copy would hold a whole 8 KB pool slab alive.
    const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    try {
      const written = await throughBreaker(() =>
        scripts.setIfNewer(key, options.versionOf(value), bytes, ttl, renew),
      );
      if (written) rememberDecoded(id, bytes, value);
      else metrics.writeRefused();
      return written;
    } catch (err) {
      reportError(err, "write");
      return false;
    }
  }

  // Reads the ids from Redis, loads the misses in one call and stores them. Runs once per group of ids
  // no one else is fetching; readers of the same ids meanwhile await its promise.
  async function fetchGroup(ids: string[]): Promise<Map<string, V>> {
    const result = new Map<string, V>();
    const generation = localGeneration;
    const cached = await readCached(ids);
    const cacheUsable = cached !== undefined;
    const missing: string[] = [];
    ids.forEach((id, index) => {
      const entry = cached?.[index];
      if (entry !== undefined) {
        result.set(id, entry.value);
        keepLocal(id, entry.value, entry.writtenAt, generation);
        metrics.request("hit");
      } else {
        missing.push(id);
        metrics.request(cacheUsable ? "miss" : "fallback");
      }
    });
    if (missing.length === 0) return result;
    const loaded = await options.loadMany(missing);
    // A Redis that just failed is not written to: the breaker counts one failure, not two per request.
    if (cacheUsable) {
      // Just read from the source: an equal version is rewritten too (renewing a distrusted entry).
      // Kept locally only when stored: a refused write means Redis holds something newer.
      const writtenAt = Date.now();
      await Promise.all(
        [...loaded].map(async ([id, value]) => {
          if (await write(id, value, true)) keepLocal(id, value, writtenAt, generation);
        }),
      );
    }
    for (const [id, value] of loaded) result.set(id, value);
    return result;
  }

  // The ids reads of this turn of the event loop want from Redis, fetched as one group when the turn's I/O
  // callbacks have run (setImmediate, as ioredis's auto-pipelining does): one breaker call, one timeout
  // timer, one pipelined read and one load of the misses for all the calls that arrived together, instead
  // of each call's own. A read waits at most for the rest of the turn it arrived in.
  let thisTurn: { ids: string[]; group: Promise<Map<string, V>> } | undefined;

  function fetchThisTurn(ids: string[]): Promise<Map<string, V>> {
    if (thisTurn === undefined) {
      const { promise, resolve, reject } = Promise.withResolvers<Map<string, V>>();
      const turn = { ids: [] as string[], group: promise };
      thisTurn = turn;
      setImmediate(() => {
        thisTurn = undefined;
        fetchGroup(turn.ids).then(resolve, reject);
      });
    }
    thisTurn.ids.push(...ids);
    return thisTurn.group;
  }

  // One chunk of warmHottest: loads the ids from the source and stores those Redis lacks, holds older, or
  // would soon expire. Undefined when Redis could not be read (the pass stops).
  async function warmChunk(ids: string[]): Promise<number | undefined> {
    const loaded = [...(await options.loadMany(ids))];
    let states: Awaited<ReturnType<typeof readEntryStates>>;
    try {
      states = await readEntryStates(loaded.map(([id]) => keyspace.keyOf(id)));
    } catch (err) {
      reportError(err, "warm");
      return undefined;
    }
    // Rewriting every hot entry on every pass cost a write (encode, script) per entry per second,
    // in one burst: only entries that are missing, older, distrusted or about to expire are written.
    const due: { id: string; value: V; replaces: boolean }[] = [];
    loaded.forEach(([id, value], index) => {
      const state = states[index];
      const version = options.versionOf(value);
      if (state?.writtenAt === undefined || state.version === undefined || state.version < version) {
        // Redis holds no value (absent, tombstone) or an older one (an invalidation that never came).
        due.push({ id, value, replaces: true });
      } else if (state.version === version) {
        const renew = state.writtenAt <= undeliveredInvalidationAt || state.ttlMs < renewWithinMs;
        if (renew) due.push({ id, value, replaces: false });
      }
    });
    const written = await Promise.all(
      due.map(async ({ id, value, replaces }) => {
        const stored = await write(id, value, true);
        // What this process may hold locally is older than what was just stored.
        if (stored && replaces) dropLocal(id);
        return stored;
      }),
    );
    return written.filter(Boolean).length;
  }

  async function getMany(ids: readonly string[]): Promise<Map<string, V>> {
    const unique = ids.length === 1 ? ids : [...new Set(ids)];
    // Validation first: a non-canonical id throws before anything reaches Redis.
    for (const id of unique) keyspace.keyOf(id);
    for (const id of unique) countRead(id);
    const result = new Map<string, V>();
    // The groups this read waits for, each with the ids it wants from it.
    const waits = new Map<Promise<Map<string, V>>, string[]>();
    const toFetch: string[] = [];
    const now = localTtlMs > 0 ? Date.now() : 0;
    for (const id of unique) {
      const local = localTtlMs > 0 ? localById.get(id) : undefined;
      if (local !== undefined && local.until > now) {
        result.set(id, local.value);
        metrics.request("local");
        continue;
      }
      const existing = inFlight.get(id);
      if (existing === undefined) toFetch.push(id);
      else {
        const wanted = waits.get(existing);
        if (wanted) wanted.push(id);
        else waits.set(existing, [id]);
      }
    }
    if (toFetch.length > 0) {
      // Registered synchronously, before the first await, so every concurrent reader finds it. One
      // promise per group, not per id: a batch read made a dozen promises per id before.
      const group = fetchThisTurn(toFetch);
      for (const id of toFetch) inFlight.set(id, group);
      const settled = () => {
        for (const id of toFetch) if (inFlight.get(id) === group) inFlight.delete(id);
      };
      // Both paths handled: the cleanup's own promise never rejects unhandled.
      group.then(settled, settled);
      // The group of this turn may already be awaited for ids other readers asked for first.
      const wanted = waits.get(group);
      if (wanted) wanted.push(...toFetch);
      else waits.set(group, toFetch);
    }
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
      dropLocal(id);
      return write(id, value);
    },
    async invalidate(id, version) {
      const key = keyspace.keyOf(id);
      dropLocal(id);
      try {
        return await throughBreaker(() => scripts.invalidateBelow(key, version, tombstoneTtlMs));
      } catch (err) {
        // Redis may still hold the old value (and will once it is back): from now on this process
        // distrusts every entry written before this moment, until it is rewritten from the source.
        undeliveredInvalidationAt = Date.now();
        localById.clear();
        reportError(err, "invalidate");
        return false;
      }
    },
    async warmHottest(limit) {
      const hottest = [...readCounts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map(([id]) => id);
      readCounts.clear();
      let stored = 0;
      // In chunks, one after the other: a pass over a few hundred ids in one go (one load, one pipeline,
      // their replies parsed in one callback) held the event loop for up to ~150 ms every second, which
      // every read queued behind it paid for.
      for (let start = 0; start < hottest.length; start += warmChunkSize) {
        if (breaker.opened) break;
        const chunk = await warmChunk(hottest.slice(start, start + warmChunkSize));
        if (chunk === undefined) break;
        stored += chunk;
      }
      return stored;
    },
    breakerState() {
      if (breaker.opened) return "open";
      if (breaker.halfOpen) return "half_open";
      return "closed";
    },
    close() {
      breaker.shutdown();
    },
  };
}
