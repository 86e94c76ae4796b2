// The stock projection's lag for a sku, from the partition that carries its events: stock events are
// keyed by sku (warehouse stock-events.ts) and the relay's producer uses kafkajs's default partitioner, so
// partitionForKey finds it. Progress comes from this instance's consumer for the partitions it consumes
// and, for every partition (those another instance consumes included), from the group's committed
// offsets against the topic's end offsets, read every second by the consumer's offsets poller (the one
// that also reads its lag metrics): an instance answering for a partition it does not consume reports
// what the group has committed, never a 0 of its own.
import { createPartitionProgress, type PartitionProgress, partitionForKey } from "@stockroom/messaging";
import type { ProjectionLag } from "../../app/projection-lag.ts";

export interface StockProjectionLag extends ProjectionLag {
  readonly progress: PartitionProgress;
}

export function createStockProjectionLag(options: {
  topic: string;
  staleAfterMs?: number;
  clock?: () => number;
}): StockProjectionLag {
  const progress = createPartitionProgress({
    ...(options.staleAfterMs !== undefined && { staleAfterMs: options.staleAfterMs }),
    ...(options.clock && { clock: options.clock }),
  });
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  return {
    progress,
    lagOf(sku) {
      const count = progress.partitionCount(options.topic);
      // No poll has read the topic yet: nothing is known current since this process started.
      if (count === undefined) return { lagMs: clock() - startedAt, asOf: new Date(startedAt) };
      return progress.lagOf(options.topic, partitionForKey(options.topic, sku, count));
    },
  };
}
