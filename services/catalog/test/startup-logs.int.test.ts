// A healthy start prints nothing but pino JSON lines carrying the service's name and version: no Node
// warning (kafkajs's negative throttle timer, #1751), no kafkajs partitioner warning, no "Topic creation
// errors" for topics that exist, no kafkajs line in its own format. Real processes, real broker and
// database; the catalog starts after the warehouse created the stock topic, and a stock change goes all the
// way through (the relay's producer and the consumer's are created).
import { testKafka } from "@stockroom/testkit";
import { afterAll, describe, expect, it, vi } from "vitest";
import warehousePackage from "../../warehouse/package.json" with { type: "json" };
import catalogPackage from "../package.json" with { type: "json" };
import { createServicePair, type ServiceProcess } from "./support/service-processes.ts";

const { kafka, brokers } = testKafka("startup-logs");
const pair = createServicePair(brokers);
const started: ServiceProcess[] = [];

afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...pair.topics] }).catch(() => undefined);
  await admin.deleteGroups([pair.consumerGroup]).catch(() => undefined);
  await admin.disconnect();
  await pair.dropSchemas();
});

// pino's levels as numbers, for lines that carry the label.
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function checkLines(service: ServiceProcess, version: string): void {
  expect(
    service.stderr.filter((line) => line.trim() !== ""),
    `${service.name} stderr`,
  ).toEqual([]);
  const lines = service.stdout.filter((line) => line.trim() !== "");
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    let parsed: { level?: unknown; service?: unknown; version?: unknown };
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${service.name} printed a line that is not JSON: ${line}`);
    }
    expect(parsed, line).toMatchObject({ service: service.name, version });
    const level = typeof parsed.level === "number" ? parsed.level : LEVELS[String(parsed.level)];
    expect(level, line).toBeDefined();
    expect(level as number, `${service.name} logged a warning or worse: ${line}`).toBeLessThan(40);
  }
}

describe("service start-up logs", () => {
  it("a healthy start of the warehouse and the catalog logs only pino JSON below warn", async () => {
    const warehouse = await pair.startWarehouse();
    started.push(warehouse);
    const catalog = await pair.startCatalog();
    started.push(catalog);

    const admin = await pair.warehouseAdmin(warehouse);
    const sku = `BOOT-${pair.consumerGroup}`.slice(0, 64).toUpperCase();
    await admin.createWarehouse({
      idempotencyKey: `boot-wh-${sku}`,
      warehouse: { code: "BOOT-1", name: "Boot", capacityUnits: 1000n },
    });
    await admin.receiveStock({
      idempotencyKey: `boot-${sku}`,
      warehouseCode: "BOOT-1",
      reference: { type: "purchase_order", id: "PO-BOOT" },
      lines: [{ sku, quantity: 5 }],
    });
    await vi.waitFor(async () => expect(await pair.catalogAvailable(sku)).toBe(5), {
      timeout: 30_000,
      interval: 200,
    });

    await Promise.all([warehouse.stop(), catalog.stop()]);
    checkLines(warehouse, warehousePackage.version);
    checkLines(catalog, catalogPackage.version);
  }, 90_000);
});
