// The warehouse floor through FulfillmentService's own RPCs with a real warehouse process: the stock walk
// of the checkout-to-return review (stock 10, order 3 → pick, pack, QC, ship → 7 on hand, 0 reserved,
// 0 committed; return 2 sellable + 1 damaged → 9 on hand, 1 damaged), waves routed by the bins' pick
// sequence across orders, wrong scans and another warehouse's list refused with nothing changed, a
// short pick posted to the warehouse once, a QC failure moving the unit to quality_control with a
// replacement shipped, and returns outside the window or of more than delivered refused.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { isGrpcCallError, status } from "@stockroom/grpc";
import { ReturnCondition } from "@stockroom/proto/stockroom/fulfillment/v1/events_pb.js";
import {
  FulfillmentOrderStatus,
  PickLineStatus,
  PickListStatus,
  QcOutcome,
  QcTrigger,
  ReturnReason,
  ReturnStatus,
} from "@stockroom/proto/stockroom/fulfillment/v1/fulfillment_pb.js";
import { uniqueSuffix } from "@stockroom/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFloorFixture, type FloorFixture } from "./support/floor-fixture.ts";

let f: FloorFixture;
const WH = `FL-${uniqueSuffix().slice(-6).toUpperCase()}`;
const OTHER = `FO-${uniqueSuffix().slice(-6).toUpperCase()}`;
let keyCounter = 0;
const key = (label: string) => `${label}-${++keyCounter}`;
const DIMENSIONS = { lengthMm: 300, widthMm: 200, heightMm: 100 };

beforeAll(async () => {
  f = await createFloorFixture();
  await f.seedWarehouse(WH, [
    { sku: "WALK-1", bin: "BIN-20", sequence: 20, quantity: 10 },
    { sku: "ROUTE-A", bin: "BIN-30", sequence: 30, quantity: 5 },
    { sku: "ROUTE-B", bin: "BIN-10", sequence: 10, quantity: 5 },
    { sku: "SHORT-1", bin: "BIN-40", sequence: 40, quantity: 10 },
    { sku: "QC-1", bin: "BIN-50", sequence: 50, quantity: 10 },
  ]);
  await f.seedWarehouse(OTHER, [{ sku: "WALK-1", bin: "BIN-1", sequence: 1, quantity: 5 }]);
}, 180_000);

afterAll(async () => {
  await f?.cleanup();
});

async function failure(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isGrpcCallError(err)) throw new Error(`expected a gRPC error, got ${String(err)}`);
  // A failed precondition names its field in the detail's metadata.
  const field = err.errorDetail?.field || err.errorDetail?.metadata.field;
  return { code: err.code, field, message: err.message };
}

async function snapshot() {
  const { rows } = await f.schema.pool.query(`
    SELECT (SELECT json_agg(l ORDER BY pick_list_id, line_number) FROM pick_list_lines l) AS pick_lines,
           (SELECT json_agg(x ORDER BY fulfillment_id, order_line_number) FROM fulfillment_lines x) AS lines,
           (SELECT count(*) FROM warehouse_commands)::int AS commands,
           (SELECT count(*) FROM outbox)::int AS events`);
  return rows[0];
}

async function wave(fulfillmentIds: string[], code = WH) {
  const { pickList } = await f.client.buildWave(
    { idempotencyKey: key("wave"), warehouseCode: code, fulfillmentIds },
    f.as("ops"),
  );
  if (!pickList) throw new Error("no pick list");
  return pickList;
}

async function pickAll(pickListId: string) {
  const { pickList } = await f.client.getPickList({ pickListId }, f.as("ops"));
  for (const line of pickList?.lines ?? []) {
    if (line.status !== PickLineStatus.PENDING) continue;
    await f.client.confirmPick(
      {
        idempotencyKey: key("pick"),
        pickListId,
        lineNumber: line.lineNumber,
        scannedBinCode: line.location?.binCode ?? "",
        scannedSku: line.sku,
      },
      f.as("ops"),
    );
  }
}

async function packAndPassQc(fulfillmentId: string) {
  const packed = await f.client.packFulfillment(
    { idempotencyKey: key("pack"), fulfillmentId, dimensions: DIMENSIONS, measuredWeightGrams: 900 },
    f.as("ops"),
  );
  const parcel = packed.package;
  if (parcel && packed.fulfillment?.status === FulfillmentOrderStatus.QC_HOLD) {
    const units = packed.fulfillment.lines.flatMap((l) =>
      Array.from({ length: l.quantities?.packed ?? 0 }, (_, i) => ({
        orderLineNumber: l.orderLineNumber,
        unitIndex: i + 1,
        outcome: QcOutcome.PASS,
      })),
    );
    await f.client.recordQcResults(
      { idempotencyKey: key("qc"), packageId: parcel.packageId, results: units },
      f.as("ops"),
    );
  }
  return packed;
}

describe("the stock walk through the fulfillment's RPCs", () => {
  it("stock 10, order 3: pick, pack, QC, ship → 7 on hand, 0 reserved, 0 committed; return 2 sellable + 1 damaged → 9 on hand, 1 damaged", async () => {
    const id = await f.openFulfillment(WH, "WALK-1", 3);
    expect(await f.level(WH, "WALK-1")).toMatchObject({ onHand: 10n, reserved: 0n, committed: 3n });
    const list = await wave([id]);
    expect(list.lines).toMatchObject([{ sku: "WALK-1", quantity: 3, location: { binCode: "BIN-20" } }]);

    // Wrong bin, wrong sku, another warehouse: refused, field named, nothing changed.
    const before = await snapshot();
    const scan = {
      pickListId: list.pickListId,
      lineNumber: 1,
      scannedBinCode: "BIN-20",
      scannedSku: "WALK-1",
    };
    expect(
      await failure(
        f.client.confirmPick({ ...scan, idempotencyKey: key("bad"), scannedBinCode: "BIN-30" }, f.as("ops")),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: "scanned_bin_code" });
    expect(
      await failure(
        f.client.confirmPick({ ...scan, idempotencyKey: key("bad"), scannedSku: "ROUTE-A" }, f.as("ops")),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: "scanned_sku" });
    expect(
      await failure(
        f.client.confirmPick({ ...scan, idempotencyKey: key("bad"), warehouseCode: OTHER }, f.as("ops")),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: "warehouse_code" });
    expect(
      await failure(f.client.confirmPick({ ...scan, idempotencyKey: key("bad"), quantity: 4 }, f.as("ops"))),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: "quantity" });
    expect(await snapshot()).toEqual(before);

    const picked = await f.client.confirmPick(
      { ...scan, idempotencyKey: key("pick"), warehouseCode: WH },
      f.as("ops"),
    );
    expect(picked.pickList).toMatchObject({
      status: PickListStatus.COMPLETED,
      progress: { linesTotal: 1, linesDone: 1, unitsTotal: 3, unitsPicked: 3, unitsShort: 0 },
    });
    // No catalog weight is known here: the package is held for QC on its weight, and passes.
    const packed = await packAndPassQc(id);
    expect(packed.package?.qcTriggers).toContain(QcTrigger.WEIGHT_MISMATCH);
    const { fulfillment: afterQc } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
    expect(afterQc?.status).toBe(FulfillmentOrderStatus.PACKED);

    await f.client.shipFulfillment(
      {
        idempotencyKey: key("ship"),
        fulfillmentId: id,
        carrier: "dhl",
        trackingNumber: `T-${uniqueSuffix()}`,
      },
      f.as("ops"),
    );
    // The shipment is recorded; the warehouse moves only when the worker sends the command.
    expect(await f.level(WH, "WALK-1")).toMatchObject({ onHand: 10n, committed: 3n });
    await f.drainCommands();
    expect(await f.level(WH, "WALK-1")).toMatchObject({ onHand: 7n, reserved: 0n, committed: 0n });

    await f.client.confirmDelivery({ idempotencyKey: key("deliver"), fulfillmentId: id }, f.as("ops"));
    // More than delivered: refused, the field named, nothing written.
    const beforeReturn = await snapshot();
    expect(
      await failure(
        f.client.requestReturn(
          {
            idempotencyKey: key("ret"),
            fulfillmentId: id,
            customerId: "cust-floor",
            lines: [{ orderLineNumber: 1, quantity: 4 }],
            reason: ReturnReason.DEFECTIVE,
          },
          f.as("storefront"),
        ),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: "lines[0].quantity" });
    // Another customer's fulfillment is not found.
    expect(
      await failure(
        f.client.requestReturn(
          {
            idempotencyKey: key("ret"),
            fulfillmentId: id,
            customerId: "someone-else",
            lines: [{ orderLineNumber: 1, quantity: 1 }],
            reason: ReturnReason.DEFECTIVE,
          },
          f.as("storefront"),
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND });
    expect(await snapshot()).toEqual(beforeReturn);

    const { return: requested } = await f.client.requestReturn(
      {
        idempotencyKey: key("ret"),
        fulfillmentId: id,
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
    const { return: inspected } = await f.client.inspectReturn(
      {
        idempotencyKey: key("insp"),
        returnId,
        dispositions: [
          { orderLineNumber: 1, condition: ReturnCondition.SELLABLE, quantity: 2 },
          { orderLineNumber: 1, condition: ReturnCondition.DAMAGED, quantity: 1 },
        ],
      },
      f.as("ops"),
    );
    expect(inspected?.status).toBe(ReturnStatus.INSPECTED);
    await f.drainCommands();
    await f.drainCommands();
    expect(await f.level(WH, "WALK-1")).toMatchObject({
      onHand: 9n,
      damaged: 1n,
      reserved: 0n,
      committed: 0n,
    });
    const { return: closed } = await f.client.getReturn(
      { returnId, customerId: "cust-floor" },
      f.as("storefront"),
    );
    expect(closed).toMatchObject({
      status: ReturnStatus.CLOSED,
      lines: [{ restocked: 3, sellable: 2, damaged: 1 }],
    });
  });

  it("a return outside the window is refused naming fulfillment_id, and nothing is written", async () => {
    const id = await f.openFulfillment(WH, "WALK-1", 1);
    const list = await wave([id]);
    await pickAll(list.pickListId);
    await packAndPassQc(id);
    await f.client.shipFulfillment(
      {
        idempotencyKey: key("ship"),
        fulfillmentId: id,
        carrier: "dhl",
        trackingNumber: `T-${uniqueSuffix()}`,
      },
      f.as("ops"),
    );
    await f.drainCommands();
    // A delivery time before the parcel shipped is refused, naming the field.
    expect(
      await failure(
        f.client.confirmDelivery(
          {
            idempotencyKey: key("deliver"),
            fulfillmentId: id,
            deliveredAt: timestampFromDate(new Date(Date.now() - 31 * 24 * 3600 * 1000)),
          },
          f.as("ops"),
        ),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT, field: "delivered_at" });
    await f.client.confirmDelivery({ idempotencyKey: key("deliver"), fulfillmentId: id }, f.as("ops"));
    // 31 days later (the default window is 30).
    f.setClockOffset(31 * 24 * 3600 * 1000);
    const before = await snapshot();
    expect(
      await failure(
        f.client.requestReturn(
          {
            idempotencyKey: key("late"),
            fulfillmentId: id,
            customerId: "cust-floor",
            lines: [{ orderLineNumber: 1, quantity: 1 }],
            reason: ReturnReason.CHANGE_OF_MIND,
          },
          f.as("storefront"),
        ),
      ),
    ).toMatchObject({ code: status.FAILED_PRECONDITION, field: "fulfillment_id" });
    expect(await snapshot()).toEqual(before);
    f.setClockOffset(0);
  });
});

describe("waves and picking", () => {
  it("batches several orders on one list, lines in the bins' pick sequence, with progress per list", async () => {
    const a = await f.openFulfillment(WH, "ROUTE-A", 2);
    const b = await f.openFulfillment(WH, "ROUTE-B", 1);
    const list = await wave([a, b]);
    // BIN-10 (sequence 10) before BIN-30 (sequence 30), whatever the order's age.
    expect(list.lines.map((l) => [l.lineNumber, l.location?.binCode, l.sku, l.fulfillmentId])).toEqual([
      [1, "BIN-10", "ROUTE-B", b],
      [2, "BIN-30", "ROUTE-A", a],
    ]);
    expect([...list.fulfillmentIds].sort()).toEqual([a, b].sort());
    expect(list.progress).toMatchObject({ linesTotal: 2, linesDone: 0, unitsTotal: 3 });
    // A fulfillment already on a wave is not taken again.
    expect(
      await failure(
        f.client.buildWave(
          { idempotencyKey: key("again"), warehouseCode: WH, fulfillmentIds: [a] },
          f.as("ops"),
        ),
      ),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      field: "fulfillment_ids",
    });
    const first = await f.client.confirmPick(
      {
        idempotencyKey: key("pick"),
        pickListId: list.pickListId,
        lineNumber: 1,
        scannedBinCode: "bin-10",
        scannedSku: "ROUTE-B",
      },
      f.as("ops"),
    );
    expect(first.pickList).toMatchObject({
      status: PickListStatus.IN_PROGRESS,
      progress: { linesDone: 1, unitsPicked: 1 },
    });
    const csv = [];
    for await (const chunk of f.client.exportPickList({ pickListId: list.pickListId }, f.as("ops"))) {
      csv.push(Buffer.from(chunk.csvChunk).toString("utf8"));
    }
    const rows = csv.join("").trim().split("\n");
    expect(rows[0]).toMatch(/^line_number,bin_code/);
    expect(rows.slice(1).map((r) => r.split(",").slice(0, 2))).toEqual([
      ["1", "BIN-10"],
      ["2", "BIN-30"],
    ]);
    const { fulfillment } = await f.client.getFulfillmentOrder({ fulfillmentId: b }, f.as("ops"));
    expect(fulfillment?.status).toBe(FulfillmentOrderStatus.PICKED);
    const { fulfillments } = await f.client.listFulfillmentOrders(
      { warehouseCode: WH, statuses: [FulfillmentOrderStatus.PICKING] },
      f.as("ops"),
    );
    expect(fulfillments.map((x) => x.fulfillmentId)).toContain(a);
  });

  it("a replayed ConfirmPick (same key) answers the first time's list and picks nothing twice", async () => {
    const id = await f.openFulfillment(WH, "ROUTE-A", 1);
    const list = await wave([id]);
    const request = {
      idempotencyKey: key("replay"),
      pickListId: list.pickListId,
      lineNumber: 1,
      scannedBinCode: "BIN-30",
      scannedSku: "ROUTE-A",
    };
    await f.client.confirmPick(request, f.as("ops"));
    const again = await f.client.confirmPick(request, f.as("ops"));
    expect(again.pickList?.progress).toMatchObject({ unitsPicked: 1, unitsTotal: 1 });
    const { rows } = await f.schema.pool.query(
      "SELECT picked FROM fulfillment_lines WHERE fulfillment_id = $1",
      [id],
    );
    expect(rows).toEqual([{ picked: 1 }]);
  });

  it("a short pick: the line short, FulfillmentShort written, the missing units posted once as a loss on the warehouse", async () => {
    const id = await f.openFulfillment(WH, "SHORT-1", 3);
    const list = await wave([id]);
    const before = await f.level(WH, "SHORT-1");
    const { pickList } = await f.client.reportShortPick(
      {
        idempotencyKey: key("short"),
        pickListId: list.pickListId,
        lineNumber: 1,
        scannedBinCode: "BIN-40",
        foundQuantity: 2,
        reason: "only two in the bin",
      },
      f.as("ops"),
    );
    expect(pickList?.lines[0]).toMatchObject({ picked: 2, short: 1, status: PickLineStatus.SHORT });
    await f.drainCommands();
    await f.drainCommands();
    expect(await f.level(WH, "SHORT-1")).toMatchObject({ onHand: before.onHand - 1n });
    const { fulfillment } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
    expect(fulfillment).toMatchObject({
      status: FulfillmentOrderStatus.PICKED,
      lines: [{ quantities: { ordered: 3, picked: 2, short: 1 } }],
    });
    const { rows } = await f.schema.pool.query(
      "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY aggregate_version",
      [id],
    );
    expect(rows.map((r) => r.event_type)).toEqual([
      "FulfillmentCreated",
      "FulfillmentShort",
      "FulfillmentPicked",
    ]);
    const { rows: commands } = await f.schema.pool.query(
      "SELECT kind, status, attempts FROM warehouse_commands WHERE aggregate_id = $1 AND kind = 'adjust_stock'",
      [id],
    );
    expect(commands).toEqual([{ kind: "adjust_stock", status: "sent", attempts: 1 }]);
  });

  it("a QC failure: the unit goes to quality_control, a replacement is picked in the next wave and shipped; stock exact", async () => {
    const id = await f.openFulfillment(WH, "QC-1", 3);
    await pickAll((await wave([id])).pickListId);
    const packed = await f.client.packFulfillment(
      { idempotencyKey: key("pack"), fulfillmentId: id, dimensions: DIMENSIONS, measuredWeightGrams: 900 },
      f.as("ops"),
    );
    const packageId = packed.package?.packageId ?? "";
    const qc = await f.client.recordQcResults(
      {
        idempotencyKey: key("qc"),
        packageId,
        results: [
          { orderLineNumber: 1, unitIndex: 1, outcome: QcOutcome.PASS },
          { orderLineNumber: 1, unitIndex: 2, outcome: QcOutcome.FAIL_QUALITY_CONTROL, reason: "scratched" },
          { orderLineNumber: 1, unitIndex: 3, outcome: QcOutcome.PASS },
        ],
      },
      f.as("ops"),
    );
    expect(qc.fulfillment?.status).toBe(FulfillmentOrderStatus.OPEN);
    expect(qc.package?.status).toBeDefined();
    await f.drainCommands();
    expect(await f.level(WH, "QC-1")).toMatchObject({ onHand: 9n, qualityControl: 1n, committed: 3n });
    // The replacement: one unit on the next wave, then the three pass and ship.
    const second = await wave([id]);
    expect(second.lines).toMatchObject([{ sku: "QC-1", quantity: 1 }]);
    await pickAll(second.pickListId);
    await packAndPassQc(id);
    await f.client.shipFulfillment(
      {
        idempotencyKey: key("ship"),
        fulfillmentId: id,
        carrier: "ups",
        trackingNumber: `T-${uniqueSuffix()}`,
      },
      f.as("ops"),
    );
    await f.drainCommands();
    expect(await f.level(WH, "QC-1")).toMatchObject({
      onHand: 6n,
      qualityControl: 1n,
      committed: 0n,
      reserved: 0n,
    });
    const { fulfillment } = await f.client.getFulfillmentOrder({ fulfillmentId: id }, f.as("ops"));
    expect(fulfillment?.lines[0]?.quantities).toMatchObject({ ordered: 3, picked: 3, shipped: 3, short: 0 });
  });
});
