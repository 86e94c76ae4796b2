// The buckets of a stock level, the available figure and the invariants every change must keep.
export const BUCKETS = [
  "onHand",
  "reserved",
  "committed",
  "safetyStock",
  "damaged",
  "qualityControl",
  "incoming",
] as const;

export type Bucket = (typeof BUCKETS)[number];
export type Buckets = Record<Bucket, number>;
export type BucketDeltas = Partial<Record<Bucket, number>>;

export interface StockLevelKey {
  warehouseCode: string;
  sku: string;
}

export interface StockLevelState extends StockLevelKey, Buckets {
  lowStockThreshold: number;
  lowStockAlerted: boolean;
  version: number;
}

export const EMPTY_BUCKETS: Buckets = Object.freeze({
  onHand: 0,
  reserved: 0,
  committed: 0,
  safetyStock: 0,
  damaged: 0,
  qualityControl: 0,
  incoming: 0,
});

export function levelKey(key: StockLevelKey): string {
  return `${key.warehouseCode}\u0000${key.sku}`;
}

// What can still be promised to a new reservation.
export function sellableQuantity(b: Buckets): number {
  return b.onHand - b.reserved - b.committed - b.safetyStock;
}

// Shown to storefronts: never negative even when safety stock exceeds what is free.
export function availableQuantity(b: Buckets): number {
  return Math.max(0, sellableQuantity(b));
}

// Units physically in the building, which count against its capacity.
export function storedUnits(b: Buckets): number {
  return b.onHand + b.damaged + b.qualityControl;
}

export function applyDeltas<T extends Buckets>(level: T, deltas: BucketDeltas): T {
  const next = { ...level };
  for (const bucket of BUCKETS) next[bucket] = level[bucket] + (deltas[bucket] ?? 0);
  return next;
}

export interface InvariantViolation {
  rule: string;
  // How many units are missing for the rule to hold.
  shortfall: number;
}

export function invariantViolations(b: Buckets): InvariantViolation[] {
  const violations: InvariantViolation[] = [];
  for (const bucket of BUCKETS) {
    if (b[bucket] < 0) violations.push({ rule: `${bucket} >= 0`, shortfall: -b[bucket] });
  }
  const held = b.reserved + b.committed;
  if (held > b.onHand)
    violations.push({ rule: "reserved + committed <= on_hand", shortfall: held - b.onHand });
  return violations;
}

// Low-stock events fire once per crossing: when available drops to or below the threshold, and
// again only after it has risen above it.
export function lowStockTransition(
  level: Pick<StockLevelState, "lowStockThreshold" | "lowStockAlerted">,
  after: Buckets,
): { alerted: boolean; raise: boolean } {
  if (level.lowStockThreshold <= 0) return { alerted: false, raise: false };
  const low = availableQuantity(after) <= level.lowStockThreshold;
  return { alerted: low, raise: low && !level.lowStockAlerted };
}
