// Refreshes the hottest product views ahead of their expiry: every interval, the most-read skus since the
// last pass are reloaded from the database and stored again, so popular products rarely miss.

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
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<void> {
    try {
      await options.warmHottest(options.limit);
    } catch (err) {
      // A failed pass only means the next reads may miss; the loop goes on.
      options.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "cache warm-up failed");
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
