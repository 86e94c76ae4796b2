// The catalog's call to the warehouse carries its caller's remaining deadline: real processes (the
// warehouse and the catalog, node src/main.ts), real database and broker. A RebuildAvailability with a
// 2 s deadline reaches the warehouse's BatchGetStock with less than 2 s left (the warehouse's access
// log records what the call was allowed); without a shorter caller deadline the catalog's own 10 s cap
// applies.
import { testKafka } from "@stockroom/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { createServicePair, type ServiceProcess } from "./support/service-processes.ts";

const { kafka, brokers } = testKafka("deadline-propagation");
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

const BATCH_GET_STOCK = "/stockroom.warehouse.v1.WarehouseService/BatchGetStock";

// What each BatchGetStock call the warehouse handled was allowed when it arrived, in order.
function warehouseTimeouts(warehouse: ServiceProcess): number[] {
  return warehouse.stdout.flatMap((line) => {
    if (!line.includes(BATCH_GET_STOCK)) return [];
    const parsed = JSON.parse(line) as { msg?: string; rpc?: string; timeoutMs?: number };
    return parsed.msg === "rpc handled" && parsed.rpc === BATCH_GET_STOCK ? [parsed.timeoutMs ?? -1] : [];
  });
}

describe("catalog → warehouse deadline", () => {
  it("the warehouse sees the catalog caller's remaining deadline, not the catalog's fixed 10 s", async () => {
    const warehouse = await pair.startWarehouse();
    started.push(warehouse);
    const catalog = await pair.startCatalog({ WAREHOUSE_GRPC_ADDRESS: warehouse.grpcAddress });
    started.push(catalog);
    const admin = await pair.catalogAdmin(catalog);

    await admin.rebuildAvailability(
      { idempotencyKey: `dl-short-${pair.consumerGroup}`, skus: ["DL-PROP-1"] },
      { deadlineMs: 2_000 },
    );
    await expect.poll(() => warehouseTimeouts(warehouse).length, { timeout: 5_000 }).toBe(1);
    const [short] = warehouseTimeouts(warehouse);
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThanOrEqual(2_000);

    await admin.rebuildAvailability(
      { idempotencyKey: `dl-long-${pair.consumerGroup}`, skus: ["DL-PROP-1"] },
      { deadlineMs: 60_000 },
    );
    await expect.poll(() => warehouseTimeouts(warehouse).length, { timeout: 5_000 }).toBe(2);
    const long = warehouseTimeouts(warehouse)[1] ?? 0;
    expect(long).toBeGreaterThan(8_000);
    expect(long).toBeLessThanOrEqual(10_000);
  });
});
