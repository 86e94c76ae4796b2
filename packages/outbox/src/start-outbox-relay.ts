// A service's relay start-up, the same for every service: the topics its outbox rows name are created up
// front (with the configured prefix; the broker does not auto-create them), then the relay starts with the
// service's OUTBOX_* settings.
import type { OutboxRelayConfig } from "@stockroom/config";
import { ensureTopicsWith } from "@stockroom/messaging";
import type { Kafka } from "kafkajs";
import type pg from "pg";
import type { Registry } from "prom-client";
import { createOutboxRelay, type OutboxRelay } from "./relay.ts";
import type { RelayLogger } from "./relay-logger.ts";

export interface StartOutboxRelayOptions {
  /** The service's config: outboxRelayConfigShape's fields (KAFKA_BROKERS is the kafka client's). */
  readonly config: Omit<OutboxRelayConfig, "KAFKA_BROKERS">;
  readonly kafka: Kafka;
  /** A pool whose search_path is the service schema. */
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly logger: RelayLogger;
  readonly registry?: Registry;
  /** Every topic the service's outbox rows name, before the prefix. */
  readonly topics: readonly string[];
}

export async function startOutboxRelay(options: StartOutboxRelayOptions): Promise<OutboxRelay> {
  const { config } = options;
  await ensureTopicsWith(
    options.kafka,
    options.topics.map((topic) => ({
      topic: `${config.OUTBOX_TOPIC_PREFIX}${topic}`,
      numPartitions: config.TOPIC_PARTITIONS,
    })),
  );
  const relay = createOutboxRelay({
    pool: options.pool,
    kafka: options.kafka,
    schema: options.schema,
    logger: options.logger,
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    lingerMs: config.OUTBOX_LINGER_MS,
    topicPrefix: config.OUTBOX_TOPIC_PREFIX,
    registry: options.registry,
  });
  relay.start();
  return relay;
}
