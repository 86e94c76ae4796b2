// Kafka topics per test, created up front: the broker has auto-create off (kafkajs #1618), and unique
// names keep parallel test files from reading each other's messages.
import { ensureTopics } from "@stockroom/messaging";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { requireTestEnv } from "./test-infrastructure.ts";
import { uniqueSuffix } from "./unique-name.ts";

export interface CreateTestTopicsOptions {
  readonly partitions?: number;
  /** Another broker than TEST_KAFKA_BROKERS, e.g. a dedicated broker's `brokers`. */
  readonly brokers?: string[];
}

export interface TestTopics<Name extends string> {
  /** Logical name → the unique topic actually created. */
  readonly topics: Record<Name, string>;
  readonly brokers: string[];
  /** A client for the test's own producers and consumers. */
  readonly kafka: Kafka;
  /** Connected admin client. */
  readonly admin: Admin;
  /** Deletes the topics and disconnects the admin client. */
  delete(): Promise<void>;
}

export function testKafka(
  clientId = "stockroom-test",
  brokers: string[] = testBrokers(),
): { kafka: Kafka; brokers: string[] } {
  // kafkajs logs retried, transient states (coordinator loading) at ERROR; a real failure still throws.
  return { kafka: new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING }), brokers };
}

function testBrokers(): string[] {
  return requireTestEnv("TEST_KAFKA_BROKERS")
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
}

export async function createTestTopics<Name extends string>(
  names: readonly Name[],
  options: CreateTestTopicsOptions = {},
): Promise<TestTopics<Name>> {
  const { kafka, brokers } = testKafka("stockroom-test", options.brokers ?? testBrokers());
  const suffix = uniqueSuffix();
  const topics = Object.fromEntries(names.map((name) => [name, `${name}.t${suffix}`])) as Record<
    Name,
    string
  >;
  const numPartitions = options.partitions ?? 1;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const unique = Object.values<string>(topics);
    await ensureTopics(
      admin,
      unique.map((topic) => ({ topic, numPartitions })),
    );
  } catch (err) {
    await admin.disconnect();
    throw err;
  }
  let deleted = false;
  return {
    topics,
    brokers,
    kafka,
    admin,
    async delete() {
      if (deleted) return;
      deleted = true;
      try {
        await admin.deleteTopics({ topics: Object.values<string>(topics) });
      } finally {
        await admin.disconnect();
      }
    },
  };
}
