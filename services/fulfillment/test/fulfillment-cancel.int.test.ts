// OrderCancelled part-way through the floor (partial line cancels), with a real warehouse process: a line
// of 3 with 2 picked has its 3 unshipped units cancelled and exactly the 2 picked put back, its pick line
// is cancelled and the list completes, later scans are refused; a packed parcel is opened so it cannot
// ship; the warehouse's stock is not moved by the cancel (the order service releases the commitment), so
// nothing can be released twice; a redelivered cancel changes nothing.
import { isGrpcCallError, status } from "@stockroom/grpc";
import {
  FulfillmentOrderStatus,
  PackageStatus,
  PickListStatus,
  QcOutcome,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFloorFixture, type FloorFixture } from "./support/floor-fixture.ts";

let f: FloorFixture;
const WH = `CX-${uniqueSuffix().slice(-6).toUpperCase()}`;

beforeAll(async () => {
  f = await createFloorFixture();
  await f.seedWarehouse(WH, [
    { sku: "CX-1", bin: "BIN-1", sequence: 1, quantity: 10 },
    { sku: "CX-2", bin: "BIN-2", sequence: 2, quantity: 10 },
  ]);
}, 180_000);

afterAll(async () => {
  await f?.cleanup();
});

async function orderOf(fulfillmentId: string): Promise<string> {
  const { fulfillment } = await f.client.getFulfillmentOrder({ fulfillmentId }, f.as("ops"));
  return fulfillment?.orderId ?? "";
}

const cancel = (orderId: string) =>
  f.deps.transaction((trx) =>
    f.useCases.orderEvents.cancelFulfillments(trx, { orderId, reason: "customer cancelled" }),
  );

describe("OrderCancelled part-way", () => {
  it("mid-pick: every unshipped unit cancelled, exactly the 2 picked put back, the list done, later scans refused", async () => {
    const id = await f.openFulfillment(WH, "CX-1", 3);
    const { pickList } = await f.client.buildWave(
      { idempotencyKey: `cx-wave-${id}`, warehouseCode: WH, fulfillmentIds: [id] },
      f.as("ops"),
    );
    const pickListId = pickList?.pickListId ?? "";
    const scan = { pickListId, lineNumber: 1, scannedBinCode: "BIN-1", scannedSku: "CX-1" };
    await f.client.confirmPick({ ...scan, idempotencyKey: `cx-pick-${id}`, quantity: 2 }, f.as("ops"));
    const before = await f.level(WH, "CX-1");

    const [cancelled] = await cancel(await orderOf(id));
    expect(cancelled?.lines).toEqual([
      { orderLineNumber: 1, sku: "CX-1", lotCode: "", cancelled: 3, putBack: 2 },
    ]);
    const { fulfillment } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
    expect(fulfillment).toMatchObject({
      status: FulfillmentOrderStatus.CANCELLED,
      lines: [{ quantities: { ordered: 3, picked: 0, short: 0, cancelled: 3 } }],
    });
    const { pickList: after } = await f.client.getPickList({ pickListId }, f.as("ops"));
    expect(after?.status).toBe(PickListStatus.COMPLETED);
    const err = await f.client
      .confirmPick({ ...scan, idempotencyKey: `cx-late-${id}`, quantity: 1 }, f.as("ops"))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isGrpcCallError(err) && err.code).toBe(status.FAILED_PRECONDITION);
    // The cancel moved no stock here; a redelivered cancel changes nothing.
    expect(await f.level(WH, "CX-1")).toEqual(before);
    expect(await cancel(await orderOf(id))).toEqual([]);
    const { rows } = await f.schema.pool.query(
      "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY aggregate_version",
      [id],
    );
    expect(rows.map((r) => r.event_type)).toEqual(["FulfillmentCreated", "FulfillmentCancelled"]);
  });

  it("packed: the parcel is opened and can no longer ship; all its units put back", async () => {
    const id = await f.openFulfillment(WH, "CX-2", 2);
    const { pickList } = await f.client.buildWave(
      { idempotencyKey: `cx-wave-${id}`, warehouseCode: WH, fulfillmentIds: [id] },
      f.as("ops"),
    );
    await f.client.confirmPick(
      {
        idempotencyKey: `cx-pick-${id}`,
        pickListId: pickList?.pickListId ?? "",
        lineNumber: 1,
        scannedBinCode: "BIN-2",
        scannedSku: "CX-2",
      },
      f.as("ops"),
    );
    const packed = await f.client.packFulfillment(
      {
        idempotencyKey: `cx-pack-${id}`,
        fulfillmentId: id,
        dimensions: { lengthMm: 5, widthMm: 5, heightMm: 5 },
        measuredWeightGrams: 100,
      },
      f.as("ops"),
    );
    await f.client.recordQcResults(
      {
        idempotencyKey: `cx-qc-${id}`,
        packageId: packed.package?.packageId ?? "",
        results: [1, 2].map((unitIndex) => ({ orderLineNumber: 1, unitIndex, outcome: QcOutcome.PASS })),
      },
      f.as("ops"),
    );
    const [cancelled] = await cancel(await orderOf(id));
    expect(cancelled?.lines).toEqual([
      { orderLineNumber: 1, sku: "CX-2", lotCode: "", cancelled: 2, putBack: 2 },
    ]);
    const { fulfillment } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
    expect(fulfillment?.packages.map((p) => p.status)).toEqual([PackageStatus.VOIDED]);
    const err = await f.client
      .shipFulfillment(
        {
          idempotencyKey: `cx-ship-${id}`,
          fulfillmentId: id,
          carrier: "dhl",
          trackingNumber: `X-${uniqueSuffix()}`,
        },
        f.as("ops"),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isGrpcCallError(err) && err.code).toBe(status.FAILED_PRECONDITION);
    const { rows } = await f.schema.pool.query(
      "SELECT count(*)::int AS n FROM warehouse_commands WHERE aggregate_id = $1 AND kind = 'ship_reservation'",
      [id],
    );
    expect(rows[0]?.n).toBe(0);
  });
});
