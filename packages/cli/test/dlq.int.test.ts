// stockroom dlq list|replay as child processes against the real Kafka broker: the letters of a topic are
// listed with why they failed, replayed to their topic without the dlq-* headers, and a second replay
// sends nothing (the replay group remembers). Replaces the old replay-dlq-cli.ts.
import { dlqTopicOf, ensureTopics } from "@stockroom/messaging";
import { createTestTopics, type TestTopics, uniqueSuffix } from "@stockroom/testkit";
import type { KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.ts";
import { freePort } from "./support/warehouse-process.ts";

const TIMEOUT_MS = 120_000;
let kafka: TestTopics<"stock">;
let topic: string;
let env: NodeJS.ProcessEnv;

function letter(eventId: string, consumer: string) {
  return {
    key: `sku-${eventId}`,
    value: Buffer.from(`payload-${eventId}`),
    headers: {
      "event-id": eventId,
      "event-type": "StockLevelChanged",
      "dlq-error": `DecodeError: event ${eventId} is not an envelope`,
      "dlq-error-name": "DecodeError",
      "dlq-consumer": consumer,
      "dlq-original-topic": topic,
      "dlq-original-partition": "0",
      "dlq-original-offset": "0",
      "dlq-failed-at": "2026-12-01T10:00:00.000Z",
    },
  };
}

async function readTopic(count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.kafka.consumer({ groupId: `cli-dlq-read-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${messages.length} of ${count} messages`)),
        30_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

beforeAll(async () => {
  kafka = await createTestTopics(["stock"]);
  topic = kafka.topics.stock;
  await ensureTopics(kafka.admin, [{ topic: dlqTopicOf(topic), numPartitions: 1 }]);
  const producer = kafka.kafka.producer();
  await producer.connect();
  await producer.send({
    topic: dlqTopicOf(topic),
    messages: [letter("e-1", "catalog.stock-projection"), letter("e-2", "search.indexer")],
  });
  await producer.disconnect();
  env = { KAFKA_BROKERS: kafka.brokers.join(",") };
});

afterAll(async () => {
  await kafka?.admin.deleteTopics({ topics: [dlqTopicOf(topic)] }).catch(() => undefined);
  await kafka?.delete();
});

describe("stockroom dlq", () => {
  it(
    "lists a topic's dead letters, replays one consumer's to the topic, and does not replay them twice",
    async () => {
      const group = `cli-replay-${uniqueSuffix()}`;
      const [listed, onlyCatalog] = await Promise.all([
        runCli(["--json", "dlq", "list", "--topic", topic, "--group", group], env),
        runCli(
          ["dlq", "list", "--topic", topic, "--consumer", "catalog.stock-projection", "--group", group],
          env,
        ),
      ]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout).deadLetters).toEqual([
        expect.objectContaining({
          offset: "0",
          eventId: "e-1",
          consumer: "catalog.stock-projection",
          error: "DecodeError: event e-1 is not an envelope",
          replayed: false,
        }),
        expect.objectContaining({ offset: "1", eventId: "e-2", consumer: "search.indexer", replayed: false }),
      ]);
      expect(onlyCatalog.code, onlyCatalog.stderr).toBe(0);
      expect(onlyCatalog.stdout).toMatch(
        /│ 0 +│ 0 +│ e-1 +│ StockLevelChanged +│ catalog.stock-projection +│/,
      );
      expect(onlyCatalog.stdout).not.toContain("e-2");

      const replayed = await runCli(
        [
          "--json",
          "dlq",
          "replay",
          "--topic",
          topic,
          "--consumer",
          "catalog.stock-projection",
          "--group",
          group,
        ],
        env,
      );
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(JSON.parse(replayed.stdout)).toEqual({ topic, replayed: 1, passedOver: 1 });
      const [message] = await readTopic(1);
      expect(message?.value?.toString()).toBe("payload-e-1");
      expect(Object.keys(message?.headers ?? {}).sort()).toEqual(["event-id", "event-type"]);

      const [again, pending, all] = await Promise.all([
        runCli(
          ["dlq", "replay", "--topic", topic, "--consumer", "catalog.stock-projection", "--group", group],
          env,
        ),
        runCli(
          [
            "--json",
            "dlq",
            "list",
            "--topic",
            topic,
            "--consumer",
            "catalog.stock-projection",
            "--group",
            group,
          ],
          env,
        ),
        runCli(["--json", "dlq", "list", "--topic", topic, "--group", group, "--all"], env),
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain("replayed 0 dead letters");
      expect(JSON.parse(pending.stdout).deadLetters).toEqual([]);
      expect(
        JSON.parse(all.stdout).deadLetters.map((l: { eventId: string; replayed: boolean }) => [
          l.eventId,
          l.replayed,
        ]),
      ).toEqual([
        ["e-1", true],
        ["e-2", true],
      ]);
    },
    TIMEOUT_MS,
  );

  it(
    "exits 3 when Kafka cannot be reached and 2 without a topic",
    async () => {
      const [unreachable, noTopic] = await Promise.all([
        runCli(["dlq", "list", "--topic", "x"], { KAFKA_BROKERS: `127.0.0.1:${await freePort()}` }),
        runCli(["dlq", "replay"], env),
      ]);
      expect(unreachable.code, unreachable.stderr).toBe(3);
      expect(noTopic.code).toBe(2);
      expect(noTopic.stderr).toContain("required option '-t, --topic <topic>' not specified");
    },
    TIMEOUT_MS,
  );
});
