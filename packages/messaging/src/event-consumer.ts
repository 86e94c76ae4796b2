// An idempotent event consumer: each event is applied in one database transaction together with its
// event_processing_log row and aggregate-version check, and its offset is resolved only after that
// transaction committed (kafkajs #238). Delivery stays at-least-once; the log absorbs re-deliveries.
import { fromBinary } from "@bufbuild/protobuf";
import { type Kysely, type Transaction, withTransaction } from "@stockroom/db";
import {
  type EventEnvelope,
  EventEnvelopeSchema,
} from "@stockroom/proto/stockroom/common/v1/event_envelope_pb.js";
import { contextFromTraceparent, inSpan, SpanKind } from "@stockroom/telemetry";
import type { Batch, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import type { Registry } from "prom-client";
import { consumerLagReader } from "./consumer-lag-monitor.ts";
import type { ConsumerLogger } from "./consumer-logger.ts";
import { createConsumerMetrics, type EventOutcome } from "./consumer-metrics.ts";
import { createLetterProducer, DEFAULT_DLQ_SUFFIX, dlqTopicOf, toDeadLetterMessage } from "./dead-letter.ts";
import { headersToStrings } from "./kafka-headers.ts";
import { createOffsetsPoller, type OffsetsPoller, type OffsetsReader } from "./offsets-poller.ts";
import type { PartitionProgress } from "./partition-progress.ts";
import { partitionProgressReader } from "./partition-progress-poller.ts";
import { advanceAggregateVersion, claimEvent } from "./processing-log.repo.ts";
import { isTransientError, retryDelayMs } from "./transient-errors.ts";

export interface ConsumedEvent {
  readonly envelope: EventEnvelope;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Applies one event through trx. Throw to fail it: transient errors are retried, others dead-lettered. */
export type EventHandler<DB> = (trx: Transaction<DB>, event: ConsumedEvent) => Promise<void>;

export interface EventConsumerOptions<DB> {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** The service schema's database; it must hold event_processing_log and consumer_aggregate_versions. */
  readonly db: Kysely<DB>;
  /** Recorded in event_processing_log.consumer and the dlq-consumer header; stable across releases. */
  readonly consumerName: string;
  readonly handle: EventHandler<DB>;
  readonly logger: ConsumerLogger;
  readonly registry?: Registry;
  /** Retries of a transient failure before the event is dead-lettered. Default 5. */
  readonly maxRetries?: number;
  /** Base of the exponential backoff (full jitter) between retries. Default 100 ms. */
  readonly retryBackoffMs?: number;
  /** Cap of one backoff. Default 5 s. */
  readonly retryBackoffMaxMs?: number;
  /** Dead-letter topic = original topic + suffix; it must exist (topics are created up front). Default ".dlq". */
  readonly dlqSuffix?: string;
  /** Skip events whose aggregate version is not newer than the last applied one. Default true. */
  readonly aggregateVersionGuard?: boolean;
  /** A new group starts at the earliest offset. Default true. */
  readonly fromBeginning?: boolean;
  readonly partitionsConsumedConcurrently?: number;
  /** Within a batch, resolved offsets are committed at most this often (and always at its end). Default 1 s. */
  readonly autoCommitIntervalMs?: number;
  /** The group session: how long a silent member keeps its partitions. Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** How long a rebalance waits for the group's members to rejoin. Default 3 s. */
  readonly rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for new messages; stop() can wait this long for the fetch in flight. Default 1 s. */
  readonly maxWaitTimeInMs?: number;
  /**
   * How often the group's offsets are read from the broker, by one poller for both of their readers:
   * consumer_lag_seconds and consumer_dlq_depth (with a registry) and the progress (with one). Default
   * 1 s with a progress (its readings go stale after 5 s), else 5 s.
   */
  readonly lagIntervalMs?: number;
  /**
   * Test seam: runs after an event's transaction committed and before its offset is resolved. If it
   * throws, the consumer behaves as if the process died right there: it resolves nothing more and
   * pauses until stop().
   */
  readonly afterCommitForTest?: (event: ConsumedEvent) => Promise<void> | void;
  /**
   * Told of every batch (high watermark, messages) and every resolved message, for projection lag, and
   * of the group's committed offsets for every partition (those other instances consume too).
   */
  readonly progress?: PartitionProgress;
}

export interface EventConsumer {
  /** Connects, joins the group and starts consuming in the background. */
  start(): Promise<void>;
  /** Finishes the event in flight, commits resolved offsets, leaves the group and disconnects. */
  stop(): Promise<void>;
}

export class EventDecodeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EventDecodeError";
  }
}

const DEFAULTS = { maxRetries: 5, retryBackoffMs: 100, retryBackoffMaxMs: 5_000 } as const;

export function createEventConsumer<DB>(options: EventConsumerOptions<DB>): EventConsumer {
  const { kafka, groupId, consumerName, logger } = options;
  const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
  const backoffMs = options.retryBackoffMs ?? DEFAULTS.retryBackoffMs;
  const backoffMaxMs = options.retryBackoffMaxMs ?? DEFAULTS.retryBackoffMaxMs;
  const dlqSuffix = options.dlqSuffix ?? DEFAULT_DLQ_SUFFIX;
  const versionGuard = options.aggregateVersionGuard ?? true;
  const metrics = createConsumerMetrics(options.registry, consumerName, options.topics);
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 1_000,
    // After a broker outage kafkajs's consumer crashes and restarts as a new member; the coordinator
    // reloads the group with the old member in it and holds the rebalance until that member rejoins
    // (never), its session expires (kafkajs's default 30 s) or the rebalance times out (60 s). 3 s:
    // a live member rejoins well within that, it has only its event in flight to finish.
    sessionTimeout: options.sessionTimeoutMs ?? 10_000,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 3_000,
    heartbeatInterval: 1_000,
  });
  const producer: Producer = createLetterProducer(kafka);
  // Aborted by stop() so a backoff in progress ends at once (the event is then left unresolved).
  let stopping = new AbortController();
  let halted = false;
  let started = false;
  let offsetsPoller: OffsetsPoller | undefined;

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    logger.error({ err: payload.error, groupId, restart: payload.restart }, "event consumer crashed");
  });

  async function applyInTransaction(event: ConsumedEvent): Promise<EventOutcome> {
    const { envelope } = event;
    // Retrying is ours (one policy for conflicts, lost connections and handler errors).
    return withTransaction(
      options.db,
      async (trx) => {
        if (!(await claimEvent(trx, envelope.eventId, consumerName))) return "duplicate";
        if (versionGuard && envelope.aggregateVersion > 0n) {
          if (!(await advanceAggregateVersion(trx, consumerName, envelope))) return "stale";
        }
        await options.handle(trx, event);
        return "applied";
      },
      { maxRetries: 0 },
    );
  }

  /** Applies with bounded retries; undefined when stopping interrupted the retries (leave it unresolved). */
  async function applyWithRetries(
    event: ConsumedEvent,
    heartbeat: () => Promise<void>,
  ): Promise<EventOutcome | { failed: unknown } | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await applyInTransaction(event);
      } catch (err) {
        if (!isTransientError(err) || attempt >= maxRetries) return { failed: err };
        const log = { err, eventId: event.envelope.eventId, topic: event.topic, attempt: attempt + 1 };
        logger.warn(log, "transient failure applying an event; retrying");
        if (!(await sleep(retryDelayMs(attempt, backoffMs, backoffMaxMs), stopping.signal))) return undefined;
        await heartbeat();
      }
    }
  }

  async function deadLetter(batch: Batch, message: KafkaMessage, error: unknown): Promise<void> {
    const { topic, partition } = batch;
    await producer.send({
      topic: dlqTopicOf(topic, dlqSuffix),
      acks: -1,
      messages: [toDeadLetterMessage({ topic, partition, message, consumer: consumerName, error })],
    });
    metrics.deadLettered(topic);
    logger.error(
      { err: error, topic, partition, offset: message.offset, consumer: consumerName },
      "event dead-lettered",
    );
  }

  /** True when the message's offset may be resolved (applied, skipped or dead-lettered). */
  async function processMessage(
    batch: Batch,
    message: KafkaMessage,
    payload: EachBatchPayload,
  ): Promise<boolean> {
    const receivedAt = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - receivedAt) / 1e9;
    const { topic, partition } = batch;
    let event: ConsumedEvent;
    try {
      event = {
        envelope: decodeEnvelope(message),
        topic,
        partition,
        offset: message.offset,
        headers: headersToStrings(message.headers),
      };
    } catch (err) {
      await deadLetter(batch, message, err);
      metrics.processed(topic, "dead_lettered", seconds());
      return true;
    }
    // The producing request's trace continues here (the relay's traceparent header, else the envelope's).
    const outcome = await inSpan(
      `${topic} process`,
      {
        kind: SpanKind.CONSUMER,
        parent: contextFromTraceparent(event.headers.traceparent || event.envelope.traceId || undefined),
        attributes: { "messaging.system": "kafka", "messaging.consumer.group.name": groupId },
      },
      () => applyWithRetries(event, payload.heartbeat),
    );
    if (outcome === undefined) return false;
    if (typeof outcome === "object") {
      await deadLetter(batch, message, outcome.failed);
      metrics.processed(topic, "dead_lettered", seconds());
      return true;
    }
    metrics.processed(topic, outcome, seconds());
    if (outcome !== "applied") {
      logger.debug(
        { eventId: event.envelope.eventId, topic, outcome, consumer: consumerName },
        `event skipped (${outcome})`,
      );
    }
    if (options.afterCommitForTest) {
      try {
        await options.afterCommitForTest(event);
      } catch (err) {
        logger.warn(
          { err, eventId: event.envelope.eventId },
          "test hook failed after commit; consumer halted",
        );
        halted = true;
        payload.pause();
        return false;
      }
    }
    return true;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    let next = Number(batch.firstOffset() ?? batch.highWatermark);
    options.progress?.fetched(batch.topic, batch.partition, batch.highWatermark, batch.messages);
    for (const message of batch.messages) {
      // Stopping, or the partition was revoked/sought: leave the rest for whoever consumes it next.
      if (!isRunning() || isStale() || halted) break;
      if (!(await processMessage(batch, message, payload))) break;
      resolveOffset(message.offset);
      options.progress?.applied(batch.topic, batch.partition, message);
      next = Number(message.offset) + 1;
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    // kafkajs commits the resolved offsets right after this batch, so `next` is the committed position.
    metrics.lag(batch.topic, batch.partition, Math.max(0, Number(batch.highWatermark) - next));
  }

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    stopping = new AbortController();
    halted = false;
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // Resolved offsets are also committed at the end of every batch; the interval bounds how much of a
      // long batch a crash re-delivers (the processing log absorbs it either way).
      autoCommitInterval: options.autoCommitIntervalMs ?? 1_000,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch,
    });
    const readers: OffsetsReader[] = [];
    if (options.registry) {
      readers.push(
        consumerLagReader({
          groupId,
          consumerName,
          topics: options.topics,
          dlqSuffix,
          registry: options.registry,
        }),
      );
    }
    if (options.progress) {
      readers.push(partitionProgressReader({ groupId, topics: options.topics, progress: options.progress }));
    }
    if (readers.length > 0) {
      offsetsPoller = createOffsetsPoller({
        kafka,
        readers,
        intervalMs: options.lagIntervalMs ?? (options.progress ? 1_000 : 5_000),
        logger,
        name: groupId,
      });
      await offsetsPoller.start();
    }
  }

  async function stop(): Promise<void> {
    if (!started) return;
    started = false;
    stopping.abort();
    await offsetsPoller?.stop();
    offsetsPoller = undefined;
    // Waits for the batch in flight (which ends after its current event), then kafkajs commits the
    // resolved offsets and leaves the group.
    await consumer.disconnect();
    await producer.disconnect();
  }

  return { start, stop };
}

function decodeEnvelope(message: KafkaMessage): EventEnvelope {
  if (!message.value) throw new EventDecodeError("message has no value");
  let envelope: EventEnvelope;
  try {
    envelope = fromBinary(EventEnvelopeSchema, message.value);
  } catch (err) {
    throw new EventDecodeError("value is not a stockroom.common.v1.EventEnvelope", { cause: err });
  }
  if (!UUID.test(envelope.eventId))
    throw new EventDecodeError(`envelope event id ${JSON.stringify(envelope.eventId)} is not a UUID`);
  if (!envelope.aggregateType || !envelope.aggregateId)
    throw new EventDecodeError("envelope has no aggregate type or id");
  return envelope;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resolves true after ms, or false as soon as the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
