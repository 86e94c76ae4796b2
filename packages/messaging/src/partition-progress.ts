// How far a consumer group trails its topic, partition by partition, as a projection fed by it needs to
// report it: caught up (it has applied everything the broker holds), or the age of the oldest message
// not yet applied. Fed by the event consumer for the partitions it consumes (exact: it sees the broker's
// high watermark with each batch and the timestamp of every message it has fetched) and by a poller of
// the group's committed offsets against the topic's end offsets (every partition, including those
// another instance consumes: see partition-progress-poller.ts).

export interface PartitionLag {
  /** 0 when caught up; otherwise how old the oldest unapplied message is (an upper bound, see asOf). */
  readonly lagMs: number;
  /** The time the projection was last known to hold everything the broker had for the partition. */
  readonly asOf: Date;
}

export interface FetchedMessage {
  readonly offset: string;
  /** Kafka message timestamp, milliseconds since the epoch as a string (kafkajs's KafkaMessage). */
  readonly timestamp: string;
}

export interface PartitionProgress {
  /** A batch arrived: the broker's high watermark for the partition and the batch's messages. */
  fetched(topic: string, partition: number, highWatermark: string, messages: readonly FetchedMessage[]): void;
  /** A message was applied (or skipped, or dead-lettered: done with either way) and its offset resolved. */
  applied(topic: string, partition: number, message: FetchedMessage): void;
  /** A poll's reading: the topic's end offset and the group's committed offset (-1: none yet). */
  observed(
    topic: string,
    partition: number,
    reading: { endOffset: string; committedOffset: string; at: number },
  ): void;
  /** Partitions of the topic, once a poll has seen them. */
  partitionCount(topic: string): number | undefined;
  lagOf(topic: string, partition: number): PartitionLag;
}

export interface PartitionProgressOptions {
  /**
   * A partition not confirmed caught up for this long is reported behind since its last confirmation:
   * a poller that cannot reach the broker must not leave a stale "caught up" in place. Default 5 s.
   */
  readonly staleAfterMs?: number;
  readonly clock?: () => number;
}

interface PartitionState {
  // Offsets as bigint: next offset the broker will write, and next offset to apply (-1n: unknown).
  end: bigint;
  applied: bigint;
  // Timestamps of fetched messages not applied yet, by offset.
  pending: Map<bigint, number>;
  // A lower bound of the last time the projection held everything the broker had.
  currentAsOf: number;
  // When the partition was last confirmed caught up.
  confirmedAt: number;
}

export function createPartitionProgress(options: PartitionProgressOptions = {}): PartitionProgress {
  const clock = options.clock ?? Date.now;
  const staleAfterMs = options.staleAfterMs ?? 5_000;
  const createdAt = clock();
  const states = new Map<string, PartitionState>();
  const partitionCounts = new Map<string, number>();

  function stateOf(topic: string, partition: number): PartitionState {
    const id = `${topic}\u0000${partition}`;
    let state = states.get(id);
    if (!state) {
      state = { end: -1n, applied: -1n, pending: new Map(), currentAsOf: createdAt, confirmedAt: -1 };
      states.set(id, state);
    }
    return state;
  }

  function confirmIfCaughtUp(state: PartitionState, at: number): void {
    if (state.end >= 0n && state.applied >= state.end) {
      state.currentAsOf = Math.max(state.currentAsOf, at);
      state.confirmedAt = Math.max(state.confirmedAt, at);
    }
  }

  function dropApplied(state: PartitionState): void {
    for (const offset of state.pending.keys()) if (offset < state.applied) state.pending.delete(offset);
  }

  return {
    fetched(topic, partition, highWatermark, messages) {
      const state = stateOf(topic, partition);
      state.end = maxOf(state.end, BigInt(highWatermark));
      // The batch starts at the group's position: everything before its first message is done with.
      const first = messages[0];
      if (first) state.applied = maxOf(state.applied, BigInt(first.offset));
      for (const message of messages) {
        const offset = BigInt(message.offset);
        if (state.applied < 0n || offset >= state.applied)
          state.pending.set(offset, Number(message.timestamp));
      }
      confirmIfCaughtUp(state, clock());
    },
    applied(topic, partition, message) {
      const state = stateOf(topic, partition);
      const offset = BigInt(message.offset);
      state.applied = maxOf(state.applied, offset + 1n);
      dropApplied(state);
      // Everything up to this message is in: the projection was current at least as of its timestamp.
      state.currentAsOf = Math.max(state.currentAsOf, Number(message.timestamp));
      confirmIfCaughtUp(state, clock());
    },
    observed(topic, partition, reading) {
      const state = stateOf(topic, partition);
      partitionCounts.set(topic, Math.max(partitionCounts.get(topic) ?? 0, partition + 1));
      state.end = maxOf(state.end, BigInt(reading.endOffset));
      const committed = BigInt(reading.committedOffset);
      if (committed >= 0n) state.applied = maxOf(state.applied, committed);
      // A partition that never held a message has nothing to apply, even before the group commits there.
      else if (reading.endOffset === "0") state.applied = maxOf(state.applied, 0n);
      dropApplied(state);
      confirmIfCaughtUp(state, reading.at);
    },
    partitionCount(topic) {
      return partitionCounts.get(topic);
    },
    lagOf(topic, partition) {
      const now = clock();
      const state = stateOf(topic, partition);
      const caughtUp = state.end >= 0n && state.applied >= state.end;
      if (caughtUp && now - state.confirmedAt <= staleAfterMs) {
        return { lagMs: 0, asOf: new Date(state.confirmedAt) };
      }
      // Behind: the oldest unapplied message's own timestamp when this process fetched it; otherwise the
      // last time it was known current (the oldest unapplied message is younger than that).
      const oldest = caughtUp ? undefined : state.pending.get(state.applied);
      const asOf = oldest ?? state.currentAsOf;
      // Behind is never 0, even when the producer's clock runs ahead of ours.
      return { lagMs: Math.max(1, now - asOf), asOf: new Date(asOf) };
    },
  };
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
