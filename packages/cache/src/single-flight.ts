// Single flight: one fetch in flight per id; every concurrent reader of that id awaits the same group.

/** The groups one read waits for, each with the ids it wants from it. */
export type GroupWaits<V> = Map<Promise<Map<string, V>>, string[]>;

export interface SingleFlight<V> {
  /** Notes in `waits` the group already fetching `id`; false when no group is (the caller fetches it). */
  join(id: string, waits: GroupWaits<V>): boolean;
  /** Starts one group for ids no one is fetching and notes it in `waits`. */
  start(ids: string[], waits: GroupWaits<V>): void;
}

export function createSingleFlight<V>(fetch: (ids: string[]) => Promise<Map<string, V>>): SingleFlight<V> {
  const inFlight = new Map<string, Promise<Map<string, V>>>();

  return {
    join(id, waits) {
      const existing = inFlight.get(id);
      if (existing === undefined) return false;
      const wanted = waits.get(existing);
      if (wanted) wanted.push(id);
      else waits.set(existing, [id]);
      return true;
    },
    start(toFetch, waits) {
      // Registered synchronously, before the reader's first await, so every concurrent reader finds it.
      // One promise per group, not per id: a batch read made a dozen promises per id before.
      const group = fetch(toFetch);
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
    },
  };
}
