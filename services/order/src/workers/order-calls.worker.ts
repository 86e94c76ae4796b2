// The order-calls worker loop: makes the calls fulfillment facts made due (capture on shipment, void,
// release of a leftover commitment) in batches until none is due, then waits. Several instances are
// safe: claims use FOR UPDATE SKIP LOCKED and a lease.
import type { Logger } from "@stockroom/logging";
import { createIntervalWorker } from "@stockroom/workers";

export function createOrderCallsWorker(options: {
  runDueOrderCalls: (limit: number) => Promise<number>;
  batchSize: number;
  intervalMs: number;
  logger: Logger;
}) {
  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tickOnStart: true,
    tick: async () => ({ again: (await options.runDueOrderCalls(options.batchSize)) === options.batchSize }),
    onError: (err) => options.logger.error({ err }, "order-calls pass failed; retrying next interval"),
  });
  return { start: worker.start, stop: worker.stop, wake: worker.wake };
}
