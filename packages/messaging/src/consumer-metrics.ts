// The consumer's Prometheus series, labelled by consumer; several consumers may share one registry.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type EventOutcome = "applied" | "duplicate" | "stale" | "dead_lettered";

export interface ConsumerMetrics {
  processed(topic: string, outcome: EventOutcome, seconds: number): void;
  deadLettered(topic: string): void;
  lag(topic: string, partition: number, messages: number): void;
  lagSeconds(topic: string, partition: number, seconds: number): void;
  dlqDepth(topic: string, letters: number): void;
}

const noMetrics: ConsumerMetrics = {
  processed() {},
  deadLettered() {},
  lag() {},
  lagSeconds() {},
  dlqDepth() {},
};

const OUTCOMES: readonly EventOutcome[] = ["applied", "duplicate", "stale", "dead_lettered"];

// The topics' counters start at 0 for every outcome, so the first dead letter shows in increase().
export function createConsumerMetrics(
  registry: Registry | undefined,
  consumer: string,
  topics: readonly string[] = [],
): ConsumerMetrics {
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
  const lagSecondsGauge = getOrCreate(
    registry,
    "consumer_lag_seconds",
    () =>
      new Gauge({
        name: "consumer_lag_seconds",
        help: "Age of the oldest message the group has not applied (a lower bound from offsets read on a timer; 0 caught up).",
        labelNames: ["consumer", "topic", "partition"],
        registers: [registry],
      }),
  );
  const dlqDepthGauge = getOrCreate(
    registry,
    "consumer_dlq_depth",
    () =>
      new Gauge({
        name: "consumer_dlq_depth",
        help: "Letters in the topic's dead-letter topic not yet replayed by <consumer>.dlq-replay.",
        labelNames: ["consumer", "topic"],
        registers: [registry],
      }),
  );
  for (const topic of topics) {
    for (const outcome of OUTCOMES) processedTotal.inc({ consumer, topic, outcome }, 0);
    dlqTotal.inc({ consumer, topic }, 0);
  }
  return {
    processed(topic, outcome, seconds) {
      processedTotal.inc({ consumer, topic, outcome });
      processingSeconds.observe({ consumer, topic }, seconds);
    },
    deadLettered: (topic) => dlqTotal.inc({ consumer, topic }),
    lag: (topic, partition, messages) =>
      lagGauge.set({ consumer, topic, partition: String(partition) }, messages),
    lagSeconds: (topic, partition, seconds) =>
      lagSecondsGauge.set({ consumer, topic, partition: String(partition) }, seconds),
    dlqDepth: (topic, letters) => dlqDepthGauge.set({ consumer, topic }, letters),
  };
}

function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
