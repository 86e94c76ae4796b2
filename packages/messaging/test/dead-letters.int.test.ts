// Poison messages and retries against real PostgreSQL and Kafka: a poison message goes to <topic>.dlq
// with its error while later messages flow; transient failures are retried in place; replayDeadLetters
// sends a letter back once the cause is fixed.
import { sql } from "@stockroom/db";
import type { KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueSuffix } from "../../testkit/src/unique-name.ts";
import {
  createEventConsumer,
  DLQ_HEADERS,
  dlqTopicOf,
  type EventConsumer,
  type EventConsumerOptions,
  type EventHandler,
  markRetryable,
  replayDeadLetters,
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
  topicSize,
  waitFor,
} from "./consumer-test-kit.ts";

type Topic = "poison" | "retry" | "replay" | "interrupt" | "locked";
let env: ConsumerTestEnv<Topic>;

beforeAll(async () => {
  env = await setUpConsumerTest<Topic>(["poison", "retry", "replay", "interrupt", "locked"]);
});
afterAll(async () => {
  await env?.cleanup();
});

function consumerFor(
  topic: string,
  groupId: string,
  registry: Registry,
  handle: EventHandler<EffectsDb>,
  extra: Partial<EventConsumerOptions<EffectsDb>> = {},
): EventConsumer {
  return createEventConsumer<EffectsDb>({
    kafka: env.kafkaTopics.kafka,
    groupId,
    topics: [topic],
    db: env.db,
    consumerName: groupId,
    handle,
    logger: quietLogger,
    registry,
    maxRetries: 3,
    retryBackoffMs: 5,
    maxWaitTimeInMs: 100,
    ...extra,
  });
}

async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = env.kafkaTopics.kafka.consumer({
    groupId: `reader-${uniqueSuffix()}`,
    maxWaitTimeInMs: 100,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
      },
    });
    await waitFor(`${count} messages on ${topic}`, () => messages.length >= count);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

describe("dead letters", () => {
  it("sends a poison message to <topic>.dlq with the error and keeps applying the partition", async () => {
    const topic = env.kafkaTopics.topics.poison;
    const agg = `p-${uniqueSuffix()}`;
    const before = testEvent(agg, 1);
    const failing = testEvent(`${agg}-bad`, 1);
    const after = testEvent(agg, 2);
    const garbage = {
      key: agg,
      value: Buffer.from([0xff, 0x01, 0x02, 0x03]),
      headers: { "event-id": "garbage" },
    };
    await produce(env, topic, [before.message, garbage, failing.message, after.message]);
    const registry = new Registry();
    const groupId = `poison-${uniqueSuffix()}`;
    const rejectBad: EventHandler<EffectsDb> = async (trx, event) => {
      if (event.envelope.aggregateId.endsWith("-bad")) throw new Error("handler refuses this event");
      await recordEffect(trx, event);
    };
    const consumer = consumerFor(topic, groupId, registry, rejectBad);
    await consumer.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 4);
    } finally {
      await consumer.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([before.eventId, after.eventId]);
    const letters = await readAll(dlqTopicOf(topic), 2);
    expect(letters).toHaveLength(2);
    const [decodeLetter, handlerLetter] = letters;
    expect(decodeLetter?.value).toEqual(garbage.value);
    expect(decodeLetter?.key?.toString()).toBe(agg);
    expect(decodeLetter?.headers?.["event-id"]?.toString()).toBe("garbage");
    expect(decodeLetter?.headers?.[DLQ_HEADERS.error]?.toString()).toMatch(/EventDecodeError/);
    expect(decodeLetter?.headers?.[DLQ_HEADERS.consumer]?.toString()).toBe(groupId);
    expect(decodeLetter?.headers?.[DLQ_HEADERS.originalTopic]?.toString()).toBe(topic);
    expect(decodeLetter?.headers?.[DLQ_HEADERS.originalPartition]?.toString()).toBe("0");
    expect(decodeLetter?.headers?.[DLQ_HEADERS.originalOffset]?.toString()).toBe("1");
    expect(handlerLetter?.headers?.[DLQ_HEADERS.error]?.toString()).toMatch(/handler refuses this event/);
    expect(handlerLetter?.headers?.[DLQ_HEADERS.originalOffset]?.toString()).toBe("2");
    expect(await outcomeCount(registry, "dead_lettered")).toBe(2);
    const dlqTotal = await registry.getSingleMetric("consumer_dlq_total")?.get();
    expect(dlqTotal?.values.reduce((sum, v) => sum + v.value, 0)).toBe(2);
    // A failed event leaves no trace in the database: its transaction (log row included) rolled back.
    const logged = await env.schema.pool.query("SELECT 1 FROM event_processing_log WHERE event_id = $1", [
      failing.eventId,
    ]);
    expect(logged.rowCount).toBe(0);
  });

  it("retries a transient failure in place and dead-letters it once the retries are used up", async () => {
    const topic = env.kafkaTopics.topics.retry;
    const agg = `r-${uniqueSuffix()}`;
    const flaky = testEvent(agg, 1);
    const hopeless = testEvent(`${agg}-down`, 1);
    const next = testEvent(agg, 2);
    await produce(env, topic, [flaky.message, hopeless.message, next.message]);
    const attempts = new Map<string, number>();
    const handle: EventHandler<EffectsDb> = async (trx, event) => {
      const n = (attempts.get(event.envelope.eventId) ?? 0) + 1;
      attempts.set(event.envelope.eventId, n);
      if (event.envelope.aggregateId.endsWith("-down")) throw markRetryable(new Error("dependency down"));
      if (n < 3) throw markRetryable(new Error(`flaky attempt ${n}`));
      await recordEffect(trx, event);
    };
    const registry = new Registry();
    const groupId = `retry-${uniqueSuffix()}`;
    const consumer = consumerFor(topic, groupId, registry, handle);
    await consumer.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 3);
    } finally {
      await consumer.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([flaky.eventId, next.eventId]);
    expect(attempts.get(flaky.eventId)).toBe(3);
    expect(attempts.get(hopeless.eventId)).toBe(4); // the first try and maxRetries = 3
    expect(await topicSize(env, dlqTopicOf(topic))).toBe(1);
  });

  it("replays a dead letter to its topic, where the fixed consumer applies it", async () => {
    const topic = env.kafkaTopics.topics.replay;
    const agg = `x-${uniqueSuffix()}`;
    const event = testEvent(agg, 1);
    await produce(env, topic, [event.message]);
    let broken = true;
    const handle: EventHandler<EffectsDb> = async (trx, consumed) => {
      if (broken) throw new Error("bug in the handler");
      await recordEffect(trx, consumed);
    };
    const groupId = `replay-${uniqueSuffix()}`;
    const registry = new Registry();
    const consumer = consumerFor(topic, groupId, registry, handle);
    await consumer.start();
    try {
      await waitFor("dead-lettered", async () => (await topicSize(env, dlqTopicOf(topic))) === 1);
      expect(await effectRows(env.db, agg)).toHaveLength(0);
      broken = false;
      const first = await replayDeadLetters({
        kafka: env.kafkaTopics.kafka,
        topic,
        consumerName: groupId,
        limit: 10,
      });
      expect(first).toEqual({ replayed: 1, passedOver: 0 });
      await waitFor("replayed event applied", async () => (await effectRows(env.db, agg)).length === 1);
      // The replay group remembers: nothing is sent twice.
      const second = await replayDeadLetters({ kafka: env.kafkaTopics.kafka, topic, consumerName: groupId });
      expect(second).toEqual({ replayed: 0, passedOver: 0 });
    } finally {
      await consumer.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([event.eventId]);
    expect(await topicSize(env, topic)).toBe(2);
    expect(await outcomeCount(registry, "applied")).toBe(1);
  });

  it("stop() during a retry backoff leaves the event unresolved and un-dead-lettered for the next start", async () => {
    const topic = env.kafkaTopics.topics.interrupt;
    const agg = `i-${uniqueSuffix()}`;
    const event = testEvent(agg, 1);
    await produce(env, topic, [event.message]);
    let down = true;
    let attempts = 0;
    const handle: EventHandler<EffectsDb> = async (trx, consumed) => {
      attempts++;
      if (down) throw markRetryable(new Error("dependency down"));
      await recordEffect(trx, consumed);
    };
    const groupId = `interrupt-${uniqueSuffix()}`;
    // A backoff far longer than the test: stop() must cut it short, not wait it out.
    const slowRetry = { retryBackoffMs: 600_000, retryBackoffMaxMs: 600_000 };
    const waiting = consumerFor(topic, groupId, new Registry(), handle, slowRetry);
    await waiting.start();
    await waitFor("the first attempt failed", () => attempts >= 1);
    await waiting.stop();
    expect(await committedOffset(env, groupId, topic)).toBe(0);
    expect(await topicSize(env, dlqTopicOf(topic))).toBe(0);

    down = false;
    const restarted = consumerFor(topic, groupId, new Registry(), handle);
    await restarted.start();
    try {
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 1);
    } finally {
      await restarted.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([event.eventId]);
  });

  it("retries a real lock_not_available from PostgreSQL until the lock is free, then applies once", async () => {
    const topic = env.kafkaTopics.topics.locked;
    const agg = `l-${uniqueSuffix()}`;
    const event = testEvent(agg, 1);
    await sql`CREATE TABLE locked_counter (id int PRIMARY KEY, n int NOT NULL)`.execute(env.db);
    await sql`INSERT INTO locked_counter VALUES (1, 0)`.execute(env.db);
    const holder = await env.schema.pool.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT * FROM locked_counter WHERE id = 1 FOR UPDATE");
    let attempts = 0;
    const handle: EventHandler<EffectsDb> = async (trx, consumed) => {
      attempts++;
      await sql`SET LOCAL lock_timeout = '20ms'`.execute(trx);
      await sql`UPDATE locked_counter SET n = n + 1 WHERE id = 1`.execute(trx);
      await recordEffect(trx, consumed);
    };
    const groupId = `locked-${uniqueSuffix()}`;
    const consumer = consumerFor(topic, groupId, new Registry(), handle, { maxRetries: 1_000 });
    await consumer.start();
    try {
      await produce(env, topic, [event.message]);
      await waitFor("a try blocked by the lock", () => attempts >= 2);
      await holder.query("COMMIT");
      await waitFor("offsets committed", async () => (await committedOffset(env, groupId, topic)) === 1);
    } finally {
      holder.release();
      await consumer.stop();
    }
    expect((await effectRows(env.db, agg)).map((r) => r.event_id)).toEqual([event.eventId]);
    const counter = await sql<{ n: number }>`SELECT n FROM locked_counter WHERE id = 1`.execute(env.db);
    expect(counter.rows[0]?.n).toBe(1);
    expect(await topicSize(env, dlqTopicOf(topic))).toBe(0);
  });
});
