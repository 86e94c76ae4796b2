// Refreshes the hottest product views ahead of their expiry: every interval, the most-read skus since the
// last pass are reloaded from the database and stored again, so popular products rarely miss.
import { createIntervalWorker } from "@stockroom/workers";

export interface CacheWarmer {
  start(): void;
  stop(): Promise<void>;
}

export function createCacheWarmer(options: {
  warmHottest: (limit: number) => Promise<number>;
  limit: number;
  intervalMs: number;
  logger: { warn(obj: object, msg?: string): void };
}): CacheWarmer {
  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tick: async () => {
      await options.warmHottest(options.limit);
    },
    // A failed pass only means the next reads may miss; the loop goes on.
    onError: (err) =>
      options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "cache warm-up failed"),
  });
  return { start: worker.start, stop: worker.stop };
}
