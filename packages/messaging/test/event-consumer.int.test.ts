// createEventConsumer against real PostgreSQL and Kafka: applied once, duplicates and stale versions
// skipped, offsets committed only after the database commit (a consumer that dies in between re-applies
// nothing).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueSuffix } from "../../testkit/src/unique-name.ts";
import {
  type ConsumedEvent,
  createEventConsumer,
  dlqTopicOf,
  type EventConsumer,
  type EventConsumerOptions,
  ensureTopics,
} from "../src/index.ts";
import {
  type ConsumerTestEnv,
  committedOffset,
  type EffectsDb,
  effectRows,
  outcomeCount,
  produce,
  quietLogger,
  Registry,
  recordEffect,
  setUpConsumerTest,
  testEvent,
  waitFor,
} from "./consumer-test-kit.ts";

type Topic = "applied" | "duplicate" | "stale" | "crash" | "shutdown";
let env: ConsumerTestEnv<Topic>;

beforeAll(async () => {
  env = await setUpConsumerTest<Topic>(["applied", "duplicate", "stale", "crash", "shutdown"]);
});
afterAll(async () => {
  await env?.cleanup();
});

function consumerFor(
  topic: string,
  groupId: string,
  registry: Registry,
  extra: Partial<EventConsumerOptions<EffectsDb>> = {},
): EventConsumer {
  return createEventConsumer<EffectsDb>({
    kafka: env.kafkaTopics.kafka,
    groupId,
    topics: [topic],
    db: env.db,
    consumerName: groupId,
    handle: recordEffect,
    logger: quietLogger,
    registry,
    retryBackoffMs: 5,
    maxWaitTimeInMs: 100,
    ...extra,
  });
}

describe("createEventConsumer", () => {
  it("applies each event once and commits its offset after the transaction", async () => {
    const topic = env.kafkaTopics.topics.applied;
    const agg = `a-${uniqueSuffix()}`;
    const events = [testEvent(`${agg}-1`, 1), testEvent(`${agg}-2`, 1), testEvent(`${agg}-1`, 2)];
    await produce(
      env,
      topic,
      events.map((e) => e.message),
    );
    const registry = new Registry();
    const groupId = `applied-${uniqueSuffix()}`;
    const consumer = consumerFor(topic, groupId, registry);
    await consumer.start();
    try {
      await waitFor("3 effects", async () => (await effectRows(env.db, agg)).length === 3);
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 3);
    } finally {
      await consumer.stop();
    }
    const rows = await effectRows(env.db, agg);
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(await outcomeCount(registry, "applied")).toBe(3);
    const lag = await registry.getSingleMetric("consumer_lag")?.get();
    expect(lag?.values.every((v) => v.value === 0)).toBe(true);
  });

  it("applies an event delivered twice once and counts the duplicate", async () => {
    const topic = env.kafkaTopics.topics.duplicate;
    const agg = `d-${uniqueSuffix()}`;
    const event = testEvent(agg, 1);
    const later = testEvent(agg, 2);
    await produce(env, topic, [event.message, event.message, later.message]);
    const registry = new Registry();
    const groupId = `duplicate-${uniqueSuffix()}`;
    const consumer = consumerFor(topic, groupId, registry);
    await consumer.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 3);
    } finally {
      await consumer.stop();
    }
    const rows = await effectRows(env.db, agg);
    expect(rows.map((r) => r.event_id)).toEqual([event.eventId, later.eventId]);
    expect(await outcomeCount(registry, "duplicate")).toBe(1);
    expect(await outcomeCount(registry, "applied")).toBe(2);
  });

  it("skips an event whose aggregate version is not newer than the one applied (v1 after v2)", async () => {
    const topic = env.kafkaTopics.topics.stale;
    const agg = `s-${uniqueSuffix()}`;
    const v2 = testEvent(agg, 2);
    const v1 = testEvent(agg, 1);
    const v3 = testEvent(agg, 3);
    await produce(env, topic, [v2.message, v1.message, v3.message]);
    const registry = new Registry();
    const groupId = `stale-${uniqueSuffix()}`;
    const consumer = consumerFor(topic, groupId, registry);
    await consumer.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 3);
    } finally {
      await consumer.stop();
    }
    const rows = await effectRows(env.db, agg);
    expect(rows.map((r) => r.version)).toEqual(["2", "3"]);
    expect(await outcomeCount(registry, "stale")).toBe(1);
  });

  it("re-applies nothing when the consumer dies after the database commit and before the offset commit", async () => {
    const topic = env.kafkaTopics.topics.crash;
    const agg = `c-${uniqueSuffix()}`;
    const first = testEvent(agg, 1);
    const second = testEvent(agg, 2);
    await produce(env, topic, [first.message, second.message]);
    const groupId = `crash-${uniqueSuffix()}`;
    let crashed = false;
    const dying = consumerFor(topic, groupId, new Registry(), {
      afterCommitForTest: (event: ConsumedEvent) => {
        crashed = true;
        throw new Error(`simulated crash after committing ${event.envelope.eventId}`);
      },
    });
    await dying.start();
    try {
      await waitFor("the first event committed, then the crash", () => crashed);
    } finally {
      await dying.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([first.eventId]);
    expect(await committedOffset(env, groupId, topic)).toBe(0);

    const registry = new Registry();
    const restarted = consumerFor(topic, groupId, registry);
    await restarted.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 2);
    } finally {
      await restarted.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([first.eventId, second.eventId]);
    expect(await outcomeCount(registry, "duplicate")).toBe(1);
    expect(await outcomeCount(registry, "applied")).toBe(1);
  });

  it("stop() mid-batch finishes the event in flight, commits its offset and leaves the rest for the restart", async () => {
    const topic = env.kafkaTopics.topics.shutdown;
    const agg = `h-${uniqueSuffix()}`;
    const events = [testEvent(agg, 1), testEvent(agg, 2), testEvent(agg, 3)];
    await produce(
      env,
      topic,
      events.map((e) => e.message),
    );
    const groupId = `shutdown-${uniqueSuffix()}`;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inFlight = false;
    const slowFirst = consumerFor(topic, groupId, new Registry(), {
      handle: async (trx, event) => {
        inFlight = true;
        await gate;
        await recordEffect(trx, event);
      },
    });
    await slowFirst.start();
    await waitFor("the first event in flight", () => inFlight);
    const stopped = slowFirst.stop();
    release();
    await stopped;
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([events[0]?.eventId]);
    expect(await committedOffset(env, groupId, topic)).toBe(1);

    const registry = new Registry();
    const restarted = consumerFor(topic, groupId, registry);
    await restarted.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 3);
    } finally {
      await restarted.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual(events.map((e) => e.eventId));
    expect(await outcomeCount(registry, "applied")).toBe(2);
    expect(await outcomeCount(registry, "duplicate")).toBe(0);
  });

  it("keeps each aggregate's order across partitions consumed concurrently, lag 0 on every partition", async () => {
    const topic = `${env.kafkaTopics.topics.applied}.p3`;
    await ensureTopics(env.kafkaTopics.admin, [
      { topic, numPartitions: 3 },
      { topic: dlqTopicOf(topic), numPartitions: 1 },
    ]);
    try {
      const prefix = `m-${uniqueSuffix()}`;
      const aggregates = Array.from({ length: 40 }, (_, i) => `${prefix}-${i}`);
      const events = [1, 2, 3, 4, 5].flatMap((version) => aggregates.map((id) => testEvent(id, version)));
      await produce(
        env,
        topic,
        events.map((e) => e.message),
      );
      const registry = new Registry();
      const groupId = `partitions-${uniqueSuffix()}`;
      const consumer = consumerFor(topic, groupId, registry, { partitionsConsumedConcurrently: 3 });
      await consumer.start();
      try {
        await waitFor(
          "offsets committed",
          async () => (await committedOffset(env, groupId, topic)) === events.length,
        );
      } finally {
        await consumer.stop();
      }
      const rows = await effectRows(env.db, prefix);
      expect(rows).toHaveLength(events.length);
      // In order per aggregate: no version was skipped as stale.
      expect(await outcomeCount(registry, "stale")).toBe(0);
      expect(await outcomeCount(registry, "applied")).toBe(events.length);
      const lag = await registry.getSingleMetric("consumer_lag")?.get();
      expect(new Set(lag?.values.map((v) => v.labels.partition)).size).toBe(3);
      expect(lag?.values.every((v) => v.value === 0)).toBe(true);
    } finally {
      await env.kafkaTopics.admin.deleteTopics({ topics: [topic, dlqTopicOf(topic)] });
    }
  });
});
