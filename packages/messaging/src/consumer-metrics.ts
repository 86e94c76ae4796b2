// The consumer's Prometheus series, labelled by consumer; several consumers may share one registry.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type EventOutcome = "applied" | "duplicate" | "stale" | "dead_lettered";

export interface ConsumerMetrics {
  processed(topic: string, outcome: EventOutcome, seconds: number): void;
  deadLettered(topic: string): void;
  lag(topic: string, partition: number, messages: number): void;
}

const noMetrics: ConsumerMetrics = { processed() {}, deadLettered() {}, lag() {} };

export function createConsumerMetrics(registry: Registry | undefined, consumer: string): ConsumerMetrics {
  if (!registry) return noMetrics;
  const processedTotal = getOrCreate(
    registry,
    "consumer_events_processed_total",
    () =>
      new Counter({
        name: "consumer_events_processed_total",
        help: "Consumed events by outcome (applied, duplicate, stale, dead_lettered).",
        labelNames: ["consumer", "topic", "outcome"],
        registers: [registry],
      }),
  );
  const processingSeconds = getOrCreate(
    registry,
    "consumer_processing_seconds",
    () =>
      new Histogram({
        name: "consumer_processing_seconds",
        help: "Time from receiving an event to its transaction's commit (or its dead letter), retries included.",
        labelNames: ["consumer", "topic"],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
  );
  const dlqTotal = getOrCreate(
    registry,
    "consumer_dlq_total",
    () =>
      new Counter({
        name: "consumer_dlq_total",
        help: "Events produced to the dead-letter topic.",
        labelNames: ["consumer", "topic"],
        registers: [registry],
      }),
  );
  const lagGauge = getOrCreate(
    registry,
    "consumer_lag",
    () =>
      new Gauge({
        name: "consumer_lag",
        help: "Messages behind the partition's high watermark after the last batch (high watermark - committed offset).",
        labelNames: ["consumer", "topic", "partition"],
        registers: [registry],
      }),
  );
  return {
    processed(topic, outcome, seconds) {
      processedTotal.inc({ consumer, topic, outcome });
      processingSeconds.observe({ consumer, topic }, seconds);
    },
    deadLettered: (topic) => dlqTotal.inc({ consumer, topic }),
    lag: (topic, partition, messages) =>
      lagGauge.set({ consumer, topic, partition: String(partition) }, messages),
  };
}

function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
