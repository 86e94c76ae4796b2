// Background loop expiring reservations: drains due reservations in batches, then sleeps. Stops
// cleanly: stop() waits for the batch in flight.
import type { Logger } from "@stockroom/logging";
import type { RequestContext } from "../app/use-case-deps.ts";

export interface ExpirySweeperOptions {
  expire: (batchSize: number, context: RequestContext) => Promise<number>;
  oldestActiveAgeSeconds: () => Promise<number>;
  onOldestAge?: (seconds: number) => void;
  context: RequestContext;
  logger: Logger;
  batchSize: number;
  intervalMs: number;
}

export interface ExpirySweeper {
  start(): void;
  stop(): Promise<void>;
  // One full drain, for tests and operators.
  runOnce(): Promise<number>;
}

export function createExpirySweeper(options: ExpirySweeperOptions): ExpirySweeper {
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();

  async function runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await options.expire(options.batchSize, options.context);
      total += expired;
      if (expired < options.batchSize || !running) break;
    }
    options.onOldestAge?.(await options.oldestActiveAgeSeconds());
    return total;
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      inFlight = runOnce()
        .then((expired) => {
          if (expired > 0) options.logger.info({ expired }, "reservations expired");
        })
        .catch((err: unknown) => options.logger.error({ err }, "expiry sweep failed; retrying next interval"))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
    runOnce: async () => {
      const wasRunning = running;
      running = true;
      try {
        return await runOnce();
      } finally {
        running = wasRunning;
      }
    },
  };
}
