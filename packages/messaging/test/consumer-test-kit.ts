// Shared setup of the consumer tests: a migrated warehouse schema with a small effects table, topics with
// their dead-letter topics, envelopes, and bounded waits (never timed assertions).
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, StringValueSchema, timestampNow } from "@bufbuild/protobuf/wkt";
import { createDb, type Kysely, sql } from "@stockroom/db";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import type { Message } from "kafkajs";
import { Registry } from "prom-client";
// testkit depends on this package (ensureTopics); a package.json edge back would be a workspace cycle,
// which turbo refuses, so the tests import its source directly.
import { createTestSchema, type TestSchema } from "../../testkit/src/test-schema.ts";
import { createTestTopics, type TestTopics } from "../../testkit/src/test-topics.ts";
import { dlqTopicOf, type EventHandler, ensureTopics } from "../src/index.ts";

export const MIGRATIONS = resolve(import.meta.dirname, "../../../migrations/warehouse");
export const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface EffectsDb {
  applied_effects: { event_id: string; aggregate_id: string; version: string };
}

export interface ConsumerTestEnv<Name extends string> {
  readonly schema: TestSchema;
  readonly db: Kysely<EffectsDb>;
  readonly kafkaTopics: TestTopics<Name>;
  cleanup(): Promise<void>;
}

export async function setUpConsumerTest<Name extends string>(
  names: readonly Name[],
): Promise<ConsumerTestEnv<Name>> {
  const schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 6 });
  const db = createDb<EffectsDb>(schema.pool);
  await sql`CREATE TABLE applied_effects (event_id uuid NOT NULL, aggregate_id text NOT NULL, version bigint NOT NULL)`.execute(
    db,
  );
  const kafkaTopics = await createTestTopics(names);
  const dlqTopics = Object.values<string>(kafkaTopics.topics).map((topic) => dlqTopicOf(topic));
  await ensureTopics(
    kafkaTopics.admin,
    dlqTopics.map((topic) => ({ topic, numPartitions: 1 })),
  );
  return {
    schema,
    db,
    kafkaTopics,
    async cleanup() {
      await kafkaTopics.admin.deleteTopics({ topics: dlqTopics }).catch(() => undefined);
      await kafkaTopics.delete();
      await schema.drop();
    },
  };
}

/** The test handler: one row per applied event. */
export const recordEffect: EventHandler<EffectsDb> = async (trx, event) => {
  await trx
    .insertInto("applied_effects")
    .values({
      event_id: event.envelope.eventId,
      aggregate_id: event.envelope.aggregateId,
      version: event.envelope.aggregateVersion.toString(),
    })
    .execute();
};

export interface TestEvent {
  readonly eventId: string;
  readonly message: Message;
}

export function testEvent(aggregateId: string, version: number, eventId: string = randomUUID()): TestEvent {
  const envelope = create(EventEnvelopeSchema, {
    eventId,
    eventType: "ThingChanged",
    aggregateType: "test.thing",
    aggregateId,
    aggregateVersion: BigInt(version),
    occurredAt: timestampNow(),
    producer: "consumer-test",
    payload: anyPack(StringValueSchema, create(StringValueSchema, { value: `${aggregateId}@${version}` })),
  });
  return {
    eventId,
    message: {
      key: aggregateId,
      value: Buffer.from(toBinary(EventEnvelopeSchema, envelope)),
      headers: { "event-id": eventId, "aggregate-id": aggregateId, "aggregate-version": String(version) },
    },
  };
}

export async function produce(
  env: ConsumerTestEnv<string>,
  topic: string,
  messages: Message[],
): Promise<void> {
  const producer = env.kafkaTopics.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

export async function effectRows(
  db: Kysely<EffectsDb>,
  aggregatePrefix: string,
): Promise<{ event_id: string; aggregate_id: string; version: string }[]> {
  return db
    .selectFrom("applied_effects")
    .selectAll()
    .where("aggregate_id", "like", `${aggregatePrefix}%`)
    .orderBy("version")
    .execute();
}

/** The group's committed offsets summed over the topic's partitions (0 when none). */
export async function committedOffset(
  env: ConsumerTestEnv<string>,
  groupId: string,
  topic: string,
): Promise<number> {
  const [offsets] = await env.kafkaTopics.admin.fetchOffsets({ groupId, topics: [topic] });
  return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

export async function topicSize(env: ConsumerTestEnv<string>, topic: string): Promise<number> {
  const offsets = await env.kafkaTopics.admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** Bounded wait for something the running consumer brings about. */
export async function waitFor(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`not reached: ${what}`);
}

export async function outcomeCount(registry: Registry, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric("consumer_events_processed_total")?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);
}

export { Registry };
