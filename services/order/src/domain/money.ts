// Money in a currency's minor units (cents), as safe integers: never a float, never mixed currencies.
import { ErrorReason, failedPrecondition, internal } from "@stockroom/errors";

export interface Money {
  readonly amountMinor: number;
  // ISO 4217, upper case.
  readonly currency: string;
}

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
// The largest amount any one order, line or payment may hold (10^13 minor units, far below 2^53).
export const MAX_AMOUNT_MINOR = 10_000_000_000_000;

export function money(amountMinor: number, currency: string): Money {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0 || amountMinor > MAX_AMOUNT_MINOR) {
    throw internal(`money amount ${amountMinor} is not a non-negative integer within ${MAX_AMOUNT_MINOR}`);
  }
  if (!CURRENCY_PATTERN.test(currency)) throw internal(`currency ${currency} is not an ISO 4217 code`);
  return { amountMinor, currency };
}

export function zero(currency: string): Money {
  return money(0, currency);
}

export function assertSameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw failedPrecondition(
      ErrorReason.CURRENCY_MISMATCH,
      `currency ${b.currency} differs from ${a.currency}`,
      {
        expected: a.currency,
        actual: b.currency,
      },
    );
  }
}

export function add(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor + b.amountMinor, a.currency);
}

// Refuses to go below zero: a negative balance is always a bug in the caller.
export function subtract(a: Money, b: Money): Money {
  assertSameCurrency(a, b);
  return money(a.amountMinor - b.amountMinor, a.currency);
}

export function times(unit: Money, quantity: number): Money {
  return money(unit.amountMinor * quantity, unit.currency);
}

export function sum(currency: string, amounts: readonly Money[]): Money {
  return amounts.reduce((total, m) => add(total, m), zero(currency));
}

export function isZero(m: Money): boolean {
  return m.amountMinor === 0;
}
