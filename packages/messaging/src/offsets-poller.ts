// Reads groups' offsets on topics (readGroupOffsets) on a timer, an interval worker of @stockroom/workers,
// and hands each round of readings to its readers: the consumer's lag metrics and dead-letter depth
// (consumer-lag-metrics.ts) and a projection's PartitionProgress (partition-progress-poller.ts) from one
// admin client and one loop. A failed round leaves the last readings to go stale, and is logged once
// until a round succeeds.
import { createIntervalWorker, type IntervalWorker } from "@stockroom/workers";
import type { Admin, Kafka } from "kafkajs";
import type { ConsumerLogger } from "./consumer-logger.ts";
import { type GroupOffsets, readGroupOffsets } from "./group-offsets.ts";

export interface OffsetsRead {
  readonly groupId: string;
  readonly topic: string;
}

/** One user of the readings: what it reads, and what it does with each reading of a round. */
export interface OffsetsReader {
  readonly reads: readonly OffsetsRead[];
  /** Called for each of its reads once a whole round has been read. */
  take(reading: GroupOffsets): void;
}

export interface OffsetsPollerOptions {
  readonly kafka: Kafka;
  /** Each (group, topic) several readers ask for is read once a round. */
  readonly readers: readonly OffsetsReader[];
  readonly intervalMs: number;
  readonly logger: ConsumerLogger;
  /** Names the poller in its log lines (e.g. the consumer group). */
  readonly name: string;
  readonly clock?: () => number;
}

export interface OffsetsPoller {
  /** Connects, reads one round at once, then one every intervalMs. */
  start(): Promise<void>;
  /** One round now (what the timer runs). */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function createOffsetsPoller(options: OffsetsPollerOptions): OffsetsPoller {
  const { logger, name } = options;
  const reads = [
    ...new Map(options.readers.flatMap((reader) => reader.reads).map((read) => [keyOf(read), read])).values(),
  ];
  let admin: Admin | undefined;
  let worker: IntervalWorker | undefined;
  let failing = false;

  async function pollOnce(): Promise<void> {
    const client = admin;
    if (!client) return;
    const readings = new Map<string, GroupOffsets>();
    for (const read of reads) {
      readings.set(keyOf(read), await readGroupOffsets(client, read.groupId, read.topic, options.clock));
    }
    for (const reader of options.readers) {
      for (const read of reader.reads) {
        const reading = readings.get(keyOf(read));
        if (reading) reader.take(reading);
      }
    }
  }

  async function round(): Promise<void> {
    try {
      await pollOnce();
      if (failing) logger.info({ poller: name }, "consumer offsets readable again");
      failing = false;
    } catch (err) {
      if (!failing)
        logger.warn({ err, poller: name }, "consumer offsets reading failed; lag readings go stale");
      failing = true;
    }
  }

  return {
    async start() {
      if (admin) return;
      admin = options.kafka.admin();
      await admin.connect();
      await round();
      worker = createIntervalWorker({
        intervalMs: options.intervalMs,
        tick: round,
        // round() reports its own failures, once per outage.
        onError: () => undefined,
      });
      worker.start();
    },
    pollOnce,
    async stop() {
      const current = admin;
      admin = undefined;
      await worker?.stop();
      worker = undefined;
      await current?.disconnect();
    },
  };
}

function keyOf(read: OffsetsRead): string {
  return `${read.groupId}\u0000${read.topic}`;
}
