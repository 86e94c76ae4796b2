// A dedicated broker is a real, separate broker: messages survive a kill and a restart on the same ports,
// and while it is down clients cannot reach it (the shared broker is never involved).
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTopics, type DedicatedKafkaBroker, startDedicatedKafkaBroker } from "../src/index.ts";

let broker: DedicatedKafkaBroker;

beforeAll(async () => {
  broker = await startDedicatedKafkaBroker();
});

afterAll(async () => {
  await broker?.cleanup();
});

function client(retries: number): Kafka {
  return new Kafka({
    clientId: "dedicated-test",
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries },
  });
}

async function highWatermark(topic: string): Promise<number> {
  const admin = client(5).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function reachable(): Promise<boolean> {
  const admin = client(0).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

describe("startDedicatedKafkaBroker", () => {
  it("runs its own broker on other ports; written messages survive kill and restart", async () => {
    expect(broker.brokers).toHaveLength(1);
    expect(broker.brokers[0]).not.toBe(process.env.TEST_KAFKA_BROKERS);
    const test = await createTestTopics(["dedicated"], { brokers: broker.brokers });
    const topic = test.topics.dedicated;
    const producer = test.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: "k", value: "before" }] });
    await producer.disconnect();
    await test.admin.disconnect();

    await broker.kill();
    expect(await reachable()).toBe(false);

    await broker.restart();
    expect(await highWatermark(topic)).toBe(1);

    await broker.stop();
    await broker.restart();
    expect(await highWatermark(topic)).toBe(1);
  });
});
