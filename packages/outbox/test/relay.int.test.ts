// The relay against real PostgreSQL and Kafka: order and headers, a late-committing transaction, and two
// relays on one schema.
import { resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createDb, type Kysely } from "@stockroom/db";
import {
  createTestSchema,
  createTestTopics,
  type TestSchema,
  type TestTopics,
  uniqueSuffix,
} from "@stockroom/testkit";
import type { Consumer, KafkaMessage } from "kafkajs";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendToOutbox, type OutboxDatabase, type OutboxEvent, toOutboxRow } from "../src/index.ts";
import { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from "../src/relay.ts";
import { outboxChannel } from "../src/relay-lease.ts";

const MIGRATIONS = resolve(import.meta.dirname, "../../../migrations/warehouse");
const quiet = { info() {}, warn() {}, error() {} };

let schema: TestSchema;
let kafkaTopics: TestTopics<
  "ordered" | "late" | "pair" | "loop" | "wake" | "prefixed" | "mixedA" | "mixedB" | "linger"
>;
let db: Kysely<OutboxDatabase>;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 8 });
  kafkaTopics = await createTestTopics([
    "ordered",
    "late",
    "pair",
    "loop",
    "wake",
    "prefixed",
    "mixedA",
    "mixedB",
    "linger",
  ]);
  db = createDb<OutboxDatabase>(schema.pool);
});

afterAll(async () => {
  await kafkaTopics?.delete();
  await schema?.drop();
});

function event(topic: string, aggregateId: string, version: number): OutboxEvent {
  return {
    topic,
    messageKey: aggregateId,
    aggregateType: "test.thing",
    aggregateId,
    aggregateVersion: version,
    eventType: "ThingChanged",
    payloadSchema: StringValueSchema,
    payload: create(StringValueSchema, { value: `${aggregateId}@${version}` }),
  };
}

function relayFor(overrides: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  return createOutboxRelay({
    pool: schema.pool,
    kafka: kafkaTopics.kafka,
    schema: schema.schema,
    logger: quiet,
    batchSize: 100,
    pollIntervalMs: 50,
    ...overrides,
  });
}

// Bounded wait for a condition the started relays bring about (not a timing assertion).
async function waitFor(condition: () => Promise<boolean>, nudge?: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await condition()) return;
    await nudge?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not reached");
}

async function topicUnpublished(topic: string): Promise<number> {
  const result = await schema.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND topic = $1",
    [topic],
  );
  return Number(result.rows[0]?.n);
}

// Other test files hold short transactions on the same database, which hold back the xmin horizon for a
// moment; passes are repeated (bounded) until the expected rows went out.
async function publishUntil(relay: OutboxRelay, expected: number): Promise<number> {
  let published = 0;
  for (let attempt = 0; attempt < 300 && published < expected; attempt++) {
    published += (await relay.runOnce()).published;
    if (published < expected) await new Promise((r) => setTimeout(r, 50));
  }
  return published;
}

async function messageCount(topic: string): Promise<number> {
  const offsets = await kafkaTopics.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

async function consumeAll(topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer: Consumer = kafkaTopics.kafka.consumer({ groupId: `relay-test-${uniqueSuffix()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolveDone) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (messages.length >= count) resolveDone();
        },
      });
    });
    await done;
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

async function unpublishedCount(): Promise<number> {
  const result = await schema.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL",
  );
  return Number(result.rows[0]?.n);
}

describe("outbox relay", () => {
  it("publishes appended rows in order per key, with headers, and marks them published", async () => {
    const topic = kafkaTopics.topics.ordered;
    const events = [1, 2, 3].flatMap((version) => [
      event(topic, "a-1", version),
      event(topic, "b-1", version),
    ]);
    const rows = await appendToOutbox(db, { producer: "test" }, events);
    const relay = relayFor();
    try {
      expect(await publishUntil(relay, rows.length)).toBe(rows.length);
    } finally {
      await relay.stop();
    }
    const messages = await consumeAll(topic, rows.length);
    const versionsOf = (key: string) =>
      messages
        .filter((m) => m.key?.toString() === key)
        .map((m) => Number(m.headers?.["aggregate-version"]?.toString()));
    expect(versionsOf("a-1")).toEqual([1, 2, 3]);
    expect(versionsOf("b-1")).toEqual([1, 2, 3]);
    const first = messages.find((m) => m.key?.toString() === "a-1");
    const row = rows.find((r) => r.aggregate_id === "a-1" && r.aggregate_version === 1);
    expect(first?.headers?.["event-id"]?.toString()).toBe(row?.event_id);
    expect(first?.headers?.["event-type"]?.toString()).toBe("ThingChanged");
    expect(first?.headers?.["aggregate-type"]?.toString()).toBe("test.thing");
    expect(first?.headers?.["aggregate-id"]?.toString()).toBe("a-1");
    expect(Buffer.from(first?.value ?? []).equals(Buffer.from(row?.envelope ?? []))).toBe(true);
    expect(await unpublishedCount()).toBe(0);
  });

  it("one pass publishes a batch of interleaved topics, each topic's keys in order, and marks them all", async () => {
    const [topicA, topicB] = [kafkaTopics.topics.mixedA, kafkaTopics.topics.mixedB];
    const events = [1, 2, 3, 4].flatMap((version) => [
      event(topicA, "mix-a1", version),
      event(topicB, "mix-b1", version),
      event(topicA, "mix-a2", version),
    ]);
    const rows = await appendToOutbox(db, { producer: "test" }, events);
    const relay = relayFor();
    try {
      expect(await relay.runOnce()).toEqual({ active: true, published: rows.length });
    } finally {
      await relay.stop();
    }
    expect(await unpublishedCount()).toBe(0);
    const versionsOf = (messages: KafkaMessage[], key: string) =>
      messages
        .filter((m) => m.key?.toString() === key)
        .map((m) => Number(m.headers?.["aggregate-version"]?.toString()));
    const onA = await consumeAll(topicA, 8);
    const onB = await consumeAll(topicB, 4);
    expect(versionsOf(onA, "mix-a1")).toEqual([1, 2, 3, 4]);
    expect(versionsOf(onA, "mix-a2")).toEqual([1, 2, 3, 4]);
    expect(versionsOf(onA, "mix-b1")).toEqual([]);
    expect(versionsOf(onB, "mix-b1")).toEqual([1, 2, 3, 4]);
  });

  it("publishes to the prefixed topic when given a topic prefix", async () => {
    // The test topic is "prefixed.t<suffix>": rows name "t<suffix>", the relay puts "prefixed." before it.
    const target = kafkaTopics.topics.prefixed;
    const cut = target.indexOf(".") + 1;
    const rows = await appendToOutbox(db, { producer: "test" }, [
      event(target.slice(cut), "p-1", 1),
      event(target.slice(cut), "p-1", 2),
    ]);
    const relay = relayFor({ topicPrefix: target.slice(0, cut) });
    try {
      expect(await publishUntil(relay, rows.length)).toBe(rows.length);
    } finally {
      await relay.stop();
    }
    expect(await messageCount(target)).toBe(2);
  });

  it("does not publish past a transaction that is still open, then publishes it first", async () => {
    const topic = kafkaTopics.topics.late;
    const relay = relayFor();
    const txA = await schema.pool.connect();
    try {
      await txA.query("BEGIN");
      const rowA = toOutboxRow({ producer: "test" }, event(topic, "late-1", 1));
      await txA.query(
        `INSERT INTO outbox (event_id, topic, message_key, aggregate_type, aggregate_id, aggregate_version,
                             event_type, envelope, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          rowA.event_id,
          rowA.topic,
          rowA.message_key,
          rowA.aggregate_type,
          rowA.aggregate_id,
          rowA.aggregate_version,
          rowA.event_type,
          Buffer.from(rowA.envelope),
          rowA.occurred_at,
        ],
      );
      // B commits while A is open, with a higher id for the same key.
      await appendToOutbox(db, { producer: "test" }, [event(topic, "late-1", 2)]);
      const pass = await relay.runOnce();
      expect(pass).toEqual({ active: true, published: 0 });
      expect(await messageCount(topic)).toBe(0);
      await txA.query("COMMIT");
    } finally {
      txA.release();
    }
    try {
      expect(await publishUntil(relay, 2)).toBe(2);
    } finally {
      await relay.stop();
    }
    const messages = await consumeAll(topic, 2);
    expect(messages.map((m) => m.headers?.["aggregate-version"]?.toString())).toEqual(["1", "2"]);
  });

  it("runs one active relay per schema; the standby takes over when the active one stops", async () => {
    const topic = kafkaTopics.topics.pair;
    const first = relayFor();
    const second = relayFor();
    try {
      await appendToOutbox(
        db,
        { producer: "test" },
        [1, 2, 3].map((v) => event(topic, "pair-1", v)),
      );
      const firstPass = await first.runOnce();
      expect(firstPass.active).toBe(true);
      expect(await second.runOnce()).toEqual({ active: false, published: 0 });
      const published = firstPass.published + (await publishUntil(first, 3 - firstPass.published));
      expect(published).toBe(3);
      expect(await messageCount(topic)).toBe(3);

      await first.stop();
      await appendToOutbox(
        db,
        { producer: "test" },
        [4, 5].map((v) => event(topic, "pair-1", v)),
      );
      expect(await publishUntil(second, 2)).toBe(2);
      expect(await messageCount(topic)).toBe(5);
      expect(await unpublishedCount()).toBe(0);
    } finally {
      await first.stop();
      await second.stop();
    }
    const messages = await consumeAll(topic, 5);
    expect(messages.map((m) => m.headers?.["aggregate-version"]?.toString())).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
    ]);
  });

  it("started relays publish everything once; when the active one's connection dies the work goes on", async () => {
    const topic = kafkaTopics.topics.loop;
    const first = relayFor();
    const second = relayFor();
    first.start();
    second.start();
    try {
      await appendToOutbox(
        db,
        { producer: "test" },
        [1, 2, 3, 4].map((v) => event(topic, "loop-1", v)),
      );
      await waitFor(async () => (await topicUnpublished(topic)) === 0);
      expect(await messageCount(topic)).toBe(4);

      // Kill the lock holder's session: the server drops its advisory lock.
      const killed = await schema.pool.query(
        `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = $1`,
        [schema.schema],
      );
      expect(killed.rowCount).toBe(1);
      await appendToOutbox(
        db,
        { producer: "test" },
        [5, 6].map((v) => event(topic, "loop-1", v)),
      );
      await waitFor(async () => (await topicUnpublished(topic)) === 0);
      expect(await messageCount(topic)).toBe(6);
    } finally {
      await first.stop();
      await second.stop();
    }
    const messages = await consumeAll(topic, 6);
    expect(messages.map((m) => m.headers?.["aggregate-version"]?.toString())).toEqual([
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
    ]);
  });

  it("the outbox trigger notifies the schema's channel, which wakes a relay that does not poll", async () => {
    const topic = kafkaTopics.topics.wake;
    const channel = outboxChannel(schema.schema);
    const listener = await schema.pool.connect();
    const notified = new Promise<string>((resolveNotified) =>
      listener.on("notification", (n) => resolveNotified(n.channel)),
    );
    await listener.query(`LISTEN "${channel}"`);
    const relay = relayFor({ pollIntervalMs: 3_600_000 });
    relay.start();
    try {
      await appendToOutbox(db, { producer: "test" }, [event(topic, "wake-1", 1)]);
      expect(await notified).toBe(channel);
      // Another test's open transaction may hold the xmin horizon back during the woken pass; further
      // NOTIFYs (never polling) then wake the relay again.
      await waitFor(
        async () => (await topicUnpublished(topic)) === 0,
        async () => {
          await schema.pool.query("SELECT pg_notify($1, '')", [channel]);
        },
      );
      expect(await messageCount(topic)).toBe(1);
    } finally {
      await relay.stop();
      listener.release(true);
    }
  });

  it("lingers after a pass that published, not after a quiet spell, and stop() cuts the linger short", async () => {
    const topic = kafkaTopics.topics.linger;
    const registry = new Registry();
    const relay = relayFor({ lingerMs: 3_600_000, registry });
    relay.start();
    try {
      // Idle relay: the first row goes out on the next wake, with no linger before it.
      await appendToOutbox(db, { producer: "test" }, [event(topic, "linger-1", 1)]);
      await waitFor(async () => (await topicUnpublished(topic)) === 0);
      // One produce request, of one row.
      const sent = await registry.getSingleMetricAsString("outbox_publish_batch_rows");
      expect(sent).toMatch(/^outbox_publish_batch_rows_count\{[^}]*\} 1$/m);
      expect(sent).toMatch(/^outbox_publish_batch_rows_sum\{[^}]*\} 1$/m);
      // Within the hour after that pass, a new row waits, through 20 poll intervals and NOTIFYs.
      await appendToOutbox(db, { producer: "test" }, [event(topic, "linger-2", 1)]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await topicUnpublished(topic)).toBe(1);
    } finally {
      await relay.stop();
    }
    expect(await messageCount(topic)).toBe(1);
  });

  it("retention deletes published rows older than the age and keeps unpublished ones", async () => {
    const relay = relayFor();
    try {
      await appendToOutbox(db, { producer: "test" }, [event("not-published.topic", "keep-1", 1)]);
      const before = await unpublishedCount();
      expect(before).toBeGreaterThan(0);
      expect(await relay.deleteSentBefore(3_600_000)).toBe(0);
      expect(await relay.deleteSentBefore(0)).toBeGreaterThan(0);
      const left = await schema.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL",
      );
      expect(Number(left.rows[0]?.n)).toBe(0);
      expect(await unpublishedCount()).toBe(before);
      await schema.pool.query("DELETE FROM outbox WHERE topic = 'not-published.topic'");
    } finally {
      await relay.stop();
    }
  });
});
