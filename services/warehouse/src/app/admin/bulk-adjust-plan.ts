// Plans one chunk of a bulk import: each row's on_hand change is checked, in row order, against what the
// rows before it left (the level's invariants, then the lot's free units), and applied or refused on its
// own: a row that would drive a bucket negative fails alone, the others still apply. Each applied row is
// its own version of its level, as if it had been written alone: its own ledger row, StockLevelChanged
// event and result snapshot; the level is written once, moved on by the number of rows applied to it.
import { isAppError } from "@stockroom/errors";
import { type OutboxEvent, toOutboxRow } from "@stockroom/outbox";
import type {
  LevelWrite,
  LotRow,
  LotWrite,
  MovementWrite,
  StockLevelRow,
  StockWriteSet,
} from "../../data/stock.repo.ts";
import {
  BUCKETS,
  type Buckets,
  levelKey,
  lowStockTransition,
  storedUnits,
} from "../../domain/stock-level.ts";
import { checkedBalances, stockLevelNotFound } from "../stock-changes.ts";
import { type LevelSnapshot, lowStockReached, stockLevelChanged } from "../stock-events.ts";
import type { RequestContext } from "../use-case-deps.ts";
import { assertLotHasFree, type OnHandChange } from "./adjust-stock.ts";

export interface ChunkRow {
  rowNumber: number;
  change: OnHandChange;
}

export type ChunkRowOutcome =
  | { rowNumber: number; level: LevelSnapshot }
  | { rowNumber: number; error: unknown };

export interface PlannedChunk {
  writeSet: StockWriteSet;
  outcomes: ChunkRowOutcome[];
}

interface WorkingLevel {
  before: StockLevelRow;
  current: Buckets;
  lowStockAlerted: boolean;
  versions: number;
}

function lotKey(key: { warehouseCode: string; sku: string }, lotCode: string): string {
  return `${levelKey(key)}\u0000${lotCode}`;
}

export function planBulkChunk(
  locked: Map<string, StockLevelRow>,
  lotsByLevel: Map<string, LotRow[]>,
  rows: readonly ChunkRow[],
  options: { context: RequestContext; now: Date },
): PlannedChunk {
  const levels = new Map<string, WorkingLevel>();
  const lotUnits = new Map<string, { onHand: number; allocated: number }>();
  for (const lots of lotsByLevel.values()) {
    for (const lot of lots)
      lotUnits.set(lotKey(lot, lot.lotCode), { onHand: lot.onHand, allocated: lot.allocated });
  }
  const movements: MovementWrite[] = [];
  const lots: LotWrite[] = [];
  const events: OutboxEvent[] = [];
  const storedUnitDeltas = new Map<string, number>();
  const outcomes: ChunkRowOutcome[] = [];

  for (const { rowNumber, change } of rows) {
    try {
      const key = levelKey(change.key);
      const before = locked.get(key);
      if (!before) throw stockLevelNotFound(change.key);
      const level = levels.get(key) ?? {
        before,
        current: Object.fromEntries(BUCKETS.map((bucket) => [bucket, before[bucket]])) as Buckets,
        lowStockAlerted: before.lowStockAlerted,
        versions: 0,
      };
      const next = checkedBalances(level.current, { ...change, reason: change.movementReason });
      const onHandDelta = change.deltas.onHand ?? 0;
      const lot = lotKey(change.key, change.lotCode);
      if (onHandDelta < 0) assertLotHasFree(change, lotUnits.get(lot), -onHandDelta);

      // Applied: the row's changes join the chunk's write.
      const physical = storedUnits(next) - storedUnits(level.current);
      const lowStock = lowStockTransition(
        { lowStockThreshold: before.lowStockThreshold, lowStockAlerted: level.lowStockAlerted },
        next,
      );
      level.current = next;
      level.lowStockAlerted = lowStock.alerted;
      level.versions++;
      levels.set(key, level);
      const version = before.version + level.versions;
      const snapshot: LevelSnapshot = {
        warehouseCode: before.warehouseCode,
        sku: before.sku,
        ...next,
        lowStockThreshold: before.lowStockThreshold,
        version,
        updatedAt: options.now,
      };
      movements.push({
        ...change.key,
        lotCode: change.lotCode,
        reason: change.movementReason,
        deltas: change.deltas,
        after: next,
        levelVersion: version,
        origin: {
          actor: options.context.actor,
          referenceType: change.reference.type,
          referenceId: change.reference.id,
          note: change.note === "" ? null : change.note,
        },
      });
      if (onHandDelta !== 0) {
        const units = lotUnits.get(lot) ?? { onHand: 0, allocated: 0 };
        lotUnits.set(lot, { ...units, onHand: units.onHand + onHandDelta });
        lots.push({
          ...change.key,
          lotCode: change.lotCode,
          expiresOn: null,
          onHandDelta,
          allocatedDelta: 0,
        });
      }
      if (physical !== 0) {
        const code = change.key.warehouseCode;
        storedUnitDeltas.set(code, (storedUnitDeltas.get(code) ?? 0) + physical);
      }
      events.push(stockLevelChanged(snapshot, change.movementReason, change.reference));
      if (lowStock.raise) events.push(lowStockReached(snapshot));
      outcomes.push({ rowNumber, level: snapshot });
    } catch (err) {
      if (!isAppError(err)) throw err;
      outcomes.push({ rowNumber, error: err });
    }
  }

  const levelWrites: LevelWrite[] = [...levels.values()].map((level) => ({
    before: level.before,
    after: level.current,
    lowStockAlerted: level.lowStockAlerted,
    versionStep: level.versions,
  }));
  return {
    writeSet: {
      levels: levelWrites,
      movements,
      lots,
      outbox: events.map((event) => toOutboxRow(options.context, event)),
      storedUnitDeltas,
    },
    outcomes,
  };
}
