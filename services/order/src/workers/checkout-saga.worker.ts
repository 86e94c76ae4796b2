// The saga worker loop: drives due checkouts in batches until none are left, then waits (or is woken by
// a new checkout or a webhook). Several instances are safe: claims use FOR UPDATE SKIP LOCKED and leases.
import type { Logger } from "@stockroom/logging";
import { createIntervalWorker } from "@stockroom/workers";

export interface CheckoutSagaWorkerOptions {
  driveDueCheckouts: (limit: number) => Promise<number>;
  oldestUnfinishedAgeSeconds?: () => Promise<number>;
  onOldestAge?: (seconds: number) => void;
  batchSize: number;
  intervalMs: number;
  logger: Logger;
}

export function createCheckoutSagaWorker(options: CheckoutSagaWorkerOptions) {
  let ticks = 0;
  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tickOnStart: true,
    tick: async () => {
      const driven = await options.driveDueCheckouts(options.batchSize);
      // The gauge every few ticks: one aggregate query, not one per batch.
      if (options.oldestUnfinishedAgeSeconds && ticks++ % 10 === 0) {
        options.onOldestAge?.(await options.oldestUnfinishedAgeSeconds());
      }
      // Again at once after any work: a step that advanced left its saga due now (the next step).
      return { again: driven > 0 };
    },
    onError: (err) => options.logger.error({ err }, "checkout saga pass failed; retrying next interval"),
  });
  return { start: worker.start, stop: worker.stop, wake: worker.wake };
}
