// The index lag in seconds per feed (catalog products, warehouse stock, review ratings): the worst partition's lag, from
// the consumer's own progress and a poller of the group's committed offsets against the topic's end
// offsets. Computed when Prometheus scrapes, as the age of the oldest event not yet applied, so it keeps
// growing while a consumer is stalled (and a poller that cannot reach the broker lets readings go stale
// rather than leave a "caught up" in place).
import {
  type ConsumerLogger,
  createPartitionProgress,
  createPartitionProgressPoller,
  type PartitionProgress,
  type PartitionProgressPoller,
} from "@stockroom/messaging";
import type { Kafka } from "kafkajs";
import { Gauge, type Registry } from "prom-client";

export interface IndexFeed {
  feed: "product" | "stock" | "rating";
  topic: string;
  groupId: string;
}

export interface IndexLag {
  progressOf(feed: IndexFeed["feed"]): PartitionProgress;
  // Seconds, the worst partition; since start when no poll has read the topic yet.
  lagSeconds(feed: IndexFeed["feed"]): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createIndexLag(options: {
  kafka: Kafka;
  feeds: readonly IndexFeed[];
  logger: ConsumerLogger;
  registry?: Registry;
  intervalMs?: number;
  clock?: () => number;
}): IndexLag {
  const clock = options.clock ?? Date.now;
  const startedAt = clock();
  const entries = options.feeds.map((feed) => {
    const progress = createPartitionProgress({ clock });
    const poller: PartitionProgressPoller = createPartitionProgressPoller({
      kafka: options.kafka,
      groupId: feed.groupId,
      topic: feed.topic,
      progress,
      logger: options.logger,
      ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }),
    });
    return { feed, progress, poller };
  });
  const entryOf = (name: IndexFeed["feed"]) => {
    const entry = entries.find((e) => e.feed.feed === name);
    if (!entry) throw new Error(`no index feed ${name}`);
    return entry;
  };
  function lagSeconds(name: IndexFeed["feed"]): number {
    const { feed, progress } = entryOf(name);
    const count = progress.partitionCount(feed.topic);
    if (count === undefined) return (clock() - startedAt) / 1000;
    let worst = 0;
    for (let partition = 0; partition < count; partition++) {
      worst = Math.max(worst, progress.lagOf(feed.topic, partition).lagMs);
    }
    return worst / 1000;
  }
  if (options.registry) {
    new Gauge({
      name: "search_index_lag_seconds",
      help: "How far the search index trails its feed: age of the oldest event not yet applied (0 when caught up)",
      labelNames: ["feed"],
      registers: [options.registry],
      collect() {
        for (const { feed } of entries) this.set({ feed: feed.feed }, lagSeconds(feed.feed));
      },
    });
  }
  return {
    progressOf: (name) => entryOf(name).progress,
    lagSeconds,
    async start() {
      await Promise.all(entries.map((e) => e.poller.start()));
    },
    async stop() {
      await Promise.all(entries.map((e) => e.poller.stop()));
    },
  };
}
