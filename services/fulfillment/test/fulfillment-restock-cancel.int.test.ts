// Refund with restock, then a cancel of the same order (PrestaShop#35460, woocommerce#22489): in both
// orders and raced (the inspection, the OrderCancelled use case and two command workers at once), the
// returned units go back to the warehouse exactly once, and the cancel puts back nothing that was
// shipped. Real warehouse process, real PostgreSQL, the fulfillment's own RPCs.
import { ReturnCondition } from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import {
  QcOutcome,
  ReturnReason,
  ReturnStatus,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFloorFixture, type FloorFixture } from "./support/floor-fixture.ts";

let f: FloorFixture;
const WH = `RC-${uniqueSuffix().slice(-6).toUpperCase()}`;
const SKUS = ["RC-FIRST", "RC-SECOND", "RC-RACE-1", "RC-RACE-2", "RC-RACE-3"];
let n = 0;
const key = (label: string) => `${label}-${++n}`;

beforeAll(async () => {
  f = await createFloorFixture();
  await f.seedWarehouse(
    WH,
    SKUS.map((sku, i) => ({ sku, bin: `BIN-${i + 1}`, sequence: i + 1, quantity: 10 })),
  );
}, 180_000);

afterAll(async () => {
  await f?.cleanup();
});

// A delivered fulfillment of 3 units, its return of 3 received: what the cancel and the restock race on.
async function receivedReturn(
  sku: string,
): Promise<{ fulfillmentId: string; orderId: string; returnId: string }> {
  const fulfillmentId = await f.openFulfillment(WH, sku, 3);
  const { pickList } = await f.client.buildWave(
    { idempotencyKey: key("wave"), warehouseCode: WH, fulfillmentIds: [fulfillmentId] },
    f.as("ops"),
  );
  const line = pickList?.lines[0];
  await f.client.confirmPick(
    {
      idempotencyKey: key("pick"),
      pickListId: pickList?.pickListId ?? "",
      lineNumber: 1,
      scannedBinCode: line?.location?.binCode ?? "",
      scannedSku: sku,
    },
    f.as("ops"),
  );
  const packed = await f.client.packFulfillment(
    {
      idempotencyKey: key("pack"),
      fulfillmentId,
      dimensions: { lengthMm: 10, widthMm: 10, heightMm: 10 },
      measuredWeightGrams: 300,
    },
    f.as("ops"),
  );
  await f.client.recordQcResults(
    {
      idempotencyKey: key("qc"),
      packageId: packed.package?.packageId ?? "",
      results: [1, 2, 3].map((unitIndex) => ({ orderLineNumber: 1, unitIndex, outcome: QcOutcome.PASS })),
    },
    f.as("ops"),
  );
  const { fulfillment } = await f.client.shipFulfillment(
    { idempotencyKey: key("ship"), fulfillmentId, carrier: "dhl", trackingNumber: `R-${uniqueSuffix()}` },
    f.as("ops"),
  );
  await f.drainCommands();
  await f.client.confirmDelivery({ idempotencyKey: key("deliver"), fulfillmentId }, f.as("ops"));
  const { return: requested } = await f.client.requestReturn(
    {
      idempotencyKey: key("ret"),
      fulfillmentId,
      customerId: "cust-floor",
      lines: [{ orderLineNumber: 1, quantity: 3 }],
      reason: ReturnReason.DEFECTIVE,
    },
    f.as("storefront"),
  );
  const returnId = requested?.returnId ?? "";
  await f.client.authorizeReturn({ idempotencyKey: key("auth"), returnId }, f.as("ops"));
  await f.client.receiveReturn(
    {
      idempotencyKey: key("recv"),
      returnId,
      warehouseCode: WH,
      lines: [{ orderLineNumber: 1, quantity: 3 }],
    },
    f.as("ops"),
  );
  return { fulfillmentId, orderId: fulfillment?.orderId ?? "", returnId };
}

const inspect = (returnId: string) =>
  f.client.inspectReturn(
    {
      idempotencyKey: `inspect-${returnId}`,
      returnId,
      dispositions: [
        { orderLineNumber: 1, condition: ReturnCondition.SELLABLE, quantity: 2 },
        { orderLineNumber: 1, condition: ReturnCondition.DAMAGED, quantity: 1 },
      ],
    },
    f.as("ops"),
  );

const cancel = (orderId: string) =>
  f.deps.transaction((trx) =>
    f.useCases.orderEvents.cancelFulfillments(trx, { orderId, reason: "customer cancelled" }),
  );

async function expectRestockedOnce(sku: string, ids: { fulfillmentId: string; returnId: string }) {
  // Shipped 3 of 10, back: 2 sellable (on_hand 9), 1 damaged.
  expect(await f.level(WH, sku)).toMatchObject({ onHand: 9n, damaged: 1n, committed: 0n, reserved: 0n });
  const { return: r } = await f.client.getReturn({ returnId: ids.returnId }, f.as("ops"));
  expect(r).toMatchObject({ status: ReturnStatus.CLOSED, lines: [{ received: 3, restocked: 3 }] });
  const { rows } = await f.schema.pool.query(
    `SELECT l.restocked, l.returned, l.shipped, l.cancelled, o.status
       FROM fulfillment_lines l JOIN fulfillment_orders o USING (fulfillment_id) WHERE fulfillment_id = $1`,
    [ids.fulfillmentId],
  );
  // Delivered stays delivered: the cancel finds nothing left to cancel or put back.
  expect(rows).toEqual([{ restocked: 3, returned: 3, shipped: 3, cancelled: 0, status: "delivered" }]);
  const { rows: commands } = await f.schema.pool.query(
    "SELECT idempotency_key, status FROM warehouse_commands WHERE aggregate_id = $1 AND kind = 'restock_return' ORDER BY 1",
    [ids.returnId],
  );
  expect(commands.map((c) => c.status)).toEqual(["sent", "sent"]);
}

describe("refund with restock and a cancel of the same order", () => {
  it("restock first, then the cancel: restocked once", async () => {
    const ids = await receivedReturn("RC-FIRST");
    await inspect(ids.returnId);
    await f.drainCommands();
    expect(await cancel(ids.orderId)).toEqual([]);
    await f.drainCommands();
    await expectRestockedOnce("RC-FIRST", ids);
  });

  it("the cancel first, then the restock: restocked once", async () => {
    const ids = await receivedReturn("RC-SECOND");
    expect(await cancel(ids.orderId)).toEqual([]);
    await inspect(ids.returnId);
    await f.drainCommands();
    await f.drainCommands();
    await expectRestockedOnce("RC-SECOND", ids);
  });

  for (const sku of ["RC-RACE-1", "RC-RACE-2", "RC-RACE-3"]) {
    it(`raced (${sku}): inspection, cancel, a replayed inspection and two workers at once → restocked once`, async () => {
      const ids = await receivedReturn(sku);
      const results = await Promise.allSettled([
        inspect(ids.returnId),
        cancel(ids.orderId),
        inspect(ids.returnId),
        f.useCases.commands.sendDue(),
        f.useCases.commands.sendDue(),
      ]);
      // The replayed inspection answers like the first (same key) or waits for it; nothing fails for good.
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      await Promise.all([f.drainCommands(), f.drainCommands()]);
      await f.drainCommands();
      await expectRestockedOnce(sku, ids);
    });
  }
});
