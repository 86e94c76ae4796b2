// Dead letters: a poison event is copied to `<topic><dlqSuffix>` with what went wrong in dlq-* headers, so
// its partition keeps flowing and nothing is dropped; replayDeadLetters sends them back to their topic.
import {
  type IHeaders,
  type Kafka,
  type KafkaMessage,
  type Message,
  Partitioners,
  type Producer,
} from "kafkajs";

export const DEFAULT_DLQ_SUFFIX = ".dlq";

export const DLQ_HEADERS = {
  error: "dlq-error",
  errorName: "dlq-error-name",
  consumer: "dlq-consumer",
  originalTopic: "dlq-original-topic",
  originalPartition: "dlq-original-partition",
  originalOffset: "dlq-original-offset",
  failedAt: "dlq-failed-at",
} as const;

const MAX_ERROR_HEADER = 2_000;

export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  readonly consumer: string;
  readonly error: unknown;
}

export function dlqTopicOf(topic: string, suffix: string = DEFAULT_DLQ_SUFFIX): string {
  return `${topic}${suffix}`;
}

/**
 * The producer for dead letters and replays: idempotent, one request in flight, and the same (default,
 * murmur2) partitioner as the relay, so a replayed event lands in its key's partition again.
 */
export function createLetterProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** The original key, value and headers, plus the dlq-* headers naming the failure and where it came from. */
export function toDeadLetterMessage(source: DeadLetterSource): Message {
  const { message, error } = source;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.error]: describeError(error).slice(0, MAX_ERROR_HEADER),
      [DLQ_HEADERS.errorName]: error instanceof Error ? error.name : typeof error,
      [DLQ_HEADERS.consumer]: source.consumer,
      [DLQ_HEADERS.originalTopic]: source.topic,
      [DLQ_HEADERS.originalPartition]: String(source.partition),
      [DLQ_HEADERS.originalOffset]: message.offset,
      [DLQ_HEADERS.failedAt]: new Date().toISOString(),
    },
  };
}

/** The dead letter as it was first published: its dlq-* headers removed. */
export function toReplayedMessage(message: KafkaMessage): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!name.startsWith("dlq-")) headers[name] = value;
  }
  return { key: message.key, value: message.value, headers };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
