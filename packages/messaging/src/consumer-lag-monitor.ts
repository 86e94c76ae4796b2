// consumer_lag_seconds and consumer_dlq_depth from the offsets poller's readings (offsets-poller.ts): the
// group's committed offsets against its topics' end offsets (lag from offsets, so it keeps rising while a
// consumer stalls: offset-lag.ts), and the dead-letter topics' offsets against the replay group's (letters
// not yet replayed by `<consumer>.dlq-replay`, the default replay group of replayDeadLetters).
import type { Registry } from "prom-client";
import { createConsumerMetrics } from "./consumer-metrics.ts";
import { dlqTopicOf } from "./dead-letter.ts";
import type { GroupOffsets } from "./group-offsets.ts";
import { createOffsetLag } from "./offset-lag.ts";
import type { OffsetsReader } from "./offsets-poller.ts";

export interface ConsumerLagReaderOptions {
  readonly groupId: string;
  readonly consumerName: string;
  readonly topics: readonly string[];
  readonly dlqSuffix: string;
  readonly registry: Registry;
}

export function consumerLagReader(options: ConsumerLagReaderOptions): OffsetsReader {
  const { groupId, consumerName, topics } = options;
  const metrics = createConsumerMetrics(options.registry, consumerName, topics);
  const lag = createOffsetLag();
  const replayGroup = `${consumerName}.dlq-replay`;
  // The dead-letter topic of each topic, to label its depth with the topic it came from.
  const topicOfDlq = new Map(topics.map((topic) => [dlqTopicOf(topic, options.dlqSuffix), topic]));

  function observeLag({ topic, at, partitions }: GroupOffsets): void {
    for (const p of partitions) {
      metrics.lagSeconds(topic, p.partition, lag.observe(`${topic}:${p.partition}`, p.high, p.position, at));
    }
  }

  function observeDepth(topic: string, { partitions }: GroupOffsets): void {
    // Replayed up to the replay group's commit, or nothing yet: from the earliest letter still held.
    let depth = 0n;
    for (const p of partitions) if (p.high > p.position) depth += p.high - p.position;
    metrics.dlqDepth(topic, Number(depth));
  }

  return {
    reads: topics.flatMap((topic) => [
      { groupId, topic },
      { groupId: replayGroup, topic: dlqTopicOf(topic, options.dlqSuffix) },
    ]),
    take(reading) {
      const original = topicOfDlq.get(reading.topic);
      if (reading.groupId === replayGroup && original !== undefined) observeDepth(original, reading);
      else if (reading.groupId === groupId) observeLag(reading);
    },
  };
}
