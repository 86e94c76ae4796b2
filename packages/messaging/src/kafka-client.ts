// The one way to build a kafkajs client: its log lines go through the service's pino logger (one format,
// with the service's name and version), at WARN and above unless asked for more.
import { Kafka, type LogEntry, logLevel, type RetryOptions } from "kafkajs";
import type { ConsumerLogger } from "./consumer-logger.ts";

export type KafkaLogLevelName = "error" | "warn" | "info" | "debug" | "nothing";

export interface CreateKafkaClientOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** The service's logger; kafkajs's lines carry `kafka: { namespace, ... }` beside its fields. */
  readonly logger: ConsumerLogger;
  /** kafkajs's own threshold (its INFO lines are chatty: member assignments, fetch sessions). Default warn. */
  readonly logLevel?: KafkaLogLevelName;
  /** kafkajs's retry of a request or connection; KAFKA_RETRY by default. */
  readonly retry?: RetryOptions;
}

/**
 * A short, capped backoff: kafkajs's default grows from 300 ms to 30 s, so a client could sleep through
 * the broker's return. The number of retries stays kafkajs's (5; setting it would also make kafkajs warn
 * that an idempotent producer's retries are limited, which they are in any case, and the relay resends).
 */
export const KAFKA_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 1_000 };

const KAFKA_LEVELS: Record<KafkaLogLevelName, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

export function createKafkaClient(options: CreateKafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: KAFKA_LEVELS[options.logLevel ?? "warn"],
    logCreator: kafkaLogCreator(options.logger),
    retry: options.retry ?? KAFKA_RETRY,
  });
}

/** A kafkajs logCreator writing each entry as one line of `logger` (exported for clients built elsewhere). */
export function kafkaLogCreator(logger: ConsumerLogger): () => (entry: LogEntry) => void {
  return () =>
    ({ namespace, level, log }) => {
      // kafkajs's own timestamp and logger name are dropped: pino stamps the line itself.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
      const line = { kafka: { namespace, ...fields } };
      switch (level) {
        case logLevel.ERROR:
          logger.error(line, message);
          return;
        case logLevel.WARN:
          logger.warn(line, message);
          return;
        case logLevel.INFO:
          logger.info(line, message);
          return;
        default:
          logger.debug(line, message);
      }
    };
}
