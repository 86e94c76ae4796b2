// Removes the Kafka topics a benchmark run made (every topic it named with its run's prefix), so the
// shared broker keeps none of them.
import { Kafka, logLevel } from "kafkajs";

export async function deleteTopicsWithPrefix(brokers: readonly string[], prefix: string): Promise<string[]> {
  if (prefix.length === 0)
    throw new Error("refusing to delete topics with an empty prefix (that is all of them)");
  const admin = new Kafka({
    clientId: "bench-cleanup",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
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
