// The fulfillment service SIGKILLed between a state change and its warehouse call: ShipFulfillment
// commits (shipped, the pending ship_reservation command) in a real fulfillment process whose command
// worker has not run yet; the process is killed; a new process sends the command once (the warehouse's
// committed and on_hand down by the shipped units, FulfillmentShipped once); killing and restarting it
// again moves nothing a second time.
import { setTimeout as sleep } from "node:timers/promises";
import { QcOutcome } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFloorFixture, type FloorFixture } from "./support/floor-fixture.ts";
import { type FulfillmentProcess, startFulfillmentProcess } from "./support/fulfillment-process.ts";

let f: FloorFixture;
const running: FulfillmentProcess[] = [];
const WH = `KL-${uniqueSuffix().slice(-6).toUpperCase()}`;

beforeAll(async () => {
  f = await createFloorFixture();
  await f.seedWarehouse(WH, [{ sku: "KILL-1", bin: "BIN-1", sequence: 1, quantity: 10 }]);
}, 180_000);

afterAll(async () => {
  for (const p of running) await p.kill();

  await f?.cleanup();
});

function start(components: string, commandIntervalMs: number) {
  return startFulfillmentProcess({
    schema: f.schema.schema,
    warehouseAddress: f.warehouse.address,
    components,
    commandIntervalMs,
  }).then((p) => {
    running.push(p);
    return p;
  });
}

async function shipCommand(fulfillmentId: string) {
  const { rows } = await f.schema.pool.query(
    "SELECT status, attempts FROM warehouse_commands WHERE aggregate_id = $1 AND kind = 'ship_reservation'",
    [fulfillmentId],
  );
  return rows;
}

async function shippedEvents(fulfillmentId: string) {
  const { rows } = await f.schema.pool.query(
    "SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1 AND event_type = 'FulfillmentShipped'",
    [fulfillmentId],
  );
  return rows[0]?.n as number;
}

it("SIGKILL after ShipFulfillment committed and before its warehouse call: the call is made once after restart", async () => {
  const id = await f.openFulfillment(WH, "KILL-1", 3);
  // The first process serves the API; its command worker would first tick a minute from now.
  const first = await start("api,commands", 60_000);
  const { pickList } = await first.client.buildWave({ idempotencyKey: "kill-wave", warehouseCode: WH });
  await first.client.confirmPick({
    idempotencyKey: "kill-pick",
    pickListId: pickList?.pickListId ?? "",
    lineNumber: 1,
    scannedBinCode: "BIN-1",
    scannedSku: "KILL-1",
  });
  const packed = await first.client.packFulfillment({
    idempotencyKey: "kill-pack",
    fulfillmentId: id,
    dimensions: { lengthMm: 100, widthMm: 100, heightMm: 100 },
    measuredWeightGrams: 500,
  });
  await first.client.recordQcResults({
    idempotencyKey: "kill-qc",
    packageId: packed.package?.packageId ?? "",
    results: [1, 2, 3].map((unitIndex) => ({ orderLineNumber: 1, unitIndex, outcome: QcOutcome.PASS })),
  });
  await first.client.shipFulfillment({
    idempotencyKey: "kill-ship",
    fulfillmentId: id,
    carrier: "dhl",
    trackingNumber: `K-${uniqueSuffix()}`,
  });
  await first.kill();
  // The state change is durable, the call not made.
  expect(await shipCommand(id)).toEqual([{ status: "pending", attempts: 0 }]);
  expect(await f.level(WH, "KILL-1")).toMatchObject({ onHand: 10n, committed: 3n });

  const second = await start("commands", 100);
  for (let i = 0; i < 100 && (await shipCommand(id))[0]?.status !== "sent"; i++) await sleep(200);
  expect(await shipCommand(id)).toEqual([{ status: "sent", attempts: 1 }]);
  expect(await f.level(WH, "KILL-1")).toMatchObject({ onHand: 7n, committed: 0n, reserved: 0n });
  expect(await shippedEvents(id)).toBe(1);

  // Killed and started once more: nothing is sent or moved again.
  await second.kill();
  const third = await start("commands", 100);
  await sleep(2_000);
  await third.kill();
  expect(await shipCommand(id)).toEqual([{ status: "sent", attempts: 1 }]);
  expect(await f.level(WH, "KILL-1")).toMatchObject({ onHand: 7n, committed: 0n });
  expect(await shippedEvents(id)).toBe(1);
}, 180_000);
