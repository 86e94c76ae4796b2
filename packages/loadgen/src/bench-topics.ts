// Removes the Kafka topics a benchmark run made (every topic it named with its run's prefix), so the
// shared broker keeps none of them.
import { createKafkaClient } from "@stockroom/messaging";

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

export async function deleteTopicsWithPrefix(brokers: readonly string[], prefix: string): Promise<string[]> {
  if (prefix.length === 0)
    throw new Error("refusing to delete topics with an empty prefix (that is all of them)");
  const admin = createKafkaClient({
    clientId: "bench-cleanup",
    brokers,
    logger: silentLogger,
    logLevel: "nothing",
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    return topics;
  } finally {
    await admin.disconnect();
  }
}
