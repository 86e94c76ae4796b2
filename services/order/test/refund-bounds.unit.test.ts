// Refund bounds: never above captured minus refunded, lines bounded by their units not yet refunded,
// and what a cancellation does to the payment in each payment status.
import { ErrorReason, isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import { add, money, subtract, sum, times } from "../src/domain/money.ts";
import {
  computeRefund,
  linesValue,
  type RefundableLine,
  settlementFor,
} from "../src/domain/refund-bounds.ts";

const EUR = (n: number) => money(n, "EUR");
const captured = { status: "captured" as const, captured: EUR(10_000), refunded: EUR(0) };
const lines: RefundableLine[] = [
  { lineNumber: 1, unitPrice: EUR(2_500), ordered: 2, refundedUnits: 0 },
  { lineNumber: 2, unitPrice: EUR(1_000), ordered: 5, refundedUnits: 4 },
];

function failure(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return { kind: err.kind, reason: err.reason, field: err.field };
    throw err;
  }
  return undefined;
}

describe("money", () => {
  it("adds, subtracts and multiplies within one currency; refuses mixing, negatives and fractions", () => {
    expect(add(EUR(1), EUR(2))).toEqual(EUR(3));
    expect(times(EUR(250), 4)).toEqual(EUR(1000));
    expect(sum("EUR", [EUR(1), EUR(2), EUR(3)])).toEqual(EUR(6));
    expect(failure(() => add(EUR(1), money(1, "USD")))?.reason).toBe(ErrorReason.CURRENCY_MISMATCH);
    expect(failure(() => subtract(EUR(1), EUR(2)))?.kind).toBe("internal");
    expect(failure(() => money(1.5, "EUR"))?.kind).toBe("internal");
    expect(failure(() => money(1, "eur"))?.kind).toBe("internal");
  });
});

describe("refund bounds", () => {
  it("refunds everything refundable when nothing is named", () => {
    expect(computeRefund(captured, lines, {})).toEqual(EUR(10_000));
    expect(
      computeRefund({ status: "partially_refunded", captured: EUR(10_000), refunded: EUR(3_000) }, lines, {}),
    ).toEqual(EUR(7_000));
  });

  it("values named lines by their price snapshot, bounded by units not yet refunded", () => {
    expect(computeRefund(captured, lines, { lines: [{ lineNumber: 1, quantity: 2 }] })).toEqual(EUR(5_000));
    expect(linesValue("EUR", lines, [{ lineNumber: 2, quantity: 1 }])).toEqual(EUR(1_000));
    expect(failure(() => linesValue("EUR", lines, [{ lineNumber: 2, quantity: 2 }]))?.field).toBe(
      "lines[0].quantity",
    );
    expect(failure(() => linesValue("EUR", lines, [{ lineNumber: 9, quantity: 1 }]))?.field).toBe(
      "lines[0].line_number",
    );
    expect(
      failure(() =>
        computeRefund(captured, lines, { amount: EUR(5_001), lines: [{ lineNumber: 1, quantity: 2 }] }),
      )?.field,
    ).toBe("amount");
  });

  it("refuses more than captured minus refunded, zero, another currency, and uncaptured payments", () => {
    const partly = { status: "partially_refunded" as const, captured: EUR(10_000), refunded: EUR(9_000) };
    expect(failure(() => computeRefund(partly, lines, { amount: EUR(1_001) }))?.reason).toBe(
      ErrorReason.REFUND_EXCEEDS_CAPTURED,
    );
    expect(computeRefund(partly, lines, { amount: EUR(1_000) })).toEqual(EUR(1_000));
    expect(failure(() => computeRefund(captured, lines, { amount: EUR(0) }))?.field).toBe("amount");
    expect(failure(() => computeRefund(captured, lines, { amount: money(1, "USD") }))?.reason).toBe(
      ErrorReason.CURRENCY_MISMATCH,
    );
    expect(
      failure(() => computeRefund({ status: "authorized", captured: EUR(0), refunded: EUR(0) }, lines, {}))
        ?.reason,
    ).toBe(ErrorReason.REFUND_EXCEEDS_CAPTURED);
    expect(
      failure(() => computeRefund({ status: "refunded", captured: EUR(100), refunded: EUR(100) }, lines, {}))
        ?.reason,
    ).toBe(ErrorReason.REFUND_EXCEEDS_CAPTURED);
  });

  it("settles a cancellation by payment status", () => {
    const none = EUR(0);
    expect(settlementFor({ status: "authorized", captured: none, refunded: none }, EUR(500), none)).toEqual({
      kind: "void",
    });
    expect(
      settlementFor({ status: "authorized", captured: none, refunded: none }, EUR(500), EUR(100)),
    ).toEqual({
      kind: "capture_less_later",
    });
    expect(settlementFor(captured, EUR(500), EUR(9_500))).toEqual({ kind: "refund", amount: EUR(500) });
    expect(
      settlementFor(
        { status: "partially_refunded", captured: EUR(1_000), refunded: EUR(800) },
        EUR(500),
        none,
      ),
    ).toEqual({
      kind: "refund",
      amount: EUR(200),
    });
    for (const status of ["pending", "declined", "voided", "refunded"] as const) {
      expect(settlementFor({ status, captured: none, refunded: none }, EUR(500), none)).toEqual({
        kind: "none",
      });
    }
    expect(settlementFor(captured, EUR(0), EUR(0))).toEqual({ kind: "none" });
  });
});
