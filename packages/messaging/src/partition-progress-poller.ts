// Reads, on a short timer, a consumer group's committed offsets and the topic's end offsets through the
// admin client, and feeds them to a PartitionProgress. It covers the partitions this process does not
// consume (another instance of the group does, or none is assigned yet), so an instance never claims a
// partition caught up from its own, empty, view; a failed poll leaves the last readings to go stale.
import type { Admin, Kafka } from "kafkajs";
import type { ConsumerLogger } from "./consumer-logger.ts";
import type { PartitionProgress } from "./partition-progress.ts";

export interface PartitionProgressPollerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly progress: PartitionProgress;
  readonly logger: ConsumerLogger;
  /** Default 1 s. */
  readonly intervalMs?: number;
}

export interface PartitionProgressPoller {
  start(): Promise<void>;
  /** One reading now (also what the timer runs). */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function createPartitionProgressPoller(
  options: PartitionProgressPollerOptions,
): PartitionProgressPoller {
  const { groupId, topic, progress, logger } = options;
  const intervalMs = options.intervalMs ?? 1_000;
  let admin: Admin | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failing = false;

  async function pollOnce(): Promise<void> {
    if (!admin) return;
    // The end offsets are read first: a committed offset read after them that reaches them means the
    // group had applied everything the broker held when the end offsets were read.
    const at = Date.now();
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedBy = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    for (const end of ends) {
      progress.observed(topic, end.partition, {
        endOffset: end.high,
        committedOffset: committedBy.get(end.partition) ?? "-1",
        at,
      });
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = pollOnce()
        .then(() => {
          if (failing) logger.info({ groupId, topic }, "partition progress readable again");
          failing = false;
        })
        .catch((err: unknown) => {
          if (!failing)
            logger.warn({ err, groupId, topic }, "partition progress poll failed; lag goes stale");
          failing = true;
        })
        .finally(() => {
          running = undefined;
          if (admin) schedule();
        });
    }, intervalMs);
    timer.unref();
  }

  return {
    async start() {
      if (admin) return;
      admin = options.kafka.admin();
      await admin.connect();
      await pollOnce();
      schedule();
    },
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
