// A wave of confirmed orders from OrderConfirmed to shipped, driven through FulfillmentService's API as
// fast as it answers (BENCH_CONCURRENCY calls in flight per step), with the real warehouse process it
// calls. Not a test: prints JSON (orders per second through ship, p50/p99 per step, the warehouse calls).
//   BENCH_ORDERS (default 1000), BENCH_CONCURRENCY (default 16), BENCH_SKUS (default 10)
// Steps: confirmed (the consumer's use case creating the fulfillment + the worker verifying its
// reservation with the warehouse), wave (BuildWave, 500 orders a list), pick (ConfirmPick per line),
// pack (PackFulfillment; no catalog here, so every package is held for QC on its weight), qc
// (RecordQcResults, all pass), ship (ShipFulfillment), shipped (the worker's ShipReservation calls).
import { performance } from "node:perf_hooks";
import { QcOutcome } from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { createFloorFixture } from "../test/support/floor-fixture.ts";

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SKUS = Number(process.env.BENCH_SKUS ?? 10);
const WAVE_SIZE = 500;

function stats(latencies: number[], elapsedMs: number) {
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) => Number((sorted[Math.floor((sorted.length - 1) * p)] ?? 0).toFixed(1));
  return {
    calls: latencies.length,
    elapsedS: Number((elapsedMs / 1000).toFixed(2)),
    perSecond: Math.round(latencies.length / (elapsedMs / 1000)),
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
  };
}

async function step<T>(items: readonly T[], run: (item: T) => Promise<unknown>) {
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        const t = performance.now();
        await run(item);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return stats(latencies, performance.now() - started);
}

const f = await createFloorFixture();
try {
  const wh = `BW-${uniqueSuffix().slice(-6).toUpperCase()}`;
  const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${i + 1}`);
  await f.seedWarehouse(
    wh,
    skus.map((sku, i) => ({
      sku,
      bin: `BIN-${String(i + 1).padStart(3, "0")}`,
      sequence: i + 1,
      quantity: ORDERS,
    })),
  );
  const orders = Array.from({ length: ORDERS }, (_, i) => skus[i % SKUS] as string);
  const ids: string[] = [];
  const report: Record<string, unknown> = { orders: ORDERS, concurrency: CONCURRENCY, skus: SKUS };
  report.confirmed = await step(orders, async (sku) => {
    ids.push(await f.openFulfillment(wh, sku, 1));
  });
  const through = performance.now();
  const lists: string[] = [];
  const waves = Array.from({ length: Math.ceil(ids.length / WAVE_SIZE) }, (_, i) =>
    ids.slice(i * WAVE_SIZE, (i + 1) * WAVE_SIZE),
  );
  report.wave = await step(waves, async (batch) => {
    const { pickList } = await f.client.buildWave(
      {
        idempotencyKey: `bench-wave-${batch[0]}`,
        warehouseCode: wh,
        fulfillmentIds: batch,
        maxOrders: WAVE_SIZE,
      },
      f.as("ops"),
    );
    lists.push(pickList?.pickListId ?? "");
  });
  const lines = [];
  for (const pickListId of lists) {
    const { pickList } = await f.client.getPickList({ pickListId }, f.as("ops"));
    for (const l of pickList?.lines ?? []) lines.push({ pickListId, line: l });
  }
  report.pick = await step(lines, ({ pickListId, line }) =>
    f.client.confirmPick(
      {
        idempotencyKey: `bench-pick-${pickListId}-${line.lineNumber}`,
        pickListId,
        lineNumber: line.lineNumber,
        scannedBinCode: line.location?.binCode ?? "",
        scannedSku: line.sku,
      },
      f.as("ops"),
    ),
  );
  const packages = new Map<string, string>();
  report.pack = await step(ids, async (id) => {
    const packed = await f.client.packFulfillment(
      {
        idempotencyKey: `bench-pack-${id}`,
        fulfillmentId: id,
        dimensions: { lengthMm: 10, widthMm: 10, heightMm: 10 },
        measuredWeightGrams: 100,
      },
      f.as("ops"),
    );
    packages.set(id, packed.package?.packageId ?? "");
  });
  report.qc = await step(ids, (id) =>
    f.client.recordQcResults(
      {
        idempotencyKey: `bench-qc-${id}`,
        packageId: packages.get(id) ?? "",
        results: [{ orderLineNumber: 1, unitIndex: 1, outcome: QcOutcome.PASS }],
      },
      f.as("ops"),
    ),
  );
  report.ship = await step(ids, (id) =>
    f.client.shipFulfillment(
      { idempotencyKey: `bench-ship-${id}`, fulfillmentId: id, carrier: "bench", trackingNumber: `B-${id}` },
      f.as("ops"),
    ),
  );
  const drainStart = performance.now();
  await f.drainCommands();
  const drainMs = performance.now() - drainStart;
  report.shipped = {
    warehouseShipCalls: ids.length,
    elapsedS: Number((drainMs / 1000).toFixed(2)),
    perSecond: Math.round(ids.length / (drainMs / 1000)),
  };
  const totalS = (performance.now() - through) / 1000;
  report.throughShip = {
    elapsedS: Number(totalS.toFixed(2)),
    ordersPerSecond: Number((ORDERS / totalS).toFixed(1)),
  };
  const onHand = await Promise.all(skus.map((sku) => f.level(wh, sku)));
  report.stockLeft = onHand.reduce((n, l) => n + Number(l.onHand), 0);
  report.stockExpected = SKUS * ORDERS - ORDERS;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await f.cleanup();
}
