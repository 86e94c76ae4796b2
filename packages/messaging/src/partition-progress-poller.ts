// A PartitionProgress fed with a consumer group's committed offsets against the topic's end offsets
// (offsets-poller.ts). It covers the partitions this process does not consume (another instance of the
// group does, or none is assigned yet), so an instance never claims a partition caught up from its own,
// empty, view. An event consumer given a progress feeds it from its own poller; an instance that reads
// the group's progress without consuming runs createPartitionProgressPoller.
import type { Kafka } from "kafkajs";
import type { ConsumerLogger } from "./consumer-logger.ts";
import { createOffsetsPoller, type OffsetsPoller, type OffsetsReader } from "./offsets-poller.ts";
import type { PartitionProgress } from "./partition-progress.ts";

export function partitionProgressReader(options: {
  groupId: string;
  topics: readonly string[];
  progress: PartitionProgress;
}): OffsetsReader {
  return {
    reads: options.topics.map((topic) => ({ groupId: options.groupId, topic })),
    take({ topic, at, partitions }) {
      for (const p of partitions) {
        options.progress.observed(topic, p.partition, {
          endOffset: String(p.high),
          committedOffset: String(p.committed),
          at,
        });
      }
    },
  };
}

export interface PartitionProgressPollerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly progress: PartitionProgress;
  readonly logger: ConsumerLogger;
  /** Default 1 s. */
  readonly intervalMs?: number;
}

export type PartitionProgressPoller = OffsetsPoller;

export function createPartitionProgressPoller(
  options: PartitionProgressPollerOptions,
): PartitionProgressPoller {
  const { groupId, topic, progress } = options;
  return createOffsetsPoller({
    kafka: options.kafka,
    readers: [partitionProgressReader({ groupId, topics: [topic], progress })],
    intervalMs: options.intervalMs ?? 1_000,
    logger: options.logger,
    name: groupId,
  });
}
