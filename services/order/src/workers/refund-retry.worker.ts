// The refund worker loop: sends due refunds (new ones, and those the provider failed, timed out on or
// could not be reached for) under their own keys, with backoff per refund, until none is due; a refund
// failing past the policy's limit puts its order in "needs attention". Several instances are safe.
import type { Logger } from "@stockroom/logging";
import { createIntervalWorker } from "@stockroom/workers";

export function createRefundRetryWorker(options: {
  retryDueRefunds: (limit: number) => Promise<number>;
  batchSize: number;
  intervalMs: number;
  logger: Logger;
}) {
  const worker = createIntervalWorker({
    intervalMs: options.intervalMs,
    tickOnStart: true,
    tick: async () => ({ again: (await options.retryDueRefunds(options.batchSize)) === options.batchSize }),
    onError: (err) => options.logger.error({ err }, "refund pass failed; retrying next interval"),
  });
  return { start: worker.start, stop: worker.stop, wake: worker.wake };
}
