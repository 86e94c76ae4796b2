// The movement ledger read side: filtered keyset pages, and the per-level sums reconciliation needs.
import { sql } from "kysely";
import type { MovementFilter, MovementRow } from "../domain/stock-movement.ts";
import type { Db } from "./stock.repo.ts";

// Movements after `afterId` (ascending), `limit` at most. `from` is inclusive, `to` exclusive.
export async function findMovements(
  db: Db,
  filter: MovementFilter,
  page: { afterId: number; limit: number },
): Promise<MovementRow[]> {
  let query = db.selectFrom("stock_movements").selectAll().where("movement_id", ">", page.afterId);
  if (filter.warehouseCode) query = query.where("warehouse_code", "=", filter.warehouseCode);
  if (filter.sku) query = query.where("sku", "=", filter.sku);
  if (filter.reason) query = query.where("reason", "=", filter.reason);
  if (filter.referenceId) query = query.where("reference_id", "=", filter.referenceId);
  if (filter.actor) query = query.where("actor", "=", filter.actor);
  if (filter.from) query = query.where("occurred_at", ">=", filter.from);
  if (filter.to) query = query.where("occurred_at", "<", filter.to);
  const rows = await query.orderBy("movement_id").limit(page.limit).execute();
  return rows.map((row) => ({
    movementId: Number(row.movement_id),
    occurredAt: row.occurred_at,
    warehouseCode: row.warehouse_code,
    sku: row.sku,
    lotCode: row.lot_code,
    reason: row.reason,
    actor: row.actor,
    referenceType: row.reference_type,
    referenceId: row.reference_id,
    note: row.note,
    deltas: {
      onHand: Number(row.on_hand_delta),
      reserved: Number(row.reserved_delta),
      committed: Number(row.committed_delta),
      safetyStock: Number(row.safety_stock_delta),
      damaged: Number(row.damaged_delta),
      qualityControl: Number(row.quality_control_delta),
      incoming: Number(row.incoming_delta),
    },
    after: {
      onHand: Number(row.on_hand_after),
      reserved: Number(row.reserved_after),
      committed: Number(row.committed_after),
      safetyStock: Number(row.safety_stock_after),
      damaged: Number(row.damaged_after),
      qualityControl: Number(row.quality_control_after),
      incoming: Number(row.incoming_after),
    },
    levelVersion: Number(row.level_version),
  }));
}

export const LEDGER_BUCKET_COLUMNS = [
  "on_hand",
  "reserved",
  "committed",
  "safety_stock",
  "damaged",
  "quality_control",
  "incoming",
] as const;

export type LedgerBucketColumn = (typeof LEDGER_BUCKET_COLUMNS)[number];

export interface LevelLedgerCheck {
  warehouseCode: string;
  sku: string;
  stored: Record<LedgerBucketColumn, number>;
  summed: Record<LedgerBucketColumn, number>;
  // The balances the level's last movement left; null when it has none.
  lastAfter: Record<LedgerBucketColumn, number> | null;
}

// Makes the calling transaction one read-only snapshot (REPEATABLE READ READ ONLY), so what it reads
// next is one consistent moment. Must be the transaction's first statement.
export async function readOnlySnapshot(trx: Db): Promise<void> {
  await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`.execute(trx);
}

// Every level with its stored balances, the sum of its ledger deltas and its last movement's balances,
// in one consistent snapshot (readOnlySnapshot first is the caller's choice).
export async function findLevelLedgerChecks(db: Db): Promise<LevelLedgerCheck[]> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT s.warehouse_code, s.sku,
      s.on_hand, s.reserved, s.committed, s.safety_stock, s.damaged, s.quality_control, s.incoming,
      coalesce(m.on_hand, 0) AS sum_on_hand, coalesce(m.reserved, 0) AS sum_reserved,
      coalesce(m.committed, 0) AS sum_committed, coalesce(m.safety_stock, 0) AS sum_safety_stock,
      coalesce(m.damaged, 0) AS sum_damaged, coalesce(m.quality_control, 0) AS sum_quality_control,
      coalesce(m.incoming, 0) AS sum_incoming,
      last.movement_id AS last_id,
      last.on_hand_after AS last_on_hand, last.reserved_after AS last_reserved,
      last.committed_after AS last_committed, last.safety_stock_after AS last_safety_stock,
      last.damaged_after AS last_damaged, last.quality_control_after AS last_quality_control,
      last.incoming_after AS last_incoming
    FROM stock_levels s
    LEFT JOIN (
      SELECT warehouse_code, sku, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved,
        sum(committed_delta) AS committed, sum(safety_stock_delta) AS safety_stock, sum(damaged_delta) AS damaged,
        sum(quality_control_delta) AS quality_control, sum(incoming_delta) AS incoming
      FROM stock_movements GROUP BY warehouse_code, sku
    ) m USING (warehouse_code, sku)
    LEFT JOIN LATERAL (
      SELECT * FROM stock_movements x
      WHERE x.warehouse_code = s.warehouse_code AND x.sku = s.sku
      ORDER BY x.movement_id DESC LIMIT 1
    ) last ON true
    ORDER BY s.warehouse_code, s.sku`.execute(db);
  return rows.map((row) => {
    const pick = (prefix: string) =>
      Object.fromEntries(LEDGER_BUCKET_COLUMNS.map((c) => [c, Number(row[`${prefix}${c}`])])) as Record<
        LedgerBucketColumn,
        number
      >;
    return {
      warehouseCode: String(row.warehouse_code),
      sku: String(row.sku),
      stored: pick(""),
      summed: pick("sum_"),
      lastAfter: row.last_id === null ? null : pick("last_"),
    };
  });
}
