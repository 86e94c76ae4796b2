// Reads a topic's dead letters without moving anything: what each one is, why it failed, and whether
// the replay group has replayed it already. A throwaway consumer group reads the DLQ from its start to
// the end offsets taken when the listing starts, commits nothing, and is deleted afterwards.
import { randomUUID } from "node:crypto";
import type { Kafka } from "kafkajs";
import { DEFAULT_DLQ_SUFFIX, DLQ_HEADERS, dlqTopicOf } from "./dead-letter.ts";
import { readGroupOffsets } from "./group-offsets.ts";
import { headersToStrings } from "./kafka-headers.ts";

export interface ListDeadLettersOptions {
  readonly kafka: Kafka;
  /** The original topic; its dead letters are read from `<topic><dlqSuffix>`. */
  readonly topic: string;
  /** Only letters this consumer dead-lettered (dlq-consumer header). */
  readonly consumerName?: string;
  /** The replay group whose offsets say what was replayed. Default as replayDeadLetters'. */
  readonly replayGroupId?: string;
  /** Also list letters the replay group has replayed. */
  readonly includeReplayed?: boolean;
  /** At most this many letters. Default 100. */
  readonly limit?: number;
  readonly dlqSuffix?: string;
  /** Upper bound on the whole listing. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface DeadLetter {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly originalTopic: string | undefined;
  readonly consumer: string | undefined;
  readonly error: string | undefined;
  readonly failedAt: string | undefined;
  readonly replayed: boolean;
}

export async function listDeadLetters(options: ListDeadLettersOptions): Promise<DeadLetter[]> {
  const { kafka, topic } = options;
  const dlqTopic = dlqTopicOf(topic, options.dlqSuffix ?? DEFAULT_DLQ_SUFFIX);
  const replayGroupId = options.replayGroupId ?? `${options.consumerName ?? "all"}.dlq-replay`;
  const limit = options.limit ?? 100;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { partitions } = await readGroupOffsets(admin, replayGroupId, dlqTopic);
    const replayedBefore = new Map(partitions.map((p) => [p.partition, p.committed] as const));
    const remaining = new Map<number, bigint>();
    for (const p of partitions) if (p.high > p.low) remaining.set(p.partition, p.high);
    if (remaining.size === 0 || limit <= 0) return [];

    const letters: DeadLetter[] = [];
    const groupId = `dlq-list.${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, isRunning }) => {
          const end = remaining.get(batch.partition);
          for (const message of batch.messages) {
            if (!isRunning() || end === undefined || letters.length >= limit) break;
            const offset = BigInt(message.offset);
            if (offset >= end) break;
            if (offset + 1n >= end) remaining.delete(batch.partition);
            const headers = headersToStrings(message.headers);
            const replayed = offset < (replayedBefore.get(batch.partition) ?? -1n);
            if (options.consumerName && headers[DLQ_HEADERS.consumer] !== options.consumerName) continue;
            if (replayed && !options.includeReplayed) continue;
            letters.push({
              partition: batch.partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              eventId: headers["event-id"],
              eventType: headers["event-type"],
              originalTopic: headers[DLQ_HEADERS.originalTopic],
              consumer: headers[DLQ_HEADERS.consumer],
              error: headers[DLQ_HEADERS.error],
              failedAt: headers[DLQ_HEADERS.failedAt],
              replayed,
            });
          }
          if (remaining.size === 0 || letters.length >= limit) finish();
        },
      });
      const timeout = setTimeout(finish, options.timeoutMs ?? 30_000);
      await finished;
      clearTimeout(timeout);
    } finally {
      await consumer.disconnect();
      // Nothing was committed; the group only has to disappear from the broker's list.
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  } finally {
    await admin.disconnect();
  }
}
