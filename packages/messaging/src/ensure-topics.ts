// Topics are created up front (the broker's auto-create is off: a consumer that subscribes first would
// fail, kafkajs #1618). Only the missing ones are asked for: kafkajs logs a broker's TOPIC_ALREADY_EXISTS
// answer at ERROR ("Topic creation errors") before treating it as success, so every restart of a healthy
// service printed an error. The call returns once every partition has a leader, so producing right after
// cannot fail with LEADER_NOT_AVAILABLE. The wait for leaders is
// ours: kafkajs's own (waitForLeaders) retries only LEADER_NOT_AVAILABLE and fails a start-up when the
// broker answers the fresh topic's metadata with UNKNOWN_TOPIC_OR_PARTITION, as it did here under load.
import type { Admin, Kafka } from "kafkajs";

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor?: number;
}

export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  // Two services starting at once may still both create one topic: the loser's answer is logged as
  // above and otherwise harmless.
  if (missing.length > 0) await createTopics(admin, missing);
  await waitForTopicLeaders(admin, specs);
}

async function createTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  await admin.createTopics({
    topics: specs.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.numPartitions,
      replicationFactor: spec.replicationFactor ?? 1,
    })),
    waitForLeaders: false,
  });
}

/** ensureTopics through an admin client of its own, connected for the call. */
export async function ensureTopicsWith(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
}

// createTopics returns before every broker's metadata cache knows the leaders. Bounded (10 s, what
// kafkajs's wait and ours took together before): a broker that never agrees fails with a clear reason. An existing topic with fewer partitions than asked is an error.
async function waitForTopicLeaders(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const topics = specs.map((spec) => spec.topic);
  let lastError: unknown;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = specs.every((spec) => {
        const found = metadata.topics.find((t) => t.name === spec.topic);
        return (
          found !== undefined &&
          found.partitions.length >= spec.numPartitions &&
          found.partitions.every((p) => p.leader >= 0)
        );
      });
      if (ready) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`topics ${topics.join(", ")} have no leaders (or too few partitions) after creation`, {
    cause: lastError,
  });
}
