import { Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { createTestTopics } from "../src/index.ts";

describe("createTestTopics", () => {
  it("creates unique topics on the real broker; a message is produced and consumed through them", async () => {
    const test = await createTestTopics(["warehouse.stock.v1", "warehouse.reservation.v1"], {
      partitions: 3,
    });
    const topic = test.topics["warehouse.stock.v1"];
    const producer = test.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = test.kafka.consumer({ groupId: `${topic}.group` });
    try {
      expect(topic).toMatch(/^warehouse\.stock\.v1\.t[0-9a-f]+$/);
      const metadata = await test.admin.fetchTopicMetadata({ topics: Object.values(test.topics) });
      expect(metadata.topics.map((t) => t.partitions.length)).toEqual([3, 3]);

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise<{ key: string; value: string; partition: number }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message, partition }) => {
            resolve({ key: String(message.key), value: String(message.value), partition });
          },
        });
      });

      await producer.connect();
      const [sent] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: "SKU-1", value: "stock-reserved" }],
      });
      const message = await received;
      expect(message).toEqual({ key: "SKU-1", value: "stock-reserved", partition: sent?.partition });
    } finally {
      await producer.disconnect();
      await consumer.disconnect();
      await test.delete();
    }
  });
});
