// After the Kafka broker restarts, the catalog applies the backlog promptly: real warehouse and catalog
// processes on a broker of this test's own; the broker is stopped, stock changes are written (they wait
// in the warehouse's outbox), the broker is started again, and the time from its being ready to the
// catalog's projection holding every change is measured. The bound is generous (timing belongs to
// benchmarks) but catches the ~20 s it took before the client and consumer settings were tuned.
import { type DedicatedKafkaBroker, startDedicatedKafkaBroker } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createServicePair, type ServicePair, type ServiceProcess } from "./support/service-processes.ts";

const RECOVERY_BOUND_MS = 10_000;
const SKUS = 5;

let broker: DedicatedKafkaBroker;
let pair: ServicePair;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  broker = await startDedicatedKafkaBroker();
  pair = createServicePair(broker.brokers);
});

afterAll(async () => {
  await Promise.all(started.map((service) => service.stop()));
  await pair?.dropSchemas();
  // The broker and its topics and groups are thrown away whole.
  await broker?.cleanup();
});

describe("catalog after a broker restart", () => {
  it("applies the stock changes written while the broker was down within seconds of its return", async () => {
    const warehouse = await pair.startWarehouse();
    started.push(warehouse);
    const catalog = await pair.startCatalog();
    started.push(catalog);
    const admin = await pair.warehouseAdmin(warehouse);
    const skus = Array.from({ length: SKUS }, (_, i) => `RESTART-${pair.consumerGroup}-${i}`.toUpperCase());
    await admin.createWarehouse({
      idempotencyKey: `restart-wh-${pair.consumerGroup}`,
      warehouse: { code: "RST-1", name: "Restart", capacityUnits: 100_000n },
    });
    const receive = (sku: string, quantity: number, key: string) =>
      admin.receiveStock({
        idempotencyKey: key,
        warehouseCode: "RST-1",
        reference: { type: "purchase_order", id: key },
        lines: [{ sku, quantity }],
      });
    // Before: the pipeline works end to end.
    await Promise.all(skus.map((sku) => receive(sku, 1, `before-${sku}`)));
    await vi.waitFor(
      async () => {
        for (const sku of skus) expect(await pair.catalogAvailable(sku)).toBe(1);
      },
      { timeout: 30_000, interval: 100 },
    );

    await broker.stop();
    // Written while the broker is away: the outbox holds them.
    await Promise.all(skus.map((sku) => receive(sku, 10, `during-${sku}`)));
    // Long enough for the relay's sends and the consumer's fetches to fail and back off.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await broker.restart();
    const readyAt = Date.now();

    await vi.waitFor(
      async () => {
        for (const sku of skus) expect(await pair.catalogAvailable(sku)).toBe(11);
      },
      { timeout: 60_000, interval: 50 },
    );
    const recoveryMs = Date.now() - readyAt;
    console.log(`catalog applied the backlog ${recoveryMs} ms after the broker was ready`);
    expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
  }, 180_000);
});
