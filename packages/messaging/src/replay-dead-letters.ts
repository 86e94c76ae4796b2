// Sends dead letters back to the topic they came from, once the cause is fixed. The replay group's
// committed offsets remember what was replayed, so a second run does not send the same letters again.
// Only letters present when the replay starts are read: a letter that fails again and lands in the DLQ
// once more waits for the next replay instead of looping.
import type { EachBatchPayload, Kafka } from "kafkajs";
import type { ConsumerLogger } from "./consumer-logger.ts";
import {
  createLetterProducer,
  DEFAULT_DLQ_SUFFIX,
  DLQ_HEADERS,
  dlqTopicOf,
  toReplayedMessage,
} from "./dead-letter.ts";
import { readGroupOffsets } from "./group-offsets.ts";
import { headersToStrings } from "./kafka-headers.ts";

export interface ReplayDeadLettersOptions {
  readonly kafka: Kafka;
  /** The original topic; its dead letters are read from `<topic><dlqSuffix>`. */
  readonly topic: string;
  /** Replay only letters this consumer dead-lettered (dlq-consumer header); others are passed over. */
  readonly consumerName?: string;
  /** The group remembering what was replayed. Default `<consumerName or "all">.dlq-replay`. */
  readonly groupId?: string;
  /** At most this many letters are re-published. Default: all present at the start. */
  readonly limit?: number;
  readonly dlqSuffix?: string;
  readonly logger?: ConsumerLogger;
  /** Upper bound on the whole replay. Default 60 s. */
  readonly timeoutMs?: number;
}

export interface ReplayResult {
  readonly replayed: number;
  /** Letters of other consumers, passed over by this replay group. */
  readonly passedOver: number;
}

export class ReplayTimeoutError extends Error {
  constructor(topic: string, replayed: number) {
    super(`replaying dead letters of ${topic} did not finish in time (${replayed} replayed)`);
    this.name = "ReplayTimeoutError";
  }
}

export async function replayDeadLetters(options: ReplayDeadLettersOptions): Promise<ReplayResult> {
  const { kafka, topic } = options;
  const dlqTopic = dlqTopicOf(topic, options.dlqSuffix ?? DEFAULT_DLQ_SUFFIX);
  const groupId = options.groupId ?? `${options.consumerName ?? "all"}.dlq-replay`;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const remaining = await partitionsToRead(kafka, dlqTopic, groupId);
  if (remaining.size === 0 || limit <= 0) return { replayed: 0, passedOver: 0 };

  const producer = createLetterProducer(kafka);
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let replayed = 0;
  let passedOver = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const end = remaining.get(batch.partition);
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || end === undefined || replayed >= limit) break;
      if (BigInt(message.offset) >= end) break;
      const headers = headersToStrings(message.headers);
      if (options.consumerName && headers[DLQ_HEADERS.consumer] !== options.consumerName) {
        passedOver++;
      } else {
        const target = headers[DLQ_HEADERS.originalTopic] ?? topic;
        await producer.send({ topic: target, acks: -1, messages: [toReplayedMessage(message)] });
        replayed++;
        options.logger?.info(
          { topic: target, dlqOffset: message.offset, eventId: headers["event-id"] },
          "dead letter replayed",
        );
      }
      resolveOffset(message.offset);
      if (BigInt(message.offset) + 1n >= end) remaining.delete(batch.partition);
      await heartbeat();
    }
    if (remaining.size === 0 || replayed >= limit) finish();
  }

  await producer.connect();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({ eachBatchAutoResolve: false, eachBatch });
    const timeout = setTimeout(finish, options.timeoutMs ?? 60_000);
    await finished;
    clearTimeout(timeout);
  } finally {
    // Commits the offsets of the letters replayed (kafkajs commits resolved offsets after each batch).
    await consumer.disconnect();
    await producer.disconnect();
  }
  if (remaining.size > 0 && replayed < limit) throw new ReplayTimeoutError(topic, replayed);
  return { replayed, passedOver };
}

/** Partition → end offset (exclusive) still to read: the high watermark now, where the group is behind it. */
async function partitionsToRead(
  kafka: Kafka,
  dlqTopic: string,
  groupId: string,
): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { partitions } = await readGroupOffsets(admin, groupId, dlqTopic);
    const remaining = new Map<number, bigint>();
    for (const p of partitions) if (p.position < p.high) remaining.set(p.partition, p.high);
    return remaining;
  } finally {
    await admin.disconnect();
  }
}
