// Read-through for one group of ids: reads them from Redis, loads the misses in one call and stores them.
// Runs once per group of ids no one else is fetching; readers of the same ids meanwhile await its promise.
import type { CacheMetrics } from "./cache-metrics.ts";
import type { EntryStore } from "./entry-store.ts";
import type { LocalCopies } from "./local-copies.ts";

export interface GroupFetchOptions<V> {
  readonly store: EntryStore<V>;
  readonly locals: LocalCopies<V>;
  readonly metrics: CacheMetrics;
  readonly loadMany: (ids: readonly string[]) => Promise<Map<string, V>>;
}

export function createGroupFetch<V>(
  options: GroupFetchOptions<V>,
): (ids: string[]) => Promise<Map<string, V>> {
  const { store, locals, metrics } = options;
  return async function fetchGroup(ids: string[]): Promise<Map<string, V>> {
    const result = new Map<string, V>();
    const generation = locals.generation();
    const cached = await store.read(ids);
    const cacheUsable = cached !== undefined;
    const missing: string[] = [];
    ids.forEach((id, index) => {
      const entry = cached?.[index];
      if (entry !== undefined) {
        result.set(id, entry.value);
        locals.keep(id, entry.value, entry.writtenAt, generation);
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
          if (await store.write(id, value, true)) locals.keep(id, value, writtenAt, generation);
        }),
      );
    }
    for (const [id, value] of loaded) result.set(id, value);
    return result;
  };
}
