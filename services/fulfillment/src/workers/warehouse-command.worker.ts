// The warehouse command worker: the shared interval loop around sendWarehouseCommands; a tick that
// claimed a full batch goes again at once (a backlog). Several instances are safe (SKIP LOCKED claims).
import { createIntervalWorker, type IntervalWorker } from "@stockroom/workers";
import type { CommandTickResult } from "../app/send-warehouse-commands.ts";

export function createWarehouseCommandWorker(options: {
  sendDue: () => Promise<CommandTickResult>;
  batchSize: number;
  intervalMs: number;
  onError: (err: unknown) => void;
  onTick?: (result: CommandTickResult) => void;
}): IntervalWorker {
  return createIntervalWorker({
    intervalMs: options.intervalMs,
    tickOnStart: true,
    onError: options.onError,
    tick: async () => {
      const result = await options.sendDue();
      options.onTick?.(result);
      return { again: result.claimed >= options.batchSize };
    },
  });
}
