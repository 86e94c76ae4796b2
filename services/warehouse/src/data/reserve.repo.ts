// The reserve batch's one read: claims the batch's idempotency keys, locks every level it may draw from
// and reads their lots and the ranks of their warehouses, in ONE statement, so a batch costs two round
// trips under its locks (this read, then writeStockChanges) instead of five.
import { prepared } from "@stockroom/db";
import {
  type BatchClaim,
  batchClaimsFrom,
  type ClaimedRow,
  claimBatchCte,
  type HeldRow,
  heldBatchCte,
  type IdempotencyClaim,
} from "@stockroom/idempotency";
import { sql } from "kysely";
import type { WarehouseRank } from "../domain/allocation-plan.ts";
import type { StockLevelKey } from "../domain/stock-level.ts";
import { levelKey } from "../domain/stock-level.ts";
import { type Db, findLots, type LotRow, type RawLevel, type StockLevelRow, toLevel } from "./stock.repo.ts";

export interface ReserveReadRequest {
  operation: string;
  retentionHours: number;
  // Each request's key, scoped to its principal.
  claims: BatchClaim[];
  // Levels named by a line's warehouse, and skus to take from any active warehouse.
  pinned: StockLevelKey[];
  openSkus: string[];
}

export interface ReserveRead {
  // By scopedKeyOf({ principal, key }). A key missing here is held by a transaction that committed
  // while this statement ran: its stored answer is not visible to this statement's snapshot, so the
  // request must be retried in a next batch.
  claims: Map<string, IdempotencyClaim>;
  levels: Map<string, StockLevelRow>;
  lots: Map<string, LotRow[]>;
  warehouses: WarehouseRank[];
}

// A locked level as JSON: timestamps arrive as text; snapshot_version is the version this statement's
// snapshot saw (null if it saw none).
interface JsonLevel extends Omit<RawLevel, "updated_at"> {
  updated_at: string;
  snapshot_version: number | null;
}

interface JsonLot {
  warehouse_code: string;
  sku: string;
  lot_code: string;
  expires_on: string | null;
  on_hand: number;
  allocated: number;
}

interface ReadRow {
  claimed: ClaimedRow[];
  held: HeldRow[];
  levels: JsonLevel[];
  lots: JsonLot[];
  warehouses: { code: string; priority: number; latitude: number | null; longitude: number | null }[];
}

// Order inside the statement: keys are claimed first (claimBatchCte sorts them), then levels are locked
// (sorted by warehouse, sku), as every other writer does, so two batches cannot deadlock. Lots are read with the
// statement's snapshot: that is current for every level whose locked row is the version the snapshot
// saw (each lot change bumps its level's version under the level's lock). A level that changed while
// the statement waited for its lock has its lots read again, after the lock is held.
export async function readForReserve(db: Db, request: ReserveReadRequest): Promise<ReserveRead> {
  const pinnedSkus = request.pinned.map((k) => k.sku);
  const allSkus = [...new Set([...pinnedSkus, ...request.openSkus])];
  const { rows } = await prepared(sql<ReadRow>`
    WITH claimed AS (
      ${claimBatchCte(request.operation, request.retentionHours, request.claims)}
    ),
    held AS (
      ${heldBatchCte(request.operation, request.claims)}
    ),
    wanted AS (
      SELECT s.warehouse_code, s.sku, s.version FROM stock_levels s
      JOIN warehouses w ON w.code = s.warehouse_code AND w.active
      WHERE s.sku = ANY(${allSkus}::text[])
        AND ((s.warehouse_code, s.sku) IN (
              SELECT * FROM unnest(${request.pinned.map((k) => k.warehouseCode)}::text[], ${pinnedSkus}::text[]))
             OR s.sku = ANY(${request.openSkus}::text[]))
    ),
    locked AS (
      SELECT s.warehouse_code, s.sku, s.on_hand, s.reserved, s.committed, s.safety_stock, s.damaged,
        s.quality_control, s.incoming, s.low_stock_threshold, s.low_stock_alerted, s.version, s.updated_at
      FROM stock_levels s
      WHERE s.sku = ANY(${allSkus}::text[]) AND (s.warehouse_code, s.sku) IN (SELECT warehouse_code, sku FROM wanted)
      ORDER BY s.warehouse_code, s.sku
      FOR UPDATE OF s
    )
    SELECT
      (SELECT coalesce(json_agg(claimed), '[]') FROM claimed) AS claimed,
      (SELECT coalesce(json_agg(held), '[]') FROM held) AS held,
      (SELECT coalesce(json_agg(json_build_object(
          'warehouse_code', k.warehouse_code, 'sku', k.sku, 'on_hand', k.on_hand, 'reserved', k.reserved,
          'committed', k.committed, 'safety_stock', k.safety_stock, 'damaged', k.damaged,
          'quality_control', k.quality_control, 'incoming', k.incoming,
          'low_stock_threshold', k.low_stock_threshold, 'low_stock_alerted', k.low_stock_alerted,
          'version', k.version, 'snapshot_version', w.version, 'updated_at', k.updated_at)), '[]')
        FROM locked k LEFT JOIN wanted w USING (warehouse_code, sku)) AS levels,
      (SELECT coalesce(json_agg(json_build_object(
          'warehouse_code', l.warehouse_code, 'sku', l.sku, 'lot_code', l.lot_code,
          'expires_on', to_char(l.expires_on, 'YYYY-MM-DD'), 'on_hand', l.on_hand, 'allocated', l.allocated)), '[]')
        FROM wanted w CROSS JOIN LATERAL (
          SELECT * FROM stock_lots l WHERE l.warehouse_code = w.warehouse_code AND l.sku = w.sku) l) AS lots,
      (SELECT coalesce(json_agg(json_build_object(
          'code', w.code, 'priority', w.priority, 'latitude', w.latitude, 'longitude', w.longitude)), '[]')
        FROM warehouses w WHERE w.active AND w.code IN (SELECT warehouse_code FROM wanted)
          AND cardinality(${request.openSkus}::text[]) > 0) AS warehouses`).execute(db);
  const row = rows[0] as ReadRow;

  const result: ReserveRead = {
    claims: batchClaimsFrom(row.claimed, row.held),
    levels: new Map(),
    lots: new Map(),
    warehouses: [],
  };

  const changedUnderUs: StockLevelKey[] = [];
  for (const level of row.levels) {
    const key = levelKey({ warehouseCode: level.warehouse_code, sku: level.sku });
    result.levels.set(key, toLevel({ ...level, updated_at: new Date(level.updated_at) }));
    if (level.snapshot_version !== level.version)
      changedUnderUs.push(result.levels.get(key) as StockLevelRow);
  }
  for (const lot of row.lots) {
    const key = levelKey({ warehouseCode: lot.warehouse_code, sku: lot.sku });
    if (!result.levels.has(key)) continue;
    const list = result.lots.get(key) ?? [];
    list.push({
      warehouseCode: lot.warehouse_code,
      sku: lot.sku,
      lotCode: lot.lot_code,
      expiresOn: lot.expires_on,
      onHand: Number(lot.on_hand),
      allocated: Number(lot.allocated),
    });
    result.lots.set(key, list);
  }
  if (changedUnderUs.length > 0) {
    const fresh = await findLots(db, changedUnderUs);
    for (const level of changedUnderUs) {
      const key = levelKey(level);
      result.lots.set(key, fresh.get(key) ?? []);
    }
  }
  result.warehouses = row.warehouses.map((w) => ({
    code: w.code,
    priority: Number(w.priority),
    latitude: w.latitude === null ? null : Number(w.latitude),
    longitude: w.longitude === null ? null : Number(w.longitude),
  }));
  return result;
}
