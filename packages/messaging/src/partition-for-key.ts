// The partition a message key goes to under kafkajs's default partitioner (murmur2, as the Java client),
// the one the outbox relay's producer uses: so a reader can tell which partition carries a key's events.
import { Partitioners } from "kafkajs";

const defaultPartitioner = Partitioners.DefaultPartitioner();

export function partitionForKey(topic: string, key: string, partitionCount: number): number {
  return defaultPartitioner({
    topic,
    partitionMetadata: Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}
