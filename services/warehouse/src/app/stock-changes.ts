// Turns the stock changes a use case wants into checked balances, ledger rows and events, ready for
// writeStockChanges. Every change is checked against the invariants here, before the database's CHECK
// constraints would refuse it, so the caller gets a precise error with the shortfall.
import { ErrorReason, failedPrecondition } from "@stockroom/errors";
import { type EventContext, type OutboxEvent, toOutboxRow } from "@stockroom/outbox";
import type {
  LevelWrite,
  LotWrite,
  MovementContext,
  MovementWrite,
  StockLevelRow,
  StockWriteSet,
} from "../data/stock.repo.ts";
import type { MovementReason } from "../domain/movement-reason.ts";
import {
  applyDeltas,
  type BucketDeltas,
  type Buckets,
  invariantViolations,
  levelKey,
  lowStockTransition,
  type StockLevelKey,
  storedUnits,
} from "../domain/stock-level.ts";
import { type LevelSnapshot, lowStockReached, stockLevelChanged } from "./stock-events.ts";

export interface StockChange {
  key: StockLevelKey;
  deltas: BucketDeltas;
  reason: MovementReason;
  lotCode?: string | null;
  // Who and what this one change is for, when a write carries several requests (batched reserves).
  origin?: MovementContext;
}

export interface StockChangeOptions {
  eventContext: EventContext;
  reference: { type: string; id: string };
  now: Date;
  // INSUFFICIENT_STOCK for reservations and picks, INVARIANT_VIOLATION for adjustments.
  violationReason?: ErrorReason;
  extraEvents?: OutboxEvent[];
  lots?: LotWrite[];
}

export interface PlannedStockChanges {
  writeSet: StockWriteSet;
  levels: LevelSnapshot[];
}

export function stockLevelNotFound(key: StockLevelKey) {
  return failedPrecondition(
    ErrorReason.STOCK_LEVEL_NOT_FOUND,
    `no stock level for sku ${key.sku} in warehouse ${key.warehouseCode}`,
    { sku: key.sku, warehouse_code: key.warehouseCode },
  );
}

// The balances after `change`, refused with the first invariant it would break and the shortfall.
export function checkedBalances<T extends Buckets>(
  current: T,
  change: Pick<StockChange, "key" | "deltas" | "reason">,
  violationReason: ErrorReason = ErrorReason.INVARIANT_VIOLATION,
): T {
  const next = applyDeltas(current, change.deltas);
  const first = invariantViolations(next)[0];
  if (first) {
    throw failedPrecondition(
      violationReason,
      `${change.reason} of sku ${change.key.sku} in warehouse ${change.key.warehouseCode} would break ${first.rule} (short by ${first.shortfall})`,
      {
        sku: change.key.sku,
        warehouse_code: change.key.warehouseCode,
        rule: first.rule,
        shortfall: String(first.shortfall),
      },
    );
  }
  return next;
}

export function planStockChanges(
  locked: Map<string, StockLevelRow>,
  changes: StockChange[],
  options: StockChangeOptions,
): PlannedStockChanges {
  const working = new Map<string, { before: StockLevelRow; current: Buckets }>();
  const movements: MovementWrite[] = [];
  const storedUnitDeltas = new Map<string, number>();

  for (const change of changes) {
    const key = levelKey(change.key);
    const before = locked.get(key);
    if (!before) throw stockLevelNotFound(change.key);
    const entry = working.get(key) ?? { before, current: before };
    const next = checkedBalances(entry.current, change, options.violationReason);
    working.set(key, { before, current: next });
    movements.push({
      ...change.key,
      lotCode: change.lotCode ?? null,
      reason: change.reason,
      deltas: change.deltas,
      after: next,
      levelVersion: before.version + 1,
      origin: change.origin,
    });
    const physical = storedUnits(next) - storedUnits(entry.current);
    if (physical !== 0) {
      storedUnitDeltas.set(
        change.key.warehouseCode,
        (storedUnitDeltas.get(change.key.warehouseCode) ?? 0) + physical,
      );
    }
  }

  const levelWrites: LevelWrite[] = [];
  const levels: LevelSnapshot[] = [];
  const events: OutboxEvent[] = [];
  const reasons = new Map<string, string>();
  for (const movement of movements) reasons.set(levelKey(movement), movement.reason);
  for (const [key, { before, current }] of working) {
    const lowStock = lowStockTransition(before, current);
    levelWrites.push({ before, after: current, lowStockAlerted: lowStock.alerted });
    const snapshot: LevelSnapshot = {
      warehouseCode: before.warehouseCode,
      sku: before.sku,
      ...current,
      lowStockThreshold: before.lowStockThreshold,
      version: before.version + 1,
      updatedAt: options.now,
    };
    levels.push(snapshot);
    events.push(stockLevelChanged(snapshot, reasons.get(key) ?? "", options.reference));
    if (lowStock.raise) events.push(lowStockReached(snapshot));
  }
  events.push(...(options.extraEvents ?? []));

  return {
    writeSet: {
      levels: levelWrites,
      movements,
      lots: options.lots ?? [],
      outbox: events.map((event) => toOutboxRow(options.eventContext, event)),
      storedUnitDeltas,
    },
    levels,
  };
}
