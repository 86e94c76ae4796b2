// The shared relay start-up against real PostgreSQL and Kafka: the topics the outbox rows name are created
// with the configured prefix and partitions, rows go out to the prefixed topics, and the relay runs with
// the configured linger.
import { resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema } from "@bufbuild/protobuf/wkt";
import { loadConfig, type OutboxRelayConfig, outboxRelayConfigSchema } from "@stockroom/config";
import { createDb, type Kysely } from "@stockroom/db";
import { createTestSchema, type TestSchema, testKafka, uniqueSuffix } from "@stockroom/testkit";
import type { Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendToOutbox,
  type OutboxDatabase,
  type OutboxEvent,
  type OutboxRelay,
  startOutboxRelay,
} from "../src/index.ts";

const MIGRATIONS = resolve(import.meta.dirname, "../../../migrations/warehouse");
const quiet = { info() {}, warn() {}, error() {} };
const suffix = uniqueSuffix();
const PREFIX = `p${suffix}.`;
const TOPICS = {
  first: `start.first.t${suffix}`,
  second: `start.second.t${suffix}`,
  linger: `start.linger.t${suffix}`,
};

let schema: TestSchema;
let db: Kysely<OutboxDatabase>;
let kafka: Kafka;
let admin: Admin;
let config: OutboxRelayConfig;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 6 });
  db = createDb<OutboxDatabase>(schema.pool);
  const client = testKafka("start-outbox-relay-test");
  kafka = client.kafka;
  admin = kafka.admin();
  await admin.connect();
  // Through the config schema the services spread into theirs, as a service's environment would give it.
  config = loadConfig(outboxRelayConfigSchema, {
    KAFKA_BROKERS: client.brokers.join(","),
    TOPIC_PARTITIONS: "2",
    OUTBOX_POLL_INTERVAL_MS: "50",
    OUTBOX_TOPIC_PREFIX: PREFIX,
  });
});

afterAll(async () => {
  const created = (await admin.listTopics()).filter((topic) => topic.startsWith(PREFIX));
  if (created.length > 0) await admin.deleteTopics({ topics: created });
  await admin.disconnect();
  await schema?.drop();
});

function event(topic: string, aggregateId: string): OutboxEvent {
  return {
    topic,
    messageKey: aggregateId,
    aggregateType: "test.thing",
    aggregateId,
    aggregateVersion: 1,
    eventType: "ThingChanged",
    payloadSchema: StringValueSchema,
    payload: create(StringValueSchema, { value: aggregateId }),
  };
}

async function unpublished(topic: string): Promise<number> {
  const result = await schema.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND topic = $1",
    [topic],
  );
  return Number(result.rows[0]?.n);
}

// Bounded wait for a condition the started relay brings about (not a timing assertion).
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not reached");
}

async function messageCount(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

function start(overrides: Partial<OutboxRelayConfig>, topics: string[]): Promise<OutboxRelay> {
  return startOutboxRelay({
    config: { ...config, ...overrides },
    kafka,
    pool: schema.pool,
    schema: schema.schema,
    logger: quiet,
    topics,
  });
}

describe("startOutboxRelay", () => {
  it("creates every named topic with the prefix and the configured partitions, and publishes there", async () => {
    const relay = await start({}, [TOPICS.first, TOPICS.second]);
    try {
      const metadata = await admin.fetchTopicMetadata({
        topics: [`${PREFIX}${TOPICS.first}`, `${PREFIX}${TOPICS.second}`],
      });
      expect(metadata.topics.map((topic) => topic.partitions.length)).toEqual([2, 2]);
      const existing = await admin.listTopics();
      expect(existing).not.toContain(TOPICS.first);
      expect(existing).not.toContain(TOPICS.second);
      await appendToOutbox(db, { producer: "test" }, [
        event(TOPICS.first, "a-1"),
        event(TOPICS.second, "b-1"),
      ]);
      await waitFor(async () => (await unpublished(TOPICS.first)) + (await unpublished(TOPICS.second)) === 0);
    } finally {
      await relay.stop();
    }
    expect(await messageCount(`${PREFIX}${TOPICS.first}`)).toBe(1);
    expect(await messageCount(`${PREFIX}${TOPICS.second}`)).toBe(1);
  });

  it("starts the relay with the configured linger: a row after a publishing pass waits it out", async () => {
    // Without linger the second row goes out on its NOTIFY or the next 50 ms poll.
    const eager = await start({ OUTBOX_LINGER_MS: 0 }, [TOPICS.linger]);
    try {
      await appendToOutbox(db, { producer: "test" }, [event(TOPICS.linger, "eager-1")]);
      await waitFor(async () => (await unpublished(TOPICS.linger)) === 0);
      await appendToOutbox(db, { producer: "test" }, [event(TOPICS.linger, "eager-2")]);
      await waitFor(async () => (await unpublished(TOPICS.linger)) === 0);
    } finally {
      await eager.stop();
    }
    // With an hour's linger it waits through 20 polls and its NOTIFY; stop() still returns promptly.
    const lingering = await start({ OUTBOX_LINGER_MS: 3_600_000 }, [TOPICS.linger]);
    let stopMs = Number.POSITIVE_INFINITY;
    try {
      await appendToOutbox(db, { producer: "test" }, [event(TOPICS.linger, "linger-1")]);
      await waitFor(async () => (await unpublished(TOPICS.linger)) === 0);
      await appendToOutbox(db, { producer: "test" }, [event(TOPICS.linger, "linger-2")]);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await unpublished(TOPICS.linger)).toBe(1);
    } finally {
      const stopping = performance.now();
      await lingering.stop();
      stopMs = performance.now() - stopping;
    }
    expect(stopMs).toBeLessThan(5_000);
    expect(await messageCount(`${PREFIX}${TOPICS.linger}`)).toBe(3);
  });
});
