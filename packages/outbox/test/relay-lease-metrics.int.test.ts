// outbox_relay_lease_held against real PostgreSQL and Kafka: 1 on the relay holding the schema's lease,
// 0 on the standby, flipping when the active one stops; the failure counter is there at 0 from the start.
import { resolve } from "node:path";
import { createTestSchema, createTestTopics, type TestSchema, type TestTopics } from "@stockroom/testkit";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboxRelay, type OutboxRelay } from "../src/relay.ts";

const MIGRATIONS = resolve(import.meta.dirname, "../../../migrations/warehouse");
const quiet = { info() {}, warn() {}, error() {} };

let schema: TestSchema;
let kafkaTopics: TestTopics<"lease">;

beforeAll(async () => {
  schema = await createTestSchema({ migrations: MIGRATIONS, poolMax: 6 });
  kafkaTopics = await createTestTopics(["lease"]);
});
afterAll(async () => {
  await kafkaTopics?.delete();
  await schema?.drop();
});

function relayWith(registry: Registry): OutboxRelay {
  return createOutboxRelay({
    pool: schema.pool,
    kafka: kafkaTopics.kafka,
    schema: schema.schema,
    logger: quiet,
    registry,
    batchSize: 100,
    pollIntervalMs: 50,
  });
}

async function value(registry: Registry, name: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => v.labels.schema === schema.schema)?.value;
}

describe("relay lease gauge", () => {
  it("is 1 on the active relay and 0 on the standby, which takes it over when the active one stops", async () => {
    const [activeRegistry, standbyRegistry] = [new Registry(), new Registry()];
    const active = relayWith(activeRegistry);
    const standby = relayWith(standbyRegistry);
    try {
      expect(await value(activeRegistry, "outbox_publish_failures_total")).toBe(0);
      expect(await value(activeRegistry, "outbox_published_total")).toBe(0);
      expect(await value(activeRegistry, "outbox_relay_lease_held")).toBe(0);
      expect((await active.runOnce()).active).toBe(true);
      expect((await standby.runOnce()).active).toBe(false);
      expect(await value(activeRegistry, "outbox_relay_lease_held")).toBe(1);
      expect(await value(standbyRegistry, "outbox_relay_lease_held")).toBe(0);
      await active.stop();
      expect(await value(activeRegistry, "outbox_relay_lease_held")).toBe(0);
      expect((await standby.runOnce()).active).toBe(true);
      expect(await value(standbyRegistry, "outbox_relay_lease_held")).toBe(1);
    } finally {
      await active.stop();
      await standby.stop();
    }
  });
});
