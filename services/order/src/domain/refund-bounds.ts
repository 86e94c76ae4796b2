// How much may be refunded: never more than was captured and not yet refunded, lines never above
// their price snapshot times the units not yet refunded, and what a cancellation or a shortfall owes.
import { ErrorReason, failedPrecondition, invalidArgument } from "@stockroom/errors";
import { assertSameCurrency, type Money, money, times } from "./money.ts";
import type { PaymentState, PaymentStatus } from "./payment-status.ts";

export interface RefundableLine {
  lineNumber: number;
  unitPrice: Money;
  ordered: number;
  // Units already refunded on this line (by earlier refunds, shortfalls, returns).
  refundedUnits: number;
}

export interface RefundLineRequest {
  lineNumber: number;
  quantity: number;
}

export interface RefundRequestInput {
  // Unset: everything refundable (or the lines' value when lines are given).
  amount?: Money;
  lines?: readonly RefundLineRequest[];
}

export function refundableAmount(payment: Pick<PaymentState, "captured" | "refunded">): Money {
  return money(payment.captured.amountMinor - payment.refunded.amountMinor, payment.captured.currency);
}

// The value of the named line units, each line bounded by its units not yet refunded.
export function linesValue(
  currency: string,
  lines: readonly RefundableLine[],
  requested: readonly RefundLineRequest[],
): Money {
  let total = 0;
  const seen = new Set<number>();
  requested.forEach((r, i) => {
    if (seen.has(r.lineNumber))
      throw invalidArgument(`lines[${i}].line_number`, `line ${r.lineNumber} is named twice`);
    seen.add(r.lineNumber);
    const line = lines.find((l) => l.lineNumber === r.lineNumber);
    if (!line) throw invalidArgument(`lines[${i}].line_number`, `the order has no line ${r.lineNumber}`);
    const left = line.ordered - line.refundedUnits;
    if (!Number.isInteger(r.quantity) || r.quantity < 1 || r.quantity > left) {
      throw invalidArgument(
        `lines[${i}].quantity`,
        `lines[${i}].quantity must be between 1 and the ${left} units not yet refunded, got ${r.quantity}`,
      );
    }
    assertSameCurrency(money(0, currency), line.unitPrice);
    total += times(line.unitPrice, r.quantity).amountMinor;
  });
  return money(total, currency);
}

// The amount a refund request comes to, checked against what the payment can give back.
export function computeRefund(
  payment: Pick<PaymentState, "status" | "captured" | "refunded">,
  lines: readonly RefundableLine[],
  request: RefundRequestInput,
): Money {
  if (payment.status !== "captured" && payment.status !== "partially_refunded") {
    throw failedPrecondition(
      ErrorReason.REFUND_EXCEEDS_CAPTURED,
      `payment is ${payment.status}; only captured money can be refunded`,
      { status: payment.status },
    );
  }
  const refundable = refundableAmount(payment);
  const currency = refundable.currency;
  const fromLines =
    request.lines && request.lines.length > 0 ? linesValue(currency, lines, request.lines) : undefined;
  if (request.amount) {
    assertSameCurrency(refundable, request.amount);
    if (request.amount.amountMinor <= 0) throw invalidArgument("amount", "amount must be above zero");
    if (fromLines && request.amount.amountMinor > fromLines.amountMinor) {
      throw invalidArgument(
        "amount",
        `amount ${request.amount.amountMinor} is above the ${fromLines.amountMinor} the named lines are worth`,
      );
    }
  }
  const amount = request.amount ?? fromLines ?? refundable;
  if (amount.amountMinor === 0 || amount.amountMinor > refundable.amountMinor) {
    throw failedPrecondition(
      ErrorReason.REFUND_EXCEEDS_CAPTURED,
      `refund of ${amount.amountMinor} is above the ${refundable.amountMinor} captured and not yet refunded`,
      { amount: String(amount.amountMinor), refundable: String(refundable.amountMinor) },
    );
  }
  return amount;
}

// What a cancellation (or a shortfall) does to the payment for units worth `value`, given what is
// left of the order afterwards (`remainingValue`).
export type PaymentSettlement =
  // Nothing was taken or held (manual payment not received, declined, already voided).
  | { kind: "none" }
  // The whole authorization goes.
  | { kind: "void" }
  // Authorized and part of the order stays: capture on shipment takes only what shipped.
  | { kind: "capture_less_later" }
  | { kind: "refund"; amount: Money };

export function settlementFor(
  payment: Pick<PaymentState, "status" | "captured" | "refunded">,
  value: Money,
  remainingValue: Money,
): PaymentSettlement {
  const status: PaymentStatus = payment.status;
  if (value.amountMinor === 0) return { kind: "none" };
  switch (status) {
    case "pending":
    case "declined":
    case "voided":
    case "refunded":
      return { kind: "none" };
    case "authorized":
      return remainingValue.amountMinor === 0 ? { kind: "void" } : { kind: "capture_less_later" };
    case "captured":
    case "partially_refunded": {
      const refundable = refundableAmount(payment);
      const amount = Math.min(value.amountMinor, refundable.amountMinor);
      return amount === 0 ? { kind: "none" } : { kind: "refund", amount: money(amount, refundable.currency) };
    }
  }
}
