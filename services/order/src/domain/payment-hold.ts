// How long stock stays held for a checkout while its payment is settled, by payment method (the
// warehouse's reservation TTLs: card 30 min, e-wallet 15 min, bank transfer 4 h, cash on delivery 24 h).
// A manual payment must be received within its hold, or the order is cancelled and the stock freed.
import type { PaymentMethodType } from "./payment-status.ts";

export type PaymentHoldPolicy = Record<PaymentMethodType, number>;

const MINUTE = 60_000;

export const DEFAULT_PAYMENT_HOLD: PaymentHoldPolicy = {
  card: 30 * MINUTE,
  e_wallet: 15 * MINUTE,
  bank_transfer: 4 * 60 * MINUTE,
  cash_on_delivery: 24 * 60 * MINUTE,
};

export function holdMs(policy: PaymentHoldPolicy, method: PaymentMethodType): number {
  return policy[method];
}

export function payBy(policy: PaymentHoldPolicy, method: PaymentMethodType, from: Date): Date {
  return new Date(from.getTime() + policy[method]);
}

// When the payment capture happens: on shipment by default, at once for e-wallets (configurable).
export type CaptureTiming = "on_shipment" | "immediately";

export const DEFAULT_CAPTURE_TIMING: Record<PaymentMethodType, CaptureTiming> = {
  card: "on_shipment",
  e_wallet: "immediately",
  // Manual payments are received in full before confirmation (bank transfer) or on delivery (COD),
  // and recorded by ops; there is nothing for a provider to capture.
  bank_transfer: "immediately",
  cash_on_delivery: "immediately",
};
