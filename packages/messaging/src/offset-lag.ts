// Lag in seconds from offsets alone, for one consumer's partitions: each reading records when the
// partition's end offset was first seen to pass a value. The oldest unapplied message (at the committed
// offset) existed at the first reading whose end passed it, so it is at least now - that reading old.
// While a consumer stalls with messages behind it, the answer rises with the clock; caught up, it is 0.
// A consumer found behind at its first reading starts at 0 and rises from there (a lower bound).

export interface OffsetLag {
  /** A reading at `at` (ms): the partition's end offset and the group's next offset to apply. */
  observe(partition: string, end: bigint, committed: bigint, at: number): number;
}

interface Reading {
  readonly end: bigint;
  readonly at: number;
}

// A stall of hours at one reading every few seconds stays bounded: past this, the middle readings are
// thinned (the oldest, which the answer needs, is kept).
const MAX_READINGS = 1024;

export function createOffsetLag(): OffsetLag {
  const readings = new Map<string, Reading[]>();
  return {
    observe(partition, end, committed, at) {
      let list = readings.get(partition);
      if (!list) {
        list = [];
        readings.set(partition, list);
      }
      const last = list.at(-1);
      if (!last || end > last.end) list.push({ end, at });
      // Readings whose end the group has reached tell nothing more.
      while (list.length > 0 && (list[0] as Reading).end <= committed) list.shift();
      if (list.length === 0) return 0;
      if (list.length > MAX_READINGS) list.splice(1, 1);
      return Math.max(0, (at - (list[0] as Reading).at) / 1000);
    },
  };
}
