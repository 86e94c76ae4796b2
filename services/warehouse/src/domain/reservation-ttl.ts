// How long a reservation holds stock: an explicit TTL, or the default of its payment method.
export const PAYMENT_METHODS = ["card", "e_wallet", "bank_transfer", "cash_on_delivery"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export type ReservationTtlPolicy = Record<PaymentMethod, number> & { minMs: number; maxMs: number };

const MINUTE = 60_000;

export const DEFAULT_TTL_POLICY: ReservationTtlPolicy = {
  card: 30 * MINUTE,
  e_wallet: 15 * MINUTE,
  bank_transfer: 4 * 60 * MINUTE,
  cash_on_delivery: 24 * 60 * MINUTE,
  minMs: 1_000,
  maxMs: 7 * 24 * 60 * MINUTE,
};

export function ttlFor(
  policy: ReservationTtlPolicy,
  request: { ttlMs?: number | undefined; paymentMethod?: PaymentMethod | undefined },
): number {
  if (request.ttlMs !== undefined) return request.ttlMs;
  return policy[request.paymentMethod ?? "card"];
}
