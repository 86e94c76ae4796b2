// consumer_lag_seconds and consumer_dlq_depth, read from the broker's offsets on a timer: the lag keeps
// rising while a consumer stalls and returns to 0 once it catches up; the depth counts dead letters until
// a replay takes them. Real Kafka and PostgreSQL; the offset arithmetic also on its own.
import type { Registry as PromRegistry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueSuffix } from "../../testkit/src/unique-name.ts";
import { createEventConsumer, type EventHandler, replayDeadLetters } from "../src/index.ts";
import { createOffsetLag } from "../src/offset-lag.ts";
import {
  type ConsumerTestEnv,
  type EffectsDb,
  produce,
  quietLogger,
  Registry,
  recordEffect,
  setUpConsumerTest,
  testEvent,
  waitFor,
} from "./consumer-test-kit.ts";

describe("lag from offsets", () => {
  it("is 0 caught up, and the age of the first reading that passed the group while behind", () => {
    const lag = createOffsetLag();
    expect(lag.observe("p", 5n, 5n, 1_000)).toBe(0);
    // Two messages arrive and the group does not move: the oldest was there at 2 s.
    expect(lag.observe("p", 7n, 5n, 2_000)).toBe(0);
    expect(lag.observe("p", 9n, 5n, 4_000)).toBe(2);
    expect(lag.observe("p", 9n, 5n, 10_000)).toBe(8);
    // The group passes the 2 s reading's end (7) but not the 4 s one's (9).
    expect(lag.observe("p", 9n, 7n, 11_000)).toBe(7);
    expect(lag.observe("p", 9n, 9n, 12_000)).toBe(0);
    // Partitions are independent.
    expect(lag.observe("q", 3n, 0n, 12_000)).toBe(0);
    expect(lag.observe("q", 3n, 0n, 13_500)).toBe(1.5);
  });
});

type Topic = "stall" | "letters";
let env: ConsumerTestEnv<Topic>;

beforeAll(async () => {
  env = await setUpConsumerTest<Topic>(["stall", "letters"]);
});
afterAll(async () => {
  await env?.cleanup();
});

async function gaugeValues(registry: PromRegistry, name: string, topic: string): Promise<number[]> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).filter((v) => v.labels.topic === topic).map((v) => v.value);
}

function consumer(topic: string, groupId: string, registry: Registry, handle: EventHandler<EffectsDb>) {
  return createEventConsumer<EffectsDb>({
    kafka: env.kafkaTopics.kafka,
    groupId,
    topics: [topic],
    db: env.db,
    consumerName: groupId,
    handle,
    logger: quietLogger,
    registry,
    maxRetries: 0,
    maxWaitTimeInMs: 100,
    lagIntervalMs: 100,
  });
}

describe("consumer lag and dead-letter depth from the broker", () => {
  it("starts every outcome's counter at 0, then lag in seconds rises while the consumer stalls", async () => {
    const topic = env.kafkaTopics.topics.stall;
    const groupId = `stall-${uniqueSuffix()}`;
    const registry = new Registry();
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const c = consumer(topic, groupId, registry, async (trx, event) => {
      await stalled;
      await recordEffect(trx, event);
    });
    await c.start();
    try {
      const counters = await registry.getSingleMetric("consumer_dlq_total")?.get();
      expect(counters?.values).toEqual([{ labels: { consumer: groupId, topic }, value: 0 }]);
      await produce(env, topic, [testEvent(`s-${uniqueSuffix()}`, 1).message]);
      await waitFor(
        "lag above 0.5 s",
        async () => Math.max(0, ...(await gaugeValues(registry, "consumer_lag_seconds", topic))) > 0.5,
      );
      const before = Math.max(...(await gaugeValues(registry, "consumer_lag_seconds", topic)));
      await new Promise((r) => setTimeout(r, 600));
      const after = Math.max(...(await gaugeValues(registry, "consumer_lag_seconds", topic)));
      expect(after).toBeGreaterThan(before + 0.3);
      release();
      await waitFor("lag back to 0", async () => {
        const values = await gaugeValues(registry, "consumer_lag_seconds", topic);
        return values.length > 0 && values.every((v) => v === 0);
      });
    } finally {
      release();
      await c.stop();
    }
  });

  it("counts dead letters not yet replayed, and none once the replay took them", async () => {
    const topic = env.kafkaTopics.topics.letters;
    const groupId = `letters-${uniqueSuffix()}`;
    const registry = new Registry();
    let broken = true;
    const c = consumer(topic, groupId, registry, async (trx, event) => {
      if (broken) throw new Error("bug in the handler");
      await recordEffect(trx, event);
    });
    await c.start();
    try {
      await produce(env, topic, [
        testEvent(`d-${uniqueSuffix()}`, 1).message,
        testEvent(`d-${uniqueSuffix()}`, 1).message,
      ]);
      await waitFor(
        "two letters deep",
        async () => (await gaugeValues(registry, "consumer_dlq_depth", topic))[0] === 2,
      );
      broken = false;
      const replay = await replayDeadLetters({ kafka: env.kafkaTopics.kafka, topic, consumerName: groupId });
      expect(replay).toEqual({ replayed: 2, passedOver: 0 });
      await waitFor(
        "no letters left",
        async () => (await gaugeValues(registry, "consumer_dlq_depth", topic))[0] === 0,
      );
    } finally {
      await c.stop();
    }
  });
});
