// What the payment owes after checkout: capture on shipment (once for everything still deliverable on a
// provider that captures once, per shipment on a multicapture one), and what dropped units (short,
// cancelled) do to the money (refund when captured or about to be, void when nothing ships, else the
// later capture takes less).
import { describe, expect, it } from "vitest";
import {
  captureOnShipment,
  type PricedLine,
  SINGLE_CAPTURE_SOURCE,
  settleDroppedUnits,
} from "../src/domain/settlement-plan.ts";

const line = (
  lineNumber: number,
  price: number,
  q: Partial<PricedLine> & { ordered: number },
): PricedLine => ({
  lineNumber,
  unitPriceMinor: price,
  allocated: q.ordered,
  shipped: 0,
  delivered: 0,
  short: 0,
  returned: 0,
  cancelled: 0,
  ...q,
});
const authorized = { status: "authorized", authorizedMinor: 4_000, capturedMinor: 0, refundedMinor: 0 };
const shipment = { sourceKey: "f1:s1", units: [{ lineNumber: 1, quantity: 3 }] };

describe("captureOnShipment", () => {
  const lines = [line(1, 1_000, { ordered: 3, shipped: 3 }), line(2, 500, { ordered: 2 })];

  it("captures everything deliverable once on a single-capture provider", () => {
    expect(
      captureOnShipment({
        payment: authorized,
        multipleCaptures: false,
        lines,
        extrasMinor: 0,
        shipment,
        captureRecorded: false,
      }),
    ).toEqual({ kind: "capture", amountMinor: 4_000, sourceKey: SINGLE_CAPTURE_SOURCE });
    expect(
      captureOnShipment({
        payment: authorized,
        multipleCaptures: false,
        lines,
        extrasMinor: 0,
        shipment,
        captureRecorded: true,
      }),
    ).toEqual({ kind: "none" });
  });

  it("leaves short and cancelled units out of the capture (partial capture)", () => {
    const partly = [
      line(1, 1_000, { ordered: 3, shipped: 3 }),
      line(2, 500, { ordered: 2, allocated: 0, short: 2 }),
    ];
    expect(
      captureOnShipment({
        payment: authorized,
        multipleCaptures: false,
        lines: partly,
        extrasMinor: 0,
        shipment,
        captureRecorded: false,
      }),
    ).toMatchObject({ amountMinor: 3_000 });
  });

  it("captures per shipment on a multicapture provider, extras with the last units", () => {
    expect(
      captureOnShipment({
        payment: authorized,
        multipleCaptures: true,
        lines,
        extrasMinor: 200,
        shipment,
        captureRecorded: true,
      }),
    ).toEqual({ kind: "capture", amountMinor: 3_000, sourceKey: "f1:s1" });
    const last = [line(1, 1_000, { ordered: 3, shipped: 3 }), line(2, 500, { ordered: 2, shipped: 2 })];
    expect(
      captureOnShipment({
        payment: { ...authorized, authorizedMinor: 4_200, status: "captured", capturedMinor: 3_000 },
        multipleCaptures: true,
        lines: last,
        extrasMinor: 200,
        shipment: { sourceKey: "f2:s2", units: [{ lineNumber: 2, quantity: 2 }] },
        captureRecorded: true,
      }),
    ).toEqual({ kind: "capture", amountMinor: 1_200, sourceKey: "f2:s2" });
  });

  it("never captures a payment that is not authorized, nor above what is authorized", () => {
    for (const status of ["pending", "voided", "captured", "declined"]) {
      expect(
        captureOnShipment({
          payment: { ...authorized, status },
          multipleCaptures: false,
          lines,
          extrasMinor: 0,
          shipment,
          captureRecorded: false,
        }),
      ).toEqual({ kind: "none" });
    }
    expect(
      captureOnShipment({
        payment: { ...authorized, authorizedMinor: 2_500 },
        multipleCaptures: false,
        lines,
        extrasMinor: 0,
        shipment,
        captureRecorded: false,
      }),
    ).toMatchObject({ amountMinor: 2_500 });
  });
});

describe("settleDroppedUnits", () => {
  it("refunds dropped units of a captured payment, bounded by what is refundable", () => {
    const lines = [line(1, 1_000, { ordered: 3, shipped: 3 })];
    const captured = {
      status: "partially_refunded",
      authorizedMinor: 4_000,
      capturedMinor: 4_000,
      refundedMinor: 3_500,
    };
    expect(
      settleDroppedUnits({ payment: captured, capturePending: false, droppedValue: 1_000, lines }),
    ).toEqual({
      kind: "refund",
      amountMinor: 500,
    });
  });

  it("refunds after a capture still on its way", () => {
    expect(
      settleDroppedUnits({
        payment: authorized,
        capturePending: true,
        droppedValue: 1_000,
        lines: [line(1, 1_000, { ordered: 1 })],
      }),
    ).toEqual({ kind: "refund", amountMinor: 1_000 });
  });

  it("voids an authorization when nothing of the order will ship, else leaves it for a smaller capture", () => {
    const nothing = [line(1, 1_000, { ordered: 2, allocated: 0, short: 2 })];
    expect(
      settleDroppedUnits({ payment: authorized, capturePending: false, droppedValue: 2_000, lines: nothing }),
    ).toEqual({
      kind: "void",
    });
    const some = [line(1, 1_000, { ordered: 2, allocated: 0, short: 2 }), line(2, 500, { ordered: 1 })];
    expect(
      settleDroppedUnits({ payment: authorized, capturePending: false, droppedValue: 2_000, lines: some }),
    ).toEqual({
      kind: "none",
    });
  });

  it("does nothing for nothing dropped or a payment that holds no money", () => {
    const lines = [line(1, 1_000, { ordered: 1 })];
    expect(
      settleDroppedUnits({ payment: authorized, capturePending: false, droppedValue: 0, lines }),
    ).toEqual({ kind: "none" });
    for (const status of ["pending", "voided", "declined", "refunded"]) {
      expect(
        settleDroppedUnits({
          payment: { ...authorized, status },
          capturePending: false,
          droppedValue: 1_000,
          lines,
        }),
      ).toEqual({ kind: "none" });
    }
  });
});
