// The abandoned-cart worker loop (ORD-P1-01): every interval, abandons carts idle past the timeout and
// releases the stock holds carts let go of, in batches until none are left. Several instances are safe
// (carts are locked SKIP LOCKED, holds leased, every release keyed).
import type { Logger } from "@stockroom/logging";
import { createIntervalWorker } from "@stockroom/workers";
import type { AbandonPass } from "../app/abandon-idle-carts.ts";

export interface AbandonedCartWorkerOptions {
  abandonIdleCarts: (limit: number) => Promise<AbandonPass>;
  batchSize: number;
  intervalMs: number;
  logger: Logger;
}

export function createAbandonedCartWorker(options: AbandonedCartWorkerOptions) {
  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tickOnStart: true,
    tick: async () => {
      const pass = await options.abandonIdleCarts(options.batchSize);
      return { again: pass.abandoned === options.batchSize || pass.released === options.batchSize };
    },
    onError: (err) => options.logger.error({ err }, "abandoned-cart pass failed; retrying next interval"),
  });
  return { start: worker.start, stop: worker.stop };
}
