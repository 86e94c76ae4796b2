// Outbox relay benchmark on this machine (real PostgreSQL and Kafka). Not a test: prints JSON.
//   drain: BENCH_BACKLOG committed rows (100,000 by default), one relay started → events/s until all published
//   lag:   a writer appends BENCH_LAG_RATE events/s (1,000) in small transactions for BENCH_LAG_SECONDS (10);
//          a kafkajs consumer records receive time − the row's insert time (the envelope's occurredAt)
// Throwaway schema (migrations/warehouse) and topics, removed at the end.
import { resolve } from "node:path";
import { create, fromBinary } from "@bufbuild/protobuf";
import { StringValueSchema, timestampMs } from "@bufbuild/protobuf/wkt";
import { createDb, createPool, type Kysely, migrate, quoteIdent } from "@stockroom/db";
import { benchRunId } from "@stockroom/loadgen";
import { createKafkaClient } from "@stockroom/messaging";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import type { Admin, Kafka } from "kafkajs";
import pg from "pg";
import { appendToOutbox, createOutboxRelay, type OutboxDatabase, type OutboxEvent } from "../src/index.ts";

const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const BROKERS = (process.env.BENCH_KAFKA_BROKERS ?? process.env.TEST_KAFKA_BROKERS ?? "")
  .split(",")
  .filter(Boolean);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
// The services' default (WAREHOUSE_/CATALOG_OUTBOX_BATCH_SIZE).
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 2000);
const AGGREGATES = Number(process.env.BENCH_AGGREGATES ?? 1_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);
const LAG_RATE = Number(process.env.BENCH_LAG_RATE ?? 1_000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 10);
const LAG_TICK_MS = 10;
const MIGRATIONS = resolve(import.meta.dirname, "../../../migrations/warehouse");
const SUFFIX = benchRunId();
const SCHEMA = `bench_${SUFFIX}`;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const loud = { info() {}, warn() {}, error: (obj: object, msg?: string) => console.error(msg, obj) };

if (!DATABASE_URL || BROKERS.length === 0) {
  process.stderr.write("set TEST_DATABASE_URL and TEST_KAFKA_BROKERS (run via `pnpm bench:outbox`)\n");
  process.exit(2);
}

const progress = (msg: string) => process.stderr.write(`relay-drain: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Each phase has its own aggregates (the outbox holds one row per aggregate version).
function event(topic: string, aggregate: number, version: number, occurredAt?: Date): OutboxEvent {
  const aggregateId = `${topic}/${aggregate}`;
  return {
    topic,
    messageKey: aggregateId,
    aggregateType: "bench.thing",
    aggregateId,
    aggregateVersion: version,
    eventType: "ThingChanged",
    payloadSchema: StringValueSchema,
    payload: create(StringValueSchema, { value: `${aggregateId}@${version}` }),
    ...(occurredAt ? { occurredAt } : {}),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return Number((sorted[Math.floor((sorted.length - 1) * p)] ?? 0).toFixed(1));
}

async function unpublished(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL",
  );
  return Number(result.rows[0]?.n);
}

async function seedBacklog(db: Kysely<OutboxDatabase>, topic: string): Promise<void> {
  const chunk = 5_000;
  for (let start = 0; start < BACKLOG; start += chunk) {
    const events: OutboxEvent[] = [];
    for (let i = start; i < Math.min(start + chunk, BACKLOG); i++) {
      events.push(event(topic, i % AGGREGATES, Math.floor(i / AGGREGATES) + 1));
    }
    await appendToOutbox(db, { producer: "bench" }, events);
  }
}

async function benchDrain(pool: pg.Pool, db: Kysely<OutboxDatabase>, kafka: Kafka, topic: string) {
  await seedBacklog(db, topic);
  progress(`seeded ${BACKLOG} rows; draining`);
  await pool.query("ANALYZE outbox");
  const relay = createOutboxRelay({
    pool,
    kafka,
    schema: SCHEMA,
    logger: loud,
    batchSize: BATCH_SIZE,
    pollIntervalMs: 500,
  });
  const started = performance.now();
  relay.start();
  try {
    while ((await unpublished(pool)) > 0) await sleep(50);
  } finally {
    await relay.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  progress(`drained in ${seconds.toFixed(2)} s`);
  return {
    events: BACKLOG,
    batchSize: BATCH_SIZE,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(BACKLOG / seconds),
  };
}

async function benchLag(pool: pg.Pool, db: Kysely<OutboxDatabase>, kafka: Kafka, topic: string) {
  const lags: number[] = [];
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: `bench-lag-${SUFFIX}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const received = Date.now();
      if (!message.value) return;
      const envelope = fromBinary(EventEnvelopeSchema, message.value);
      if (seen.has(envelope.eventId) || !envelope.occurredAt) return;
      seen.add(envelope.eventId);
      lags.push(received - timestampMs(envelope.occurredAt));
    },
  });
  await joined;
  progress("lag consumer joined; writing");
  const relay = createOutboxRelay({
    pool,
    kafka,
    schema: SCHEMA,
    logger: loud,
    batchSize: BATCH_SIZE,
    pollIntervalMs: 500,
  });
  relay.start();
  try {
    return await writeAndMeasure(db, topic, seen, lags);
  } finally {
    await relay.stop();
    await consumer.disconnect();
  }
}

async function writeAndMeasure(
  db: Kysely<OutboxDatabase>,
  topic: string,
  seen: ReadonlySet<string>,
  lags: number[],
) {
  // Small transactions on a fixed schedule (LAG_RATE/100 events every 10 ms); occurredAt is taken just
  // before the insert, so the measure is insert (≈ commit) → consumed.
  const perTick = Math.max(1, Math.round((LAG_RATE * LAG_TICK_MS) / 1000));
  const ticks = Math.round((LAG_SECONDS * 1000) / LAG_TICK_MS);
  const versions = new Map<number, number>();
  let written = 0;
  let behindTicks = 0;
  const started = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    const due = started + tick * LAG_TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -LAG_TICK_MS) behindTicks++;
    const now = new Date();
    const events = Array.from({ length: perTick }, (_, i) => {
      const aggregate = (written + i) % AGGREGATES;
      const version = (versions.get(aggregate) ?? 0) + 1;
      versions.set(aggregate, version);
      return event(topic, aggregate, version, now);
    });
    await db.transaction().execute((trx) => appendToOutbox(trx, { producer: "bench" }, events));
    written += events.length;
  }
  const writeSeconds = (performance.now() - started) / 1000;
  progress(`wrote ${written} events in ${writeSeconds.toFixed(1)} s`);
  const deadline = Date.now() + 60_000;
  while (seen.size < written && Date.now() < deadline) await sleep(50);
  lags.sort((a, b) => a - b);
  return {
    targetRate: LAG_RATE,
    achievedRate: Math.round(written / writeSeconds),
    written,
    received: seen.size,
    writerTicksBehind: behindTicks,
    p50Ms: percentile(lags, 0.5),
    p99Ms: percentile(lags, 0.99),
    maxMs: lags.at(-1) ?? 0,
    measures: "insert/commit → consumed by a kafkajs consumer (not → consumer effect committed)",
  };
}

async function createTopics(admin: Admin, topics: string[]): Promise<void> {
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: true,
  });
}

async function main(): Promise<void> {
  const pool = createPool({
    connectionString: DATABASE_URL as string,
    schema: SCHEMA,
    max: 10,
    logger: quiet,
  });
  const kafka = createKafkaClient({
    clientId: "bench-outbox",
    brokers: BROKERS,
    logger: quiet,
    logLevel: "nothing",
  });
  const admin = kafka.admin();
  const topics = { drain: `bench.drain.${SUFFIX}`, lag: `bench.lag.${SUFFIX}` };
  await admin.connect();
  try {
    await migrate({ pool, schema: SCHEMA, directory: MIGRATIONS, logger: quiet });
    await createTopics(admin, Object.values(topics));
    const db = createDb<OutboxDatabase>(pool);
    const drain = await benchDrain(pool, db, kafka, topics.drain);
    const lag = await benchLag(pool, db, kafka, topics.lag);
    console.log(
      JSON.stringify(
        { benchmark: "outbox-relay", partitions: PARTITIONS, aggregates: AGGREGATES, drain, lag },
        null,
        2,
      ),
    );
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await pool.end();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(SCHEMA)} CASCADE`);
    await client.end();
  }
}

await main();
