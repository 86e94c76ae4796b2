// Reads per id since the last warm-up, so warmHottest knows the hottest ids; bounded so a scan over many
// ids cannot grow it without end.
export interface ReadCounter {
  count(id: string): void;
  /** The `limit` most-read ids since the last call, most-read first; starts a new count. */
  takeHottest(limit: number): string[];
}

export function createReadCounter(maxTracked: number): ReadCounter {
  const readCounts = new Map<string, number>();
  return {
    count(id) {
      const count = readCounts.get(id);
      if (count !== undefined) readCounts.set(id, count + 1);
      else if (readCounts.size < maxTracked) readCounts.set(id, 1);
    },
    takeHottest(limit) {
      const hottest = [...readCounts]
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map(([id]) => id);
      readCounts.clear();
      return hottest;
    },
  };
}
