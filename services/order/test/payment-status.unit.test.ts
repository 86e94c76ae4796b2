// The payment dimension: the command table exhaustively, amounts bounded (authorized <= amount,
// captured <= authorized, refunded <= captured), statuses derived from amounts, and only forward moves.
import { ErrorReason, isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import { money } from "../src/domain/money.ts";
import {
  authorize,
  canRun,
  capture,
  decline,
  isForward,
  isManualMethod,
  newPayment,
  PAYMENT_STATUSES,
  type PaymentCommand,
  type PaymentStatus,
  paymentInvariantsHold,
  refund,
  refundable,
  voidPayment,
} from "../src/domain/payment-status.ts";

const EUR = (n: number) => money(n, "EUR");
const ALLOWED: Record<PaymentStatus, PaymentCommand[]> = {
  pending: ["authorize", "capture", "void", "decline"],
  authorized: ["capture", "void"],
  captured: ["refund"],
  partially_refunded: ["refund"],
  refunded: [],
  voided: [],
  declined: [],
};
const COMMANDS: PaymentCommand[] = ["authorize", "capture", "void", "decline", "refund"];

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.reason : err;
  }
  return "no error";
}

describe("payment status", () => {
  for (const status of PAYMENT_STATUSES) {
    for (const command of COMMANDS) {
      const allowed = ALLOWED[status].includes(command);
      it(`${command} from ${status}: ${allowed ? "allowed" : "refused"}`, () => {
        expect(canRun(status, command)).toBe(allowed);
      });
    }
  }

  it("authorize, partial capture, refunds in parts up to the captured amount", () => {
    let p = newPayment(EUR(10_000));
    p = authorize(p);
    expect(p).toMatchObject({ status: "authorized", authorized: EUR(10_000) });
    p = capture(p, EUR(8_000));
    expect(p).toMatchObject({ status: "captured", captured: EUR(8_000), authorized: EUR(10_000) });
    p = refund(p, EUR(3_000));
    expect(p.status).toBe("partially_refunded");
    expect(refundable(p)).toEqual(EUR(5_000));
    p = refund(p, EUR(2_000));
    expect(p.status).toBe("partially_refunded");
    expect(reasonOf(() => refund(p, EUR(3_001)))).toBe(ErrorReason.REFUND_EXCEEDS_CAPTURED);
    p = refund(p, EUR(3_000));
    expect(p).toMatchObject({ status: "refunded", refunded: EUR(8_000) });
    expect(paymentInvariantsHold(p)).toBe(true);
    expect(reasonOf(() => refund(p, EUR(1)))).toBe(ErrorReason.INVALID_STATE_TRANSITION);
  });

  it("refuses a capture above the authorization, an authorization above the amount, zero and other currencies", () => {
    const p = authorize(newPayment(EUR(500)), EUR(400));
    expect(reasonOf(() => capture(p, EUR(401)))).toBe(ErrorReason.INVARIANT_VIOLATION);
    expect(reasonOf(() => capture(p, EUR(0)))).toBe(ErrorReason.VALIDATION_FAILED);
    expect(reasonOf(() => capture(p, money(100, "USD")))).toBe(ErrorReason.CURRENCY_MISMATCH);
    expect(reasonOf(() => authorize(newPayment(EUR(500)), EUR(501)))).toBe(ErrorReason.INVARIANT_VIOLATION);
  });

  it("a manual payment received is a capture from pending (authorized = captured)", () => {
    const p = capture(newPayment(EUR(700)), EUR(700));
    expect(p).toMatchObject({ status: "captured", authorized: EUR(700), captured: EUR(700) });
    expect(paymentInvariantsHold(p)).toBe(true);
    expect(isManualMethod("bank_transfer")).toBe(true);
    expect(isManualMethod("card")).toBe(false);
  });

  it("void and decline end the payment", () => {
    expect(voidPayment(authorize(newPayment(EUR(1)))).status).toBe("voided");
    expect(decline(newPayment(EUR(1))).status).toBe("declined");
    expect(reasonOf(() => voidPayment(capture(newPayment(EUR(1)), EUR(1))))).toBe(
      ErrorReason.INVALID_STATE_TRANSITION,
    );
  });

  it("moves only forward, so a late webhook cannot move a payment back", () => {
    expect(isForward("pending", "authorized")).toBe(true);
    expect(isForward("authorized", "captured")).toBe(true);
    expect(isForward("captured", "authorized")).toBe(false);
    expect(isForward("voided", "authorized")).toBe(false);
    expect(isForward("refunded", "partially_refunded")).toBe(false);
    expect(isForward("partially_refunded", "partially_refunded")).toBe(true);
    expect(isForward("authorized", "authorized")).toBe(false);
  });

  it("flags broken amounts", () => {
    const p = newPayment(EUR(100));
    expect(
      paymentInvariantsHold({ ...p, status: "captured", authorized: EUR(100), captured: EUR(101) }),
    ).toBe(false);
    expect(
      paymentInvariantsHold({
        ...p,
        status: "refunded",
        authorized: EUR(100),
        captured: EUR(100),
        refunded: EUR(50),
      }),
    ).toBe(false);
  });
});
