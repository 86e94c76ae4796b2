// The one offsets reader and its poller against a real broker: each partition's earliest, end and
// committed offsets and the position a group goes on from; a (group, topic) asked for by several readers
// is read once a round and handed to each; rounds repeat on the interval worker until stop().
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// As consumer-test-kit.ts: testkit depends on this package, so its source is imported directly.
import { createTestTopics, type TestTopics } from "../../testkit/src/test-topics.ts";
import { uniqueSuffix } from "../../testkit/src/unique-name.ts";
import {
  createOffsetsPoller,
  type GroupOffsets,
  type OffsetsReader,
  readGroupOffsets,
} from "../src/index.ts";
import { quietLogger } from "./consumer-test-kit.ts";

let kafkaTopics: TestTopics<"offsets">;
let topic: string;
const committedGroup = `offsets-committed-${uniqueSuffix()}`;
const freshGroup = `offsets-fresh-${uniqueSuffix()}`;

async function send(partition: number, count: number): Promise<void> {
  const producer = kafkaTopics.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => ({ partition, value: `m${i}` }));
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

beforeAll(async () => {
  kafkaTopics = await createTestTopics(["offsets"], { partitions: 2 });
  topic = kafkaTopics.topics.offsets;
  await send(0, 3);
  await send(1, 1);
  // The group has applied two of partition 0's messages and none of partition 1's.
  await kafkaTopics.admin.setOffsets({
    groupId: committedGroup,
    topic,
    partitions: [{ partition: 0, offset: "2" }],
  });
});

afterAll(async () => {
  await kafkaTopics.admin.deleteGroups([committedGroup]).catch(() => undefined);
  await kafkaTopics?.delete();
});

function recorder(reads: OffsetsReader["reads"]) {
  const taken: GroupOffsets[] = [];
  return { reads, taken, take: (reading: GroupOffsets) => void taken.push(reading) };
}

describe("readGroupOffsets", () => {
  it("reads each partition's offsets and where the group goes on from", async () => {
    const before = Date.now();
    const reading = await readGroupOffsets(kafkaTopics.admin, committedGroup, topic);
    expect(reading.at).toBeGreaterThanOrEqual(before);
    expect([...reading.partitions].sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, low: 0n, high: 3n, committed: 2n, position: 2n },
      // No commit: from the earliest offset held.
      { partition: 1, low: 0n, high: 1n, committed: -1n, position: 0n },
    ]);
  });
});

describe("the offsets poller", () => {
  it("reads a (group, topic) once a round for every reader that asks, until stopped", async () => {
    const lagLike = recorder([{ groupId: committedGroup, topic }]);
    const progressLike = recorder([
      { groupId: committedGroup, topic },
      { groupId: freshGroup, topic },
    ]);
    const poller = createOffsetsPoller({
      kafka: kafkaTopics.kafka,
      readers: [lagLike, progressLike],
      intervalMs: 100,
      logger: quietLogger,
      name: "offsets-test",
    });
    await poller.start();
    try {
      // The first round ran at start: both readers have the committed group's reading, the very same one.
      expect(lagLike.taken).toHaveLength(1);
      expect(progressLike.taken).toHaveLength(2);
      expect(progressLike.taken[0]).toBe(lagLike.taken[0]);
      expect(progressLike.taken[1]?.groupId).toBe(freshGroup);
      expect(progressLike.taken[1]?.partitions.every((p) => p.committed === -1n)).toBe(true);

      // Later rounds see new messages.
      await send(0, 1);
      await expect
        .poll(() => lagLike.taken.at(-1)?.partitions.find((p) => p.partition === 0)?.high, { timeout: 5_000 })
        .toBe(4n);
    } finally {
      await poller.stop();
    }
    const rounds = lagLike.taken.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lagLike.taken.length).toBe(rounds);
  });
});
