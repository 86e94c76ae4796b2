// The one reading of how far a consumer group is through a topic: every partition's earliest and end
// offsets and the group's committed offset, through the admin client. The end offsets are read first:
// a commit read after them that reaches them means the group had everything the broker held at `at`.
// The lag metrics and dead-letter depth, the projection's PartitionProgress, and the dead-letter listing
// and replay all read offsets here.
import type { Admin } from "kafkajs";

export interface PartitionOffsets {
  readonly partition: number;
  /** The earliest offset the broker still holds. */
  readonly low: bigint;
  /** The end offset: the next one the broker will write. */
  readonly high: bigint;
  /** The group's committed offset (the next it will read); -1n when it has committed none. */
  readonly committed: bigint;
  /** Where the group goes on from: its commit, or the earliest offset held when it has none (or less). */
  readonly position: bigint;
}

export interface GroupOffsets {
  readonly groupId: string;
  readonly topic: string;
  /** When the end offsets were read (ms since the epoch). */
  readonly at: number;
  readonly partitions: readonly PartitionOffsets[];
}

export async function readGroupOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
  clock: () => number = Date.now,
): Promise<GroupOffsets> {
  const at = clock();
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committedBy = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  const partitions = ends.map((end): PartitionOffsets => {
    const low = BigInt(end.low);
    const commit = committedBy.get(end.partition) ?? -1n;
    return {
      partition: end.partition,
      low,
      high: BigInt(end.high),
      committed: commit,
      position: commit > low ? commit : low,
    };
  });
  return { groupId, topic, at, partitions };
}
