// The versioned cache's Redis side: reads entries (pipelined when several), writes values unless Redis
// holds a newer version, and writes invalidations, every call through the breaker. Remembers when an
// invalidation last failed to reach Redis: entries written before then may be stale and are distrusted.
import type { Redis } from "ioredis";
import { jitteredTtl } from "./adaptive-ttl.ts";
import type { CacheKeyspace } from "./cache-key.ts";
import type { CacheMetrics } from "./cache-metrics.ts";
import type { DecodedValues } from "./decoded-values.ts";
import type { RedisBreaker } from "./redis-breaker.ts";
import { entryFrom, type VersionedScripts } from "./versioned-scripts.ts";

export interface StoredEntry<V> {
  value: V;
  /** The writer's clock when the entry was written (ms). */
  writtenAt: number;
}

// What the warm-up needs to know of an entry, without its value.
export interface EntryState {
  version: number | undefined;
  // Absent in a tombstone: nothing to serve.
  writtenAt: number | undefined;
  ttlMs: number;
}

export interface EntryStore<V> {
  /** The entries of the ids (undefined: absent or distrusted); undefined when Redis could not be read. */
  read(ids: string[]): Promise<(StoredEntry<V> | undefined)[] | undefined>;
  /** Version, writer's time and TTL left of each key; throws when Redis could not be read. */
  readStates(keys: string[]): Promise<EntryState[]>;
  /** Writes unless Redis holds a newer version (renew: an equal one too); false when refused or failed. */
  write(id: string, value: V, renew?: boolean): Promise<boolean>;
  /** Drops older values of the key and refuses older writes for the tombstone TTL; throws on failure. */
  invalidate(key: string, version: number): Promise<boolean>;
  /** Entries written up to now are distrusted from now on (an invalidation could not be delivered). */
  distrustUntilNow(): void;
  /** Entries written at or before this time (ms) are distrusted; 0: none. */
  distrustedUntil(): number;
}

export interface EntryStoreOptions<V> {
  readonly redis: Redis;
  readonly scripts: VersionedScripts;
  readonly breaker: RedisBreaker;
  readonly keyspace: CacheKeyspace;
  readonly decoded: DecodedValues<V>;
  readonly metrics: CacheMetrics;
  readonly encode: (value: V) => Uint8Array;
  readonly versionOf: (value: V) => number;
  readonly ttlMsOf: (value: V) => number;
  readonly jitterRatio: number;
  readonly tombstoneTtlMs: number;
  readonly reportError: (err: unknown, operation: string) => void;
}

export function createEntryStore<V>(options: EntryStoreOptions<V>): EntryStore<V> {
  const { redis, scripts, breaker, keyspace, decoded } = options;
  // When an invalidation last failed to reach Redis (0: never).
  let undeliveredInvalidationAt = 0;

  async function readPipelined(keys: string[]) {
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hmgetBuffer(key, "v", "d", "t");
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, reply]) => {
      if (err) throw err;
      return entryFrom(reply as (Buffer | null)[]);
    });
  }

  return {
    async read(ids) {
      const keys = ids.map((id) => keyspace.keyOf(id));
      try {
        const entries = await breaker.fire(() =>
          keys.length === 1 ? Promise.all([scripts.read(keys[0] as string)]) : readPipelined(keys),
        );
        // An entry written before an invalidation that could not be delivered may be stale: treat it as a miss.
        return entries.map((entry, index) =>
          entry && entry.writtenAt > undeliveredInvalidationAt
            ? { value: decoded.decode(ids[index] as string, entry.value), writtenAt: entry.writtenAt }
            : undefined,
        );
      } catch (err) {
        options.reportError(err, "read");
        return undefined;
      }
    },

    async readStates(keys) {
      return breaker.fire(async () => {
        const pipeline = redis.pipeline();
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
            writtenAt: writtenAt ? Number(writtenAt) : undefined,
            ttlMs: ttlMs as number,
          };
        });
      });
    },

    async write(id, value, renew = false) {
      const key = keyspace.keyOf(id);
      const ttl = jitteredTtl(options.ttlMsOf(value), options.jitterRatio);
      const encoded = options.encode(value);
      // A view, not a copy: kept among the decoded values, a small copy would hold a whole 8 KB pool slab alive.
      const bytes = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      try {
        const written = await breaker.fire(() =>
          scripts.setIfNewer(key, options.versionOf(value), bytes, ttl, renew),
        );
        if (written) decoded.remember(id, bytes, value);
        else options.metrics.writeRefused();
        return written;
      } catch (err) {
        options.reportError(err, "write");
        return false;
      }
    },

    invalidate(key, version) {
      return breaker.fire(() => scripts.invalidateBelow(key, version, options.tombstoneTtlMs));
    },

    distrustUntilNow() {
      undeliveredInvalidationAt = Date.now();
    },

    distrustedUntil() {
      return undeliveredInvalidationAt;
    },
  };
}
