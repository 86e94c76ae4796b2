// The checkout saga's rules: step order and keys, the status table exhaustively, compensation order,
// and what each outcome of each step leads to (pivot, waits, retries, needs_attention).
import { isAppError } from "@stockroom/errors";
import { describe, expect, it } from "vitest";
import {
  AUTHORIZE_PAYMENT,
  assertCheckoutMove,
  CHECKOUT_STATUSES,
  CHECKOUT_STEPS,
  type CheckoutStatus,
  CONFIRM_ORDER,
  CONFIRM_RESERVATION,
  canMove,
  compensationsBefore,
  DEFAULT_RETRY_POLICY,
  decide,
  isAfterPivot,
  nextStepAfter,
  PIVOT_STEP,
  RESERVE_STOCK,
  reReserveKey,
  retryDelayMs,
  stepKey,
  undoKey,
  VALIDATE_CART,
} from "../src/domain/checkout-saga.ts";

const NOW = new Date("2026-12-01T12:00:00Z");
const at = (step: (typeof CHECKOUT_STEPS)[number], attempts = 1) => ({
  status: "running" as const,
  step,
  attempts,
});

describe("checkout saga steps", () => {
  it("runs validate, reserve, authorize (the pivot), confirm reservation, confirm order, in that order", () => {
    expect(CHECKOUT_STEPS).toEqual([
      VALIDATE_CART,
      RESERVE_STOCK,
      AUTHORIZE_PAYMENT,
      CONFIRM_RESERVATION,
      CONFIRM_ORDER,
    ]);
    expect(PIVOT_STEP).toBe(AUTHORIZE_PAYMENT);
    expect(nextStepAfter(RESERVE_STOCK)).toBe(AUTHORIZE_PAYMENT);
    expect(nextStepAfter(CONFIRM_ORDER)).toBeUndefined();
    expect(isAfterPivot(RESERVE_STOCK)).toBe(false);
    expect(isAfterPivot(AUTHORIZE_PAYMENT)).toBe(false);
    expect(isAfterPivot(CONFIRM_RESERVATION)).toBe(true);
  });

  it("keys every remote call by checkout and step, deterministically", () => {
    expect(stepKey("chk-1", RESERVE_STOCK)).toBe("chk-1:checkout.reserve-stock");
    expect(undoKey("chk-1", RESERVE_STOCK)).toBe("chk-1:checkout.reserve-stock:undo");
    expect(reReserveKey("chk-1", 2)).not.toBe(stepKey("chk-1", RESERVE_STOCK));
    expect(stepKey("chk-1", AUTHORIZE_PAYMENT)).toBe(stepKey("chk-1", AUTHORIZE_PAYMENT));
  });

  it("compensates in reverse order, only steps that changed something", () => {
    expect(compensationsBefore(VALIDATE_CART)).toEqual([]);
    expect(compensationsBefore(RESERVE_STOCK)).toEqual([]);
    expect(compensationsBefore(AUTHORIZE_PAYMENT)).toEqual([RESERVE_STOCK]);
    expect(compensationsBefore(CONFIRM_RESERVATION)).toEqual([AUTHORIZE_PAYMENT, RESERVE_STOCK]);
  });
});

const MOVES: Record<CheckoutStatus, CheckoutStatus[]> = {
  running: ["awaiting_payment", "compensating", "confirmed", "needs_attention"],
  awaiting_payment: ["running", "compensating", "confirmed", "needs_attention"],
  compensating: ["failed", "abandoned", "needs_attention"],
  needs_attention: ["running", "awaiting_payment", "compensating"],
  confirmed: [],
  failed: [],
  abandoned: [],
};

describe("checkout status table", () => {
  for (const from of CHECKOUT_STATUSES) {
    for (const to of CHECKOUT_STATUSES) {
      const allowed = MOVES[from].includes(to);
      it(`${from} -> ${to}: ${allowed ? "allowed" : "refused"}`, () => {
        expect(canMove(from, to)).toBe(allowed);
        let kind: string | undefined;
        try {
          assertCheckoutMove("chk", from, to);
        } catch (err) {
          kind = isAppError(err) ? err.kind : "other";
        }
        expect(kind).toBe(allowed ? undefined : "failed_precondition");
      });
    }
  }
});

describe("saga decisions", () => {
  const policy = DEFAULT_RETRY_POLICY;

  it("advances after each done step and ends confirmed", () => {
    expect(decide(at(VALIDATE_CART), { kind: "done", output: {} as never }, policy, NOW)).toEqual({
      kind: "advance",
      step: RESERVE_STOCK,
    });
    expect(decide(at(CONFIRM_ORDER), { kind: "done", output: {} }, policy, NOW)).toEqual({
      kind: "confirmed",
    });
  });

  it("before the pivot a refusal rejects the order after undoing what ran; a decline releases the stock", () => {
    expect(
      decide(
        at(RESERVE_STOCK),
        { kind: "refused", reason: "insufficient_stock", message: "short" },
        policy,
        NOW,
      ),
    ).toEqual({ kind: "compensate", undo: [], orderOutcome: "reject", refusal: "insufficient_stock" });
    expect(
      decide(
        at(AUTHORIZE_PAYMENT),
        { kind: "refused", reason: "payment_declined", message: "no" },
        policy,
        NOW,
      ),
    ).toEqual({
      kind: "compensate",
      undo: [RESERVE_STOCK],
      orderOutcome: "reject",
      refusal: "payment_declined",
    });
  });

  it("after the pivot stock lost cancels the order, voiding the payment and releasing the stock", () => {
    expect(
      decide(
        at(CONFIRM_RESERVATION),
        { kind: "refused", reason: "stock_lost", message: "gone" },
        policy,
        NOW,
      ),
    ).toEqual({
      kind: "compensate",
      undo: [AUTHORIZE_PAYMENT, RESERVE_STOCK],
      orderOutcome: "cancel",
      refusal: "stock_lost",
    });
    expect(decide(at(CONFIRM_RESERVATION), { kind: "reservation_expired" }, policy, NOW)).toEqual({
      kind: "reserve_again",
    });
  });

  it("waits on a pending manual payment (awaiting_payment) and on an unknown outcome (running), until its deadline", () => {
    const until = new Date(NOW.getTime() + 5_000);
    expect(
      decide(at(AUTHORIZE_PAYMENT), { kind: "wait", until, why: "payment_pending" }, policy, NOW),
    ).toEqual({ kind: "wait", until, status: "awaiting_payment" });
    expect(
      decide(at(AUTHORIZE_PAYMENT), { kind: "wait", until, why: "payment_unknown" }, policy, NOW),
    ).toEqual({
      kind: "wait",
      until,
      status: "running",
    });
    const since = new Date(NOW.getTime() - policy.unknownOutcomeDeadlineMs);
    expect(
      decide(at(AUTHORIZE_PAYMENT), { kind: "wait", until, why: "payment_unknown" }, policy, NOW, {
        waitingSince: since,
      }),
    ).toEqual({ kind: "needs_attention", reason: "payment_outcome_unknown" });
  });

  it("retries transient failures with growing delays; exhausted, rejects before the pivot and asks ops after it", () => {
    const first = decide(at(RESERVE_STOCK, 1), { kind: "retry", error: "unavailable" }, policy, NOW);
    const third = decide(at(RESERVE_STOCK, 3), { kind: "retry", error: "unavailable" }, policy, NOW);
    expect(first.kind).toBe("retry");
    expect(third.kind).toBe("retry");
    if (first.kind === "retry" && third.kind === "retry")
      expect(third.at.getTime()).toBeGreaterThan(first.at.getTime());
    expect(
      decide(at(RESERVE_STOCK, policy.maxAttempts), { kind: "retry", error: "unavailable" }, policy, NOW),
    ).toMatchObject({ kind: "compensate", orderOutcome: "reject", refusal: "dependency_unavailable" });
    expect(
      decide(
        at(CONFIRM_RESERVATION, policy.maxAttempts),
        { kind: "retry", error: "unavailable" },
        policy,
        NOW,
      ),
    ).toEqual({ kind: "needs_attention", reason: "dependency_unavailable" });
    expect(
      decide(at(AUTHORIZE_PAYMENT, policy.maxAttempts), { kind: "retry", error: "unavailable" }, policy, NOW),
    ).toEqual({ kind: "needs_attention", reason: "dependency_unavailable" });
  });

  it("bounds the backoff and spreads it with jitter", () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, 0.999)).toBeLessThanOrEqual(
      DEFAULT_RETRY_POLICY.baseDelayMs,
    );
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 1, 0)).toBe(DEFAULT_RETRY_POLICY.baseDelayMs / 2);
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 40, 0.999)).toBeLessThanOrEqual(
      DEFAULT_RETRY_POLICY.maxDelayMs,
    );
  });
});
