// How the order's life after checkout is run: what a fulfillment short does, and how refunds and the
// calls facts make due (capture, void, release) are retried before an order needs ops' attention.
import { type RetryPolicy, retryDelayMs } from "./checkout-saga.ts";

export interface AfterCheckoutPolicy {
  // A line the fulfillment cannot supply: its units are cancelled, their commitment released and
  // their money refunded or never captured. (Re-allocating elsewhere first is not built yet.)
  shortPolicy: "refund";
  // Backoff between attempts of one refund or call (same idempotency key every time).
  baseDelayMs: number;
  maxDelayMs: number;
  // Still failing this long after it was recorded: the order needs attention, the worker stops.
  giveUpAfterMs: number;
  // A claimed refund or call is leased this long to the worker that claimed it.
  leaseMs: number;
}

export const DEFAULT_AFTER_CHECKOUT_POLICY: AfterCheckoutPolicy = {
  shortPolicy: "refund",
  baseDelayMs: 2_000,
  maxDelayMs: 5 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
  leaseMs: 60_000,
};

export function nextAttemptAt(policy: AfterCheckoutPolicy, attempts: number, now: Date): Date {
  const backoff: RetryPolicy = {
    maxAttempts: Number.MAX_SAFE_INTEGER,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    unknownOutcomeDeadlineMs: policy.giveUpAfterMs,
  };
  return new Date(now.getTime() + retryDelayMs(backoff, attempts + 1, Math.random()));
}

export function gaveUp(policy: AfterCheckoutPolicy, recordedAt: Date, now: Date): boolean {
  return now.getTime() - recordedAt.getTime() >= policy.giveUpAfterMs;
}
