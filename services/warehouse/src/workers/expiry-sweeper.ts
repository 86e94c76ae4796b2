// Background loop expiring reservations: drains due reservations in batches, then sleeps. Stops
// cleanly: stop() waits for the batch in flight.
import type { Logger } from "@stockroom/logging";
import { createIntervalWorker } from "@stockroom/workers";
import type { RequestContext } from "../app/use-case-deps.ts";

export interface ExpirySweeperOptions {
  expire: (batchSize: number, context: RequestContext) => Promise<number>;
  oldestActiveAgeSeconds: () => Promise<number>;
  onOldestAge?: (seconds: number) => void;
  // A drain finished without error (the sweeper's last successful run).
  onSwept?: () => void;
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
  // Batch after batch while they come back full; a stop ends the drain after the batch in flight.
  async function drain(stopped?: AbortSignal): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await options.expire(options.batchSize, options.context);
      total += expired;
      if (expired < options.batchSize || stopped?.aborted) break;
    }
    options.onOldestAge?.(await options.oldestActiveAgeSeconds());
    options.onSwept?.();
    return total;
  }

  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tick: async (stopped) => {
      const expired = await drain(stopped);
      if (expired > 0) options.logger.info({ expired }, "reservations expired");
    },
    onError: (err) => options.logger.error({ err }, "expiry sweep failed; retrying next interval"),
  });

  return { start: worker.start, stop: worker.stop, runOnce: () => drain() };
}
