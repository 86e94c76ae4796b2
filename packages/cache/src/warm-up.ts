// warmHottest: reloads the most-read ids from the source and stores those Redis lacks, holds at an older
// version, or would soon expire, so hot entries are refreshed before they expire.
import type { CacheKeyspace } from "./cache-key.ts";
import type { EntryState, EntryStore } from "./entry-store.ts";
import type { LocalCopies } from "./local-copies.ts";
import type { ReadCounter } from "./read-counter.ts";
import type { RedisBreaker } from "./redis-breaker.ts";

export interface WarmUpOptions<V> {
  readonly store: EntryStore<V>;
  readonly locals: LocalCopies<V>;
  readonly breaker: RedisBreaker;
  readonly readCounter: ReadCounter;
  readonly keyspace: CacheKeyspace;
  readonly loadMany: (ids: readonly string[]) => Promise<Map<string, V>>;
  readonly versionOf: (value: V) => number;
  readonly renewWithinMs: number;
  readonly chunkSize: number;
  readonly reportError: (err: unknown, operation: string) => void;
}

export function createWarmUp<V>(options: WarmUpOptions<V>): (limit: number) => Promise<number> {
  const { store, locals, keyspace } = options;

  // One chunk: loads the ids from the source and stores those Redis lacks, holds older, or would soon
  // expire. Undefined when Redis could not be read (the pass stops).
  async function warmChunk(ids: string[]): Promise<number | undefined> {
    const loaded = [...(await options.loadMany(ids))];
    let states: EntryState[];
    try {
      states = await store.readStates(loaded.map(([id]) => keyspace.keyOf(id)));
    } catch (err) {
      options.reportError(err, "warm");
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
        const renew = state.writtenAt <= store.distrustedUntil() || state.ttlMs < options.renewWithinMs;
        if (renew) due.push({ id, value, replaces: false });
      }
    });
    const written = await Promise.all(
      due.map(async ({ id, value, replaces }) => {
        const stored = await store.write(id, value, true);
        // What this process may hold locally is older than what was just stored.
        if (stored && replaces) locals.drop(id);
        return stored;
      }),
    );
    return written.filter(Boolean).length;
  }

  return async function warmHottest(limit: number): Promise<number> {
    const hottest = options.readCounter.takeHottest(limit);
    let stored = 0;
    // In chunks, one after the other: a pass over a few hundred ids in one go (one load, one pipeline,
    // their replies parsed in one callback) held the event loop long enough to delay every read queued
    // behind it (docs/performance.md).
    for (let start = 0; start < hottest.length; start += options.chunkSize) {
      if (options.breaker.isOpen()) break;
      const chunk = await warmChunk(hottest.slice(start, start + options.chunkSize));
      if (chunk === undefined) break;
      stored += chunk;
    }
    return stored;
  };
}
