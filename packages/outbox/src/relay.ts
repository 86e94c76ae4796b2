// The outbox relay: publishes each schema's outbox rows to Kafka in id order, one active instance per
// schema, woken by NOTIFY with polling as the fallback. Delivery is at-least-once: a crash between the
// broker's ack and marking the rows re-sends them, and consumers dedupe by event id.
import { fromBinary } from "@bufbuild/protobuf";
import { EventEnvelopeSchema } from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import {
  contextFromTraceparent,
  type ManualSpan,
  SpanKind,
  startSpan,
  traceIdOf,
  tracingEnabled,
} from "@stockroom/telemetry";
import { createIntervalWorker, type TickPlan } from "@stockroom/workers";
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import type pg from "pg";
import type { Registry } from "prom-client";
import {
  deletePublishedBatch,
  markPublished,
  type PublishableRow,
  readPendingStats,
  selectPublishable,
} from "./outbox.repo.ts";
import { createRelayLease } from "./relay-lease.ts";
import type { RelayLogger } from "./relay-logger.ts";
import { createRelayMetrics } from "./relay-metrics.ts";

export interface OutboxRelayOptions {
  /** A pool whose search_path is the service schema. One connection stays checked out for the lock. */
  readonly pool: pg.Pool;
  readonly kafka: Kafka;
  readonly schema: string;
  readonly logger: RelayLogger;
  /** Rows per pass. */
  readonly batchSize: number;
  /** Fallback poll (and standby retry) interval when no NOTIFY arrives. */
  readonly pollIntervalMs: number;
  /**
   * Least time from one pass's start to the next one's (0, the default: none). Under a steady stream of
   * commits each NOTIFY would otherwise start a pass of a few rows, each costing a select, a produce
   * request and a mark; lingering makes them fewer and larger. A pass after a quiet spell starts at once,
   * so this adds at most lingerMs to an event's publish delay, and only under load.
   */
  readonly lingerMs?: number;
  readonly registry?: Registry;
  /** Published rows older than this are deleted by the loop; 7 days by default. */
  readonly retentionMs?: number;
  /** How often the loop runs retention; 5 minutes by default. */
  readonly retentionEveryMs?: number;
  /**
   * Put before every row's topic when publishing (default none): a benchmark or a staging copy of a
   * service publishes to topics of its own instead of the ones its consumers read.
   */
  readonly topicPrefix?: string;
  /**
   * Tests only: runs after the broker acked a send and before its rows are marked published; throwing
   * here simulates a relay that crashed in between.
   */
  readonly afterPublishForTest?: () => Promise<void>;
}

export interface RelayPassResult {
  /** False when another relay holds this schema's lock (this one is standby and published nothing). */
  readonly active: boolean;
  readonly published: number;
}

export interface OutboxRelay {
  /** Starts the loop in the background: standby until it holds the lock, then publishes. */
  start(): void;
  /** Ends the loop after the pass in flight, releases the lock and disconnects the producer. */
  stop(): Promise<void>;
  /** One pass (taking the lock if it is free): publish up to batchSize rows, then mark them. */
  runOnce(): Promise<RelayPassResult>;
  /** Deletes published rows older than olderThanMs, in batches; returns how many. */
  deleteSentBefore(olderThanMs: number): Promise<number>;
}

export class OutboxPublishError extends Error {
  /** The topics of the failed send (each row's own topic, before any prefix). */
  readonly topics: readonly string[];
  constructor(topics: readonly string[], rows: number, cause: unknown) {
    super(`publishing ${rows} outbox rows to ${topics.join(", ")} failed`, { cause });
    this.name = "OutboxPublishError";
    this.topics = topics;
  }
}

const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
const DEFAULT_RETENTION_EVERY_MS = 5 * 60_000;
const RETENTION_BATCH = 5_000;
const STATS_EVERY_MS = 1_000;
const PIPELINED_BATCHES = 20;

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { pool, kafka, schema, logger, batchSize, pollIntervalMs } = options;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const retentionEveryMs = options.retentionEveryMs ?? DEFAULT_RETENTION_EVERY_MS;
  const lingerMs = options.lingerMs ?? 0;
  const metrics = createRelayMetrics(options.registry, schema);
  const serialize = createSerializer();
  let producer: Producer | undefined;
  let lastRetention = 0;
  let lastStats = 0;
  // Polls every pollIntervalMs, woken early by the lease (a NOTIFY, or the lock's connection lost).
  const worker = createIntervalWorker({
    intervalMs: pollIntervalMs,
    tickOnStart: true,
    tick: loopPass,
    onError: (err) =>
      logger.error({ err, schema }, "outbox relay pass failed; retrying after the poll interval"),
  });
  const lease = createRelayLease(pool, schema, logger, () => worker.wake());

  async function connectedProducer(): Promise<Producer> {
    if (producer) return producer;
    // Idempotent, one request in flight, acks from all in-sync replicas: retries cannot reorder or
    // duplicate within a session (kafkajs #1005, #1050). The partitioner is named (kafkajs warns
    // otherwise) and stays kafkajs's default, murmur2: the catalog computes a sku's partition with it.
    const created = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await created.connect();
    producer = created;
    return created;
  }

  // After a failed send the broker may or may not have written the batch, and the idempotent producer's
  // sequence numbers no longer match what it holds (kafkajs does not recover from that). The rows are
  // sent again anyway, so the next pass starts a fresh producer session (new producer id).
  async function discardProducer(): Promise<void> {
    const failed = producer;
    producer = undefined;
    try {
      await failed?.disconnect();
    } catch (err) {
      logger.warn({ err, schema }, "outbox relay could not disconnect its failed producer");
    }
  }

  // Up to PIPELINED_BATCHES batches per pass, overlapped: the next batch is read while one is sent, and a
  // sent batch is marked while the next one is sent. Sends stay strictly in id order, one at a time.
  async function publishPass(): Promise<number> {
    let rows = await selectPublishable(pool, batchSize);
    if (rows.length === 0) return 0;
    const kafkaProducer = await connectedProducer();
    const marks: Promise<number>[] = [];
    let failure: unknown;
    try {
      for (let batch = 1; rows.length > 0; batch++) {
        const lastId = rows.at(-1)?.id;
        const readAhead =
          rows.length === batchSize && batch < PIPELINED_BATCHES
            ? selectPublishable(pool, batchSize, lastId)
            : Promise.resolve([]);
        readAhead.catch(() => undefined); // awaited below unless a send fails first
        if (!(await sendBatch(kafkaProducer, rows, marks))) break;
        rows = await readAhead;
      }
    } catch (err) {
      failure = err;
    }
    // Every acked batch is marked before the pass ends, whatever happened after it.
    const settled = await Promise.allSettled(marks);
    if (failure !== undefined) throw failure;
    const markFailure = settled.find((result) => result.status === "rejected");
    if (markFailure) throw markFailure.reason;
    return settled.reduce((sum, result) => sum + (result.status === "fulfilled" ? result.value : 0), 0);
  }

  // One produce request for the whole batch, every topic in it: keys live within one topic and each
  // topic's rows stay in id order, so each key keeps its order. (One send per topic took one broker round
  // trip and one mark per topic.) A failed send stops the pass: its rows, and everything after them, are
  // retried by the next pass; the broker may have kept some of them, and consumers dedupe by event id.
  // Returns false when the lock was lost and sending must stop.
  async function sendBatch(kafkaProducer: Producer, rows: PublishableRow[], marks: Promise<number>[]) {
    // The lock went with its connection: another relay may be active now, so stop sending. (A peer that
    // took over meanwhile can still overlap the send in flight; consumers absorb duplicates.)
    if (!lease.isHeld()) return false;
    const byTopic = groupByTopic(rows);
    const spans: ManualSpan[] = [];
    try {
      await kafkaProducer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicRows]) => ({
          topic: `${options.topicPrefix ?? ""}${topic}`,
          messages: topicRows.map((row) => toKafkaMessage(row, spans)),
        })),
      });
      for (const span of spans) span.end();
    } catch (err) {
      for (const span of spans) span.end(err);
      metrics.failed(rows.length);
      await discardProducer();
      throw new OutboxPublishError([...byTopic.keys()], rows.length, err);
    }
    metrics.sent(rows.length);
    await options.afterPublishForTest?.();
    marks.push(
      markPublished(
        pool,
        rows.map((row) => row.id),
      ).then(() => {
        metrics.published(rows.length);
        return rows.length;
      }),
    );
    return true;
  }

  function runOnce(): Promise<RelayPassResult> {
    return serialize(async () => {
      const held = await lease.tryAcquire();
      metrics.leaseHeld(held);
      if (!held) return { active: false, published: 0 };
      return { active: true, published: await publishPass() };
    });
  }

  async function deleteSentBefore(olderThanMs: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await deletePublishedBatch(pool, olderThanMs, RETENTION_BATCH);
      deleted += batch;
      if (batch < RETENTION_BATCH) return deleted;
    }
  }

  async function housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - lastStats >= STATS_EVERY_MS) {
      lastStats = now;
      metrics.pending(await readPendingStats(pool));
    }
    if (now - lastRetention >= retentionEveryMs) {
      lastRetention = now;
      const deleted = await deleteSentBefore(retentionMs);
      if (deleted > 0) logger.info({ schema, deleted }, "outbox retention removed published rows");
    }
  }

  // The loop's pass. After a pass that published, the next one starts no sooner than lingerMs after this
  // one started (a pass that found nothing, or failed, leaves no linger).
  async function loopPass(): Promise<TickPlan> {
    const pass = await runOnce();
    if (pass.active) await housekeeping();
    // A full batch means a backlog: go again without waiting (or lingering).
    if (pass.published === batchSize) return { again: true };
    return { minGapMs: pass.published > 0 ? lingerMs : 0 };
  }

  function start(): void {
    worker.start();
  }

  async function stop(): Promise<void> {
    await worker.stop();
    await serialize(async () => {
      await lease.release();
      metrics.leaseHeld(false);
      const current = producer;
      producer = undefined;
      await current?.disconnect();
    });
  }

  return { start, stop, runOnce, deleteSentBefore };
}

function groupByTopic(rows: readonly PublishableRow[]): Map<string, PublishableRow[]> {
  const byTopic = new Map<string, PublishableRow[]>();
  for (const row of rows) {
    const group = byTopic.get(row.topic);
    if (group) group.push(row);
    else byTopic.set(row.topic, [row]);
  }
  return byTopic;
}

function toKafkaMessage(row: PublishableRow, spans: ManualSpan[]): Message {
  const headers: Record<string, string> = {
    "event-id": row.event_id,
    "event-type": row.event_type,
    "aggregate-type": row.aggregate_type,
    "aggregate-id": row.aggregate_id,
    "aggregate-version": String(row.aggregate_version),
  };
  // Tracing on: a producer span per row in the writing transaction's trace (kept in the envelope), whose
  // traceparent the consumer continues.
  const span = tracingEnabled() ? relaySpan(row) : undefined;
  if (span) {
    spans.push(span);
    if (span.traceparent) headers.traceparent = span.traceparent;
  }
  return { key: row.message_key, value: row.envelope, headers };
}

function relaySpan(row: PublishableRow): ManualSpan | undefined {
  const traceparent = fromBinary(EventEnvelopeSchema, row.envelope).traceId;
  if (!traceIdOf(traceparent)) return undefined;
  return startSpan(`${row.topic} publish`, {
    kind: SpanKind.PRODUCER,
    parent: contextFromTraceparent(traceparent),
    attributes: { "messaging.system": "kafka", "messaging.destination.name": row.topic },
  });
}

// Passes of one relay never overlap (the loop and a direct runOnce() call), so rows are sent in order.
function createSerializer(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
