// On a timer, reads through the admin client the group's committed offsets against its topics' end
// offsets, and the dead-letter topics' offsets against the replay group's: consumer_lag_seconds (from
// offsets, so it keeps rising while a consumer stalls: offset-lag.ts) and consumer_dlq_depth (letters not
// yet replayed by `<consumer>.dlq-replay`, the default replay group of replayDeadLetters). A failed
// reading leaves the last values in place and is logged once until one succeeds.
import type { Admin, Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { ConsumerLogger } from "./consumer-logger.ts";
import { createConsumerMetrics } from "./consumer-metrics.ts";
import { dlqTopicOf } from "./dead-letter.ts";
import { createOffsetLag } from "./offset-lag.ts";

export interface ConsumerLagMonitorOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly consumerName: string;
  readonly topics: readonly string[];
  readonly dlqSuffix: string;
  readonly registry: Registry;
  readonly logger: ConsumerLogger;
  /** Default 5 s. */
  readonly intervalMs?: number;
  readonly clock?: () => number;
}

export interface ConsumerLagMonitor {
  /** One reading now (what the timer runs). */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

export async function startConsumerLagMonitor(
  options: ConsumerLagMonitorOptions,
): Promise<ConsumerLagMonitor> {
  const { groupId, consumerName, topics, logger } = options;
  const clock = options.clock ?? Date.now;
  const metrics = createConsumerMetrics(options.registry, consumerName, topics);
  const lag = createOffsetLag();
  const replayGroup = `${consumerName}.dlq-replay`;
  let admin: Admin | undefined = options.kafka.admin();
  await admin.connect();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failing = false;

  async function committedOffsets(client: Admin, group: string, topic: string): Promise<Map<number, bigint>> {
    const [committed] = await client.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  }

  async function pollOnce(): Promise<void> {
    const client = admin;
    if (!client) return;
    for (const topic of topics) {
      // End offsets first: a commit read after them that reaches them was caught up at that reading.
      const at = clock();
      const ends = await client.fetchTopicOffsets(topic);
      const committed = await committedOffsets(client, groupId, topic);
      for (const end of ends) {
        // No commit yet (-1): the group starts at the earliest offset still held.
        const next = committed.get(end.partition) ?? -1n;
        const position = next < 0n ? BigInt(end.low) : next;
        const seconds = lag.observe(`${topic}:${end.partition}`, BigInt(end.high), position, at);
        metrics.lagSeconds(topic, end.partition, seconds);
      }
      const dlqTopic = dlqTopicOf(topic, options.dlqSuffix);
      const letters = await client.fetchTopicOffsets(dlqTopic);
      const replayed = await committedOffsets(client, replayGroup, dlqTopic);
      let depth = 0n;
      for (const p of letters) {
        // Replayed up to the replay group's commit, or nothing yet: from the earliest letter still held.
        const low = BigInt(p.low);
        const commit = replayed.get(p.partition) ?? -1n;
        const from = commit > low ? commit : low;
        if (BigInt(p.high) > from) depth += BigInt(p.high) - from;
      }
      metrics.dlqDepth(topic, Number(depth));
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = pollOnce()
        .then(() => {
          if (failing) logger.info({ groupId }, "consumer lag readable again");
          failing = false;
        })
        .catch((err: unknown) => {
          if (!failing) logger.warn({ err, groupId }, "consumer lag reading failed; its gauges go stale");
          failing = true;
        })
        .finally(() => {
          running = undefined;
          if (admin) schedule();
        });
    }, options.intervalMs ?? 5_000);
    timer.unref();
  }

  schedule();
  return {
    pollOnce,
    async stop() {
      const current = admin;
      admin = undefined;
      if (timer) clearTimeout(timer);
      await running;
      await current?.disconnect();
    },
  };
}
