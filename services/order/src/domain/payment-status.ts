// The order's payment dimension: its status and amounts, and the only transitions between them.
// Statuses move forward only; a late or repeated provider event that would move one backwards is
// recognised (isForward / wouldChange) and ignored rather than applied.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { type Money, money, subtract } from "./money.ts";

export const PAYMENT_METHOD_TYPES = ["card", "e_wallet", "bank_transfer", "cash_on_delivery"] as const;
export type PaymentMethodType = (typeof PAYMENT_METHOD_TYPES)[number];

// Manual methods: no provider holds money; pending until ops marks the payment received.
export const MANUAL_PAYMENT_METHODS: ReadonlySet<PaymentMethodType> = new Set([
  "bank_transfer",
  "cash_on_delivery",
]);

export function isManualMethod(method: PaymentMethodType): boolean {
  return MANUAL_PAYMENT_METHODS.has(method);
}

export const PAYMENT_STATUSES = [
  "pending",
  "authorized",
  "captured",
  "partially_refunded",
  "refunded",
  "voided",
  "declined",
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export type PaymentCommand = "authorize" | "capture" | "void" | "decline" | "refund";

// Which statuses each command may start from. Capture from pending is a manual payment received (or a
// provider that captured at once).
const ALLOWED_FROM: Record<PaymentCommand, readonly PaymentStatus[]> = {
  authorize: ["pending"],
  capture: ["pending", "authorized"],
  void: ["pending", "authorized"],
  decline: ["pending"],
  refund: ["captured", "partially_refunded"],
};

export const TERMINAL_PAYMENT_STATUSES: ReadonlySet<PaymentStatus> = new Set([
  "refunded",
  "voided",
  "declined",
]);

// Rank along the one forward path; voided and declined end the path early.
const RANK: Record<PaymentStatus, number> = {
  pending: 0,
  authorized: 1,
  captured: 2,
  partially_refunded: 3,
  refunded: 4,
  voided: 4,
  declined: 4,
};

export function canRun(status: PaymentStatus, command: PaymentCommand): boolean {
  return ALLOWED_FROM[command].includes(status);
}

export function isForward(from: PaymentStatus, to: PaymentStatus): boolean {
  if (from === to) return from === "partially_refunded";
  if (TERMINAL_PAYMENT_STATUSES.has(from)) return false;
  return RANK[to] > RANK[from];
}

export interface PaymentState {
  status: PaymentStatus;
  // What the order asks for (its total).
  amount: Money;
  authorized: Money;
  captured: Money;
  refunded: Money;
}

export function newPayment(amount: Money): PaymentState {
  const none = money(0, amount.currency);
  return { status: "pending", amount, authorized: none, captured: none, refunded: none };
}

function assertCan(state: PaymentState, command: PaymentCommand): void {
  if (!canRun(state.status, command)) {
    throw failedPrecondition(
      ErrorReason.INVALID_STATE_TRANSITION,
      `payment is ${state.status}; ${command} needs it ${ALLOWED_FROM[command].join(" or ")}`,
      { status: state.status, command },
    );
  }
}

function assertWithin(
  value: Money,
  limit: Money,
  what: string,
  reason = ErrorReason.INVARIANT_VIOLATION,
): void {
  if (value.currency !== limit.currency) {
    throw failedPrecondition(
      ErrorReason.CURRENCY_MISMATCH,
      `${what} is in ${value.currency}, not ${limit.currency}`,
    );
  }
  if (value.amountMinor > limit.amountMinor) {
    throw failedPrecondition(reason, `${what} ${value.amountMinor} is above ${limit.amountMinor}`, {
      amount: String(value.amountMinor),
      limit: String(limit.amountMinor),
    });
  }
}

// The provider holds `authorized` (at most the order's amount).
export function authorize(state: PaymentState, authorized: Money = state.amount): PaymentState {
  assertCan(state, "authorize");
  assertWithin(authorized, state.amount, "authorized amount");
  return { ...state, status: "authorized", authorized };
}

// Money taken: from an authorization (at most what it holds; the rest is released), or directly for a
// manual payment received or a provider capturing at once (then authorized = captured).
export function capture(state: PaymentState, captured: Money): PaymentState {
  assertCan(state, "capture");
  if (captured.amountMinor <= 0) {
    throw failedPrecondition(ErrorReason.VALIDATION_FAILED, "a capture must be above zero");
  }
  const limit = state.status === "pending" ? state.amount : state.authorized;
  assertWithin(captured, limit, "captured amount");
  return {
    ...state,
    status: "captured",
    authorized: state.status === "pending" ? captured : state.authorized,
    captured,
  };
}

export function voidPayment(state: PaymentState): PaymentState {
  assertCan(state, "void");
  return { ...state, status: "voided" };
}

export function decline(state: PaymentState): PaymentState {
  assertCan(state, "decline");
  return { ...state, status: "declined" };
}

export function refundable(state: PaymentState): Money {
  return subtract(state.captured, state.refunded);
}

export function refund(state: PaymentState, amount: Money): PaymentState {
  assertCan(state, "refund");
  if (amount.amountMinor <= 0) {
    throw failedPrecondition(ErrorReason.VALIDATION_FAILED, "a refund must be above zero");
  }
  assertWithin(amount, refundable(state), "refund", ErrorReason.REFUND_EXCEEDS_CAPTURED);
  const refunded = money(state.refunded.amountMinor + amount.amountMinor, state.amount.currency);
  return {
    ...state,
    status: refunded.amountMinor === state.captured.amountMinor ? "refunded" : "partially_refunded",
    refunded,
  };
}

// The invariants the payments table's CHECKs repeat.
export function paymentInvariantsHold(state: PaymentState): boolean {
  const { amount, authorized, captured, refunded } = state;
  const sameCurrency = [authorized, captured, refunded].every((m) => m.currency === amount.currency);
  return (
    sameCurrency &&
    authorized.amountMinor <= amount.amountMinor &&
    captured.amountMinor <= authorized.amountMinor &&
    refunded.amountMinor <= captured.amountMinor &&
    (state.status !== "refunded" || refunded.amountMinor === captured.amountMinor) &&
    (state.status !== "partially_refunded" ||
      (refunded.amountMinor > 0 && refunded.amountMinor < captured.amountMinor))
  );
}
