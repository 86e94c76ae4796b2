import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTopics } from "../src/index.ts";

// testkit depends on this package, so this test reads the broker address itself.
const brokers = process.env.TEST_KAFKA_BROKERS;
if (!brokers) throw new Error("TEST_KAFKA_BROKERS is not set: run `npm test` (it starts Kafka)");
const kafka = new Kafka({
  clientId: "ensure-topics-test",
  brokers: brokers.split(","),
  logLevel: logLevel.NOTHING,
});
const admin = kafka.admin();
const topic = `ensure.t${randomUUID().slice(0, 8)}`;

beforeAll(() => admin.connect());
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe("ensureTopics", () => {
  it("creates a topic with its partitions on the real broker, and is a no-op the second time", async () => {
    await ensureTopics(admin, [{ topic, numPartitions: 3 }]);
    await ensureTopics(admin, [{ topic, numPartitions: 3 }]);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: "k", value: "v" }] });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
  });
});
