// Values answered from process memory without asking Redis (the cache's localTtlMs; off when 0), each
// until its deadline (wall clock, ms) and never past the Redis entry's own expiry.
export interface LocalCopies<V> {
  /** The clock fresh() compares with: Date.now() when copies are kept, else 0 (no clock read). */
  now(): number;
  /** The copy of `id` still valid at `now`, if any. */
  fresh(id: string, now: number): { value: V } | undefined;
  /** Read before a read from Redis, passed to keep() after it. */
  generation(): number;
  /** Keeps a copy of what Redis held (or was just given), unless an invalidation or write of this
   * process came since `generation` was read: what Redis returned may predate it. */
  keep(id: string, value: V, writtenAt: number, generation: number): void;
  drop(id: string): void;
  clear(): void;
}

export interface LocalCopiesOptions<V> {
  readonly localTtlMs: number;
  readonly ttlMsOf: (value: V) => number;
  readonly jitterRatio: number;
  readonly maxTracked: number;
}

export function createLocalCopies<V>(options: LocalCopiesOptions<V>): LocalCopies<V> {
  const { localTtlMs, maxTracked } = options;
  const localById = new Map<string, { value: V; until: number }>();
  // Bumped by every invalidation and write of this process: a read that started before one does not keep
  // a local copy, since what it read from Redis may predate it.
  let localGeneration = 0;

  return {
    now() {
      return localTtlMs > 0 ? Date.now() : 0;
    },
    fresh(id, now) {
      const local = localTtlMs > 0 ? localById.get(id) : undefined;
      return local !== undefined && local.until > now ? local : undefined;
    },
    generation() {
      return localGeneration;
    },
    keep(id, value, writtenAt, generation) {
      if (localTtlMs <= 0 || generation !== localGeneration) return;
      const now = Date.now();
      // Never past the Redis entry's expiry: the shortest TTL its writer could have given it.
      const expiresAt = writtenAt + options.ttlMsOf(value) * (1 - options.jitterRatio);
      if (expiresAt <= now) return;
      if (!localById.has(id) && localById.size >= maxTracked) {
        const oldest = localById.keys().next();
        if (!oldest.done) localById.delete(oldest.value);
      }
      localById.set(id, { value, until: Math.min(now + localTtlMs, expiresAt) });
    },
    drop(id) {
      localGeneration++;
      localById.delete(id);
    },
    clear() {
      localById.clear();
    },
  };
}
