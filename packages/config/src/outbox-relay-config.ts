// Variables of every service whose outbox relay publishes to Kafka (startOutboxRelay reads them). Services
// spread the shape into theirs: `z.object({ ...commonConfigShape, ...outboxRelayConfigShape, ... })`.
import { z } from "zod";
import { commaList, durationMs, positiveInt } from "./fields.ts";

export const outboxRelayConfigShape = {
  KAFKA_BROKERS: commaList(),
  // Partitions of the topics the relay creates up front (the broker does not auto-create them).
  TOPIC_PARTITIONS: positiveInt().default(6),
  OUTBOX_BATCH_SIZE: positiveInt().default(2000),
  OUTBOX_POLL_INTERVAL_MS: durationMs().default(500),
  // Least time between two relay passes under load (see createOutboxRelay's lingerMs): fewer, larger
  // produce requests (docs/performance.md), for at most this much more publish delay of an event.
  OUTBOX_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(50),
  // Put before every topic the relay publishes to (and creates): a benchmark's or staging copy's events
  // then never reach the consumers of the real topics.
  OUTBOX_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,100}$/, "expected letters, digits, '.', '_' or '-'")
    .default(""),
};

export const outboxRelayConfigSchema = z.object(outboxRelayConfigShape);

export type OutboxRelayConfig = z.output<typeof outboxRelayConfigSchema>;
