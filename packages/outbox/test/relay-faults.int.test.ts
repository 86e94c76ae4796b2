// The relay under faults, against real PostgreSQL and a dedicated Kafka broker of this file's own (the
// shared broker is never stopped): a crash between the broker's ack and marking the rows, the broker
// stopped and restarted mid-stream, and failed publishes that must not let a later row of a key overtake
// an earlier one.
import { resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { createDb, type Kysely } from "@stockroom/db";
import {
  createTestSchema,
  createTestTopics,
  type DedicatedKafkaBroker,
  startDedicatedKafkaBroker,
  type TestSchema,
  type TestTopics,
  uniqueSuffix,
} from "@stockroom/testkit";
import { Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendToOutbox, type OutboxDatabase, type OutboxEvent } from "../src/index.ts";
import { createOutboxRelay, OutboxPublishError, type OutboxRelay } from "../src/relay.ts";

const MIGRATIONS = resolve(import.meta.dirname, "../../../migrations/warehouse");
const quiet = { info() {}, warn() {}, error() {} };

let broker: DedicatedKafkaBroker;
let schema: TestSchema;
let kafkaTopics: TestTopics<"crash" | "restart" | "failed">;
let kafka: Kafka;
let db: Kysely<OutboxDatabase>;

beforeAll(async () => {
  [broker, schema] = await Promise.all([
    startDedicatedKafkaBroker(),
    createTestSchema({ migrations: MIGRATIONS, poolMax: 10 }),
  ]);
  kafkaTopics = await createTestTopics(["crash", "restart", "failed"], {
    brokers: broker.brokers,
    partitions: 3,
  });
  // Few, short retries: a send to a stopped broker fails within seconds and the relay's next pass retries.
  kafka = new Kafka({
    clientId: "relay-faults",
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  db = createDb<OutboxDatabase>(schema.pool);
});

afterAll(async () => {
  // The broker and its topics are thrown away whole.
  await kafkaTopics?.admin.disconnect();
  await schema?.drop();
  await broker?.cleanup();
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

function relayFor(afterPublishForTest?: () => Promise<void>, logger: typeof quiet = quiet): OutboxRelay {
  return createOutboxRelay({
    pool: schema.pool,
    kafka,
    schema: schema.schema,
    logger,
    batchSize: 50,
    pollIntervalMs: 50,
    ...(afterPublishForTest ? { afterPublishForTest } : {}),
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Bounded wait for a condition the relays bring about (not a timing assertion).
async function waitFor(condition: () => Promise<boolean>, attempts = 1_200): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await pause(50);
  }
  throw new Error("condition not reached");
}

// Other test files hold short transactions on the same database, which hold back the xmin horizon for a
// moment (a pass then finds nothing); passes are repeated, bounded.
async function publishUntil(relay: OutboxRelay, expected: number): Promise<number> {
  let published = 0;
  for (let attempt = 0; attempt < 300 && published < expected; attempt++) {
    published += (await relay.runOnce()).published;
    if (published < expected) await pause(50);
  }
  return published;
}

/** Runs passes until one fails (bounded) and returns its error; a pass that publishes is a failure. */
async function passUntilFailure(relay: OutboxRelay): Promise<unknown> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const outcome = await relay.runOnce().then(
      (pass) => ({ pass }),
      (err: unknown) => ({ err }),
    );
    if ("err" in outcome) return outcome.err;
    if (outcome.pass.published > 0) {
      throw new Error(`expected the pass to fail, it published ${outcome.pass.published}`);
    }
    await pause(50);
  }
  throw new Error("no pass failed");
}

async function unpublished(topic: string): Promise<number> {
  const result = await schema.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND topic = $1",
    [topic],
  );
  return Number(result.rows[0]?.n);
}

// Rows marked published while an earlier row of the same key is not: must never exist.
async function overtakenRows(topic: string): Promise<number> {
  const result = await schema.pool.query<{ n: string }>(
    `SELECT count(*) AS n
       FROM outbox earlier JOIN outbox later
         ON later.topic = earlier.topic AND later.message_key = earlier.message_key AND later.id > earlier.id
      WHERE earlier.topic = $1 AND earlier.published_at IS NULL AND later.published_at IS NOT NULL`,
    [topic],
  );
  return Number(result.rows[0]?.n);
}

async function messageCount(topic: string): Promise<number> {
  const offsets = await kafkaTopics.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** Every message on the topic (duplicates included), each partition in offset order. */
async function consumeAll(topic: string): Promise<KafkaMessage[]> {
  const count = await messageCount(topic);
  const consumer = kafka.consumer({ groupId: `relay-faults-${uniqueSuffix()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolveDone) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (messages.length >= count) resolveDone();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

const header = (message: KafkaMessage, name: string) => message.headers?.[name]?.toString() ?? "";

/** Per key: the versions in the order they arrived, and the order of their first occurrences. */
function versionsByKey(messages: readonly KafkaMessage[]): Map<string, { all: number[]; first: number[] }> {
  const byKey = new Map<string, { all: number[]; first: number[] }>();
  for (const message of messages) {
    const key = message.key?.toString() ?? "";
    const version = Number(header(message, "aggregate-version"));
    const entry = byKey.get(key) ?? { all: [], first: [] };
    entry.all.push(version);
    if (!entry.first.includes(version)) entry.first.push(version);
    byKey.set(key, entry);
  }
  return byKey;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("outbox relay under faults", () => {
  it("a relay that crashes between the broker's ack and marking: the next relay sends the rows again", async () => {
    const topic = kafkaTopics.topics.crash;
    const rows = await appendToOutbox(
      db,
      { producer: "test" },
      [1, 2].map((v) => event(topic, "crash-1", v)),
    );
    const crashing = relayFor(async () => {
      throw new Error("relay crashed after the broker's ack");
    });
    try {
      const err = await passUntilFailure(crashing);
      expect(String(err)).toContain("crashed after the broker's ack");
      expect(await messageCount(topic)).toBe(2);
      expect(await unpublished(topic)).toBe(2);
    } finally {
      // Its lock goes with it, as with a crashed process's session.
      await crashing.stop();
    }

    const next = relayFor();
    try {
      expect(await publishUntil(next, 2)).toBe(2);
    } finally {
      await next.stop();
    }
    expect(await unpublished(topic)).toBe(0);
    const messages = await consumeAll(topic);
    expect(messages).toHaveLength(4);
    // The same events twice (same event ids): consumers absorb the duplicate by event id.
    const eventIds = messages.map((m) => header(m, "event-id")).sort();
    const expected = rows.flatMap((row) => [row.event_id, row.event_id]).sort();
    expect(eventIds).toEqual(expected);
    expect(versionsByKey(messages).get("crash-1")?.all).toEqual([1, 2, 1, 2]);
  });

  it("the broker stopped and restarted mid-stream: every row is published, each key in order", async () => {
    const topic = kafkaTopics.topics.restart;
    const keys = range(6).map((i) => `restart-${i}`);
    const rounds = 30;
    let overtaken = 0;
    let sampling = true;
    // Checked all along: a later row of a key is never marked while an earlier one is not.
    const sampler = (async () => {
      while (sampling) {
        overtaken += await overtakenRows(topic);
        await pause(25);
      }
    })();
    let failedPasses = 0;
    const relay = relayFor(undefined, { ...quiet, error: () => failedPasses++ });
    relay.start();
    try {
      for (let round = 1; round <= rounds; round++) {
        await db.transaction().execute((trx) =>
          appendToOutbox(
            trx,
            { producer: "test" },
            keys.map((key) => event(topic, key, round)),
          ),
        );
        if (round === 10) {
          // Let some of the stream go out first, then take the broker away while rows keep coming.
          await waitFor(async () => (await messageCount(topic)) > 0);
          await broker.stop();
        }
        if (round === 20) {
          // The started relay has met the stopped broker at least once before it comes back.
          await waitFor(async () => failedPasses > 0);
          await broker.restart();
        }
        await pause(20);
      }
      await waitFor(async () => (await unpublished(topic)) === 0);
    } finally {
      sampling = false;
      await sampler;
      await relay.stop();
    }
    expect(overtaken).toBe(0);
    const messages = await consumeAll(topic);
    const byKey = versionsByKey(messages);
    for (const key of keys) {
      // Duplicates are allowed (at-least-once); gaps and reordering are not.
      expect(byKey.get(key)?.first).toEqual(range(rounds));
    }
  });

  it("a failed publish (broker down) lets no later row of a key be marked before an earlier one", async () => {
    const topic = kafkaTopics.topics.failed;
    const relay = relayFor();
    try {
      await appendToOutbox(db, { producer: "test" }, [event(topic, "failed-1", 1)]);
      expect(await publishUntil(relay, 1)).toBe(1);

      await broker.stop();
      await appendToOutbox(
        db,
        { producer: "test" },
        [2, 3].map((v) => event(topic, "failed-1", v)),
      );
      // The producer was connected: its send fails.
      expect(await passUntilFailure(relay)).toBeInstanceOf(OutboxPublishError);
      expect(await unpublished(topic)).toBe(2);

      await appendToOutbox(db, { producer: "test" }, [event(topic, "failed-1", 4)]);
      // Now the relay cannot even connect; still nothing is marked.
      await passUntilFailure(relay);
      expect(await unpublished(topic)).toBe(3);
      expect(await overtakenRows(topic)).toBe(0);

      await broker.restart();
      expect(await publishUntil(relay, 3)).toBe(3);
    } finally {
      await relay.stop();
    }
    expect(await unpublished(topic)).toBe(0);
    const messages = await consumeAll(topic);
    expect(versionsByKey(messages).get("failed-1")?.first).toEqual([1, 2, 3, 4]);
  });
});
