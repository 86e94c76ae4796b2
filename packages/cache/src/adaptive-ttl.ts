// TTLs spread with jitter so entries written together do not expire together (no synchronized stampede).

export const DEFAULT_JITTER_RATIO = 0.1;

/** ttlMs ± jitterRatio, never below 1 ms. */
export function jitteredTtl(
  ttlMs: number,
  jitterRatio = DEFAULT_JITTER_RATIO,
  random: () => number = Math.random,
): number {
  const spread = ttlMs * jitterRatio;
  return Math.max(1, Math.round(ttlMs - spread + random() * 2 * spread));
}

export interface StockTtlPolicy {
  /** Nothing available: the next event may change a storefront's answer, keep it short. */
  readonly outOfStockMs: number;
  readonly lowStockMs: number;
  readonly lowStockBelow: number;
  readonly inStockMs: number;
}

export const DEFAULT_STOCK_TTL_POLICY: StockTtlPolicy = {
  outOfStockMs: 2_000,
  lowStockMs: 10_000,
  lowStockBelow: 10,
  inStockMs: 120_000,
};

export function ttlForAvailable(
  available: number,
  policy: StockTtlPolicy = DEFAULT_STOCK_TTL_POLICY,
): number {
  if (available <= 0) return policy.outOfStockMs;
  if (available < policy.lowStockBelow) return policy.lowStockMs;
  return policy.inStockMs;
}
