// The checkout saga (ARCHITECTURE section 9): its ordered steps as exported constants, each step's
// output, the outcomes a step run can have, the saga's statuses and their transitions, and the rules
// that pick what happens next. Pure: the app layer runs the steps and persists every outcome before the
// next step starts; a crash resumes from the persisted state.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import type { Money } from "./money.ts";
import type { PaymentMethodType } from "./payment-status.ts";

export const VALIDATE_CART = "checkout.validate-cart";
export const RESERVE_STOCK = "checkout.reserve-stock";
export const AUTHORIZE_PAYMENT = "checkout.authorize-payment";
export const CONFIRM_RESERVATION = "checkout.confirm-reservation";
export const CONFIRM_ORDER = "checkout.confirm-order";

export const CHECKOUT_STEPS = [
  VALIDATE_CART,
  RESERVE_STOCK,
  AUTHORIZE_PAYMENT,
  CONFIRM_RESERVATION,
  CONFIRM_ORDER,
] as const;
export type CheckoutStepId = (typeof CHECKOUT_STEPS)[number];

// After the pivot a failure no longer simply stops: money is held, so it is voided or refunded.
export const PIVOT_STEP: CheckoutStepId = AUTHORIZE_PAYMENT;

// Steps whose run changes something elsewhere, so they have an undo (in reverse order).
export const COMPENSABLE_STEPS: ReadonlySet<CheckoutStepId> = new Set([RESERVE_STOCK, AUTHORIZE_PAYMENT]);

export function stepIndex(step: CheckoutStepId): number {
  return CHECKOUT_STEPS.indexOf(step);
}

export function isAfterPivot(step: CheckoutStepId): boolean {
  return stepIndex(step) > stepIndex(PIVOT_STEP);
}

export function nextStepAfter(step: CheckoutStepId): CheckoutStepId | undefined {
  return CHECKOUT_STEPS[stepIndex(step) + 1];
}

// The deterministic key of a step's remote call: a rerun gets the first answer back.
export function stepKey(checkoutId: string, step: CheckoutStepId): string {
  return `${checkoutId}:${step}`;
}

export function undoKey(checkoutId: string, step: CheckoutStepId): string {
  return `${checkoutId}:${step}:undo`;
}

// A second reservation after the first expired past the pivot needs its own key.
export function reReserveKey(checkoutId: string, attempt: number): string {
  return `${checkoutId}:${RESERVE_STOCK}:again-${attempt}`;
}

// --- What each step returns (persisted as the step's output) ---

export interface PricedLine {
  lineNumber: number;
  sku: string;
  productName: string;
  quantity: number;
  warehouseCode: string | null;
  unitPrice: Money;
}

export interface ValidateCartOutput {
  lines: PricedLine[];
  total: Money;
  paymentMethod: PaymentMethodType;
  // The cart held its stock from add-to-cart: the reserve step takes that hold over.
  heldFromCart?: boolean;
}

export interface LineAllocationOutput {
  lineNumber: number;
  warehouseCode: string;
  lotCode: string;
  quantity: number;
}

export interface ReserveStockOutput {
  reservationId: string;
  // ISO time; the saga extends the hold while the payment outcome is unknown.
  expiresAt: string;
}

export interface AuthorizePaymentOutput {
  provider: string;
  providerPaymentId: string | null;
  status: "authorized" | "captured" | "pending";
}

export interface ConfirmReservationOutput {
  reservationId: string;
  allocations: LineAllocationOutput[];
}

export type ConfirmOrderOutput = Record<string, never>;

export interface StepOutputs {
  [VALIDATE_CART]: ValidateCartOutput;
  [RESERVE_STOCK]: ReserveStockOutput;
  [AUTHORIZE_PAYMENT]: AuthorizePaymentOutput;
  [CONFIRM_RESERVATION]: ConfirmReservationOutput;
  [CONFIRM_ORDER]: ConfirmOrderOutput;
}

// --- What one run of a step can come to ---

export interface ShortLine {
  lineNumber: number;
  sku: string;
  warehouseCode: string | null;
  requested: number;
  available: number;
}

export type RefusalReason =
  // Before the pivot: the order is rejected, the cart can be checked out again.
  | "product_unavailable"
  | "insufficient_stock"
  | "payment_declined"
  | "payment_method_not_supported"
  // Before the pivot a dependency kept failing until the attempts ran out.
  | "dependency_unavailable"
  // After the pivot: the reservation lapsed and stock could not be reserved again.
  | "stock_lost";

export type StepOutcome<S extends CheckoutStepId = CheckoutStepId> =
  | { kind: "done"; output: StepOutputs[S] }
  // A business answer that ends the checkout: compensate what ran, reject (or cancel) the order.
  | { kind: "refused"; reason: RefusalReason; message: string; shortfall?: ShortLine[] }
  // Nothing wrong, not yet: a manual payment not yet received, a provider still processing or not
  // answering (unknown). Run the same step again at `until`, same key.
  | { kind: "wait"; until: Date; why: "payment_pending" | "payment_unknown" }
  // The reservation lapsed before it was confirmed (after the pivot): reserve again, or give up.
  | { kind: "reservation_expired" }
  // A transient failure (dependency unavailable, conflict): retry with backoff, same key.
  | { kind: "retry"; error: string };

// --- The saga's own status ---

export const CHECKOUT_STATUSES = [
  "running",
  "awaiting_payment",
  "compensating",
  "confirmed",
  "failed",
  "needs_attention",
  "abandoned",
] as const;
export type CheckoutStatus = (typeof CHECKOUT_STATUSES)[number];

export const TERMINAL_CHECKOUT_STATUSES: ReadonlySet<CheckoutStatus> = new Set([
  "confirmed",
  "failed",
  "abandoned",
]);

export const ATTENTION_REASONS = [
  "payment_outcome_unknown",
  "compensation_failed",
  "dependency_unavailable",
  "stock_lost_after_payment",
  "unexpected_error",
] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

const CHECKOUT_TRANSITIONS: Record<CheckoutStatus, readonly CheckoutStatus[]> = {
  running: ["awaiting_payment", "compensating", "confirmed", "needs_attention"],
  awaiting_payment: ["running", "compensating", "confirmed", "needs_attention"],
  compensating: ["failed", "abandoned", "needs_attention"],
  // Ops: RetryCheckout puts it back to where it was going; AbandonCheckout compensates.
  needs_attention: ["running", "awaiting_payment", "compensating"],
  confirmed: [],
  failed: [],
  abandoned: [],
};

export function canMove(from: CheckoutStatus, to: CheckoutStatus): boolean {
  return CHECKOUT_TRANSITIONS[from].includes(to);
}

export function assertCheckoutMove(checkoutId: string, from: CheckoutStatus, to: CheckoutStatus): void {
  if (!canMove(from, to)) {
    throw failedPrecondition(
      to === "running" ? ErrorReason.CHECKOUT_NOT_RETRYABLE : ErrorReason.INVALID_STATE_TRANSITION,
      `checkout ${checkoutId} is ${from}; it cannot become ${to}`,
      { status: from, target: to },
    );
  }
}

// --- Attempts and backoff ---

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  // How long the saga keeps asking about an unknown payment outcome before ops must look.
  unknownOutcomeDeadlineMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  unknownOutcomeDeadlineMs: 30 * 60_000,
};

// Exponential, capped; `jitter` in [0, 1) spreads sagas that failed together (the caller draws it).
export function retryDelayMs(policy: RetryPolicy, attempt: number, jitter = 0): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped * (0.5 + 0.5 * Math.min(Math.max(jitter, 0), 0.999)));
}

// --- What happens after a step's outcome ---

export interface SagaPosition {
  status: CheckoutStatus;
  step: CheckoutStepId;
  // Attempts of the current step so far, this one included.
  attempts: number;
}

export type SagaDecision =
  | { kind: "advance"; step: CheckoutStepId }
  | { kind: "confirmed" }
  | { kind: "wait"; until: Date; status: "awaiting_payment" | "running" }
  | { kind: "retry"; at: Date }
  // Undo the steps that ran, newest first, then end as `failed` (order rejected or cancelled).
  | { kind: "compensate"; undo: CheckoutStepId[]; orderOutcome: "reject" | "cancel"; refusal: RefusalReason }
  | { kind: "reserve_again" }
  | { kind: "needs_attention"; reason: AttentionReason };

// The compensable steps that completed before `failedStep`, newest first.
export function compensationsBefore(failedStep: CheckoutStepId): CheckoutStepId[] {
  return CHECKOUT_STEPS.slice(0, stepIndex(failedStep))
    .filter((s) => COMPENSABLE_STEPS.has(s))
    .reverse();
}

export function decide(
  position: SagaPosition,
  outcome: StepOutcome,
  policy: RetryPolicy,
  now: Date,
  options: { jitter?: number; waitingSince?: Date } = {},
): SagaDecision {
  switch (outcome.kind) {
    case "done": {
      const next = nextStepAfter(position.step);
      return next ? { kind: "advance", step: next } : { kind: "confirmed" };
    }
    case "refused": {
      // The payment step's own refusal (decline) undoes only what came before it.
      const undo = compensationsBefore(position.step);
      return {
        kind: "compensate",
        undo,
        orderOutcome: isAfterPivot(position.step) ? "cancel" : "reject",
        refusal: outcome.reason,
      };
    }
    case "wait": {
      const since = options.waitingSince ?? now;
      if (
        outcome.why === "payment_unknown" &&
        now.getTime() - since.getTime() >= policy.unknownOutcomeDeadlineMs
      ) {
        return { kind: "needs_attention", reason: "payment_outcome_unknown" };
      }
      return {
        kind: "wait",
        until: outcome.until,
        status: outcome.why === "payment_pending" ? "awaiting_payment" : "running",
      };
    }
    case "reservation_expired":
      return isAfterPivot(position.step) || position.step === PIVOT_STEP
        ? { kind: "reserve_again" }
        : { kind: "retry", at: now };
    case "retry": {
      if (position.attempts >= policy.maxAttempts) {
        // Before the pivot nothing is charged: give the stock back and reject. From the pivot on money
        // may be held, so ops must look.
        return stepIndex(position.step) < stepIndex(PIVOT_STEP)
          ? {
              kind: "compensate",
              undo: compensationsBefore(position.step),
              orderOutcome: "reject",
              refusal: "dependency_unavailable",
            }
          : { kind: "needs_attention", reason: "dependency_unavailable" };
      }
      return {
        kind: "retry",
        at: new Date(now.getTime() + retryDelayMs(policy, position.attempts, options.jitter)),
      };
    }
  }
}
