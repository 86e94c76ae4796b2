// The per-warehouse availability rows of the projection.

import { internal } from "@stockroom/errors";
import { sql } from "kysely";
import type { WarehouseAvailability, WarehouseStockLevel } from "../domain/availability.ts";
import type { Db } from "./product.repo.ts";

// Writes the level only if it is newer than the stored one: a duplicate or an older event (redelivered,
// or overtaken by a later one) changes nothing. True when the row was written.
export async function upsertLevelIfNewer(db: Db, level: WarehouseStockLevel): Promise<boolean> {
  const result = await sql<{ sku: string }>`
    INSERT INTO availability_by_warehouse
      (sku, warehouse_code, available, on_hand, reserved, committed, level_version, updated_at, applied_at)
    VALUES (${level.sku}, ${level.warehouseCode}, ${level.available}, ${level.onHand}, ${level.reserved},
            ${level.committed}, ${level.levelVersion}, ${level.updatedAt}, now())
    ON CONFLICT (sku, warehouse_code) DO UPDATE
       SET available = excluded.available, on_hand = excluded.on_hand, reserved = excluded.reserved,
           committed = excluded.committed, level_version = excluded.level_version,
           updated_at = excluded.updated_at, applied_at = excluded.applied_at
     WHERE availability_by_warehouse.level_version < excluded.level_version
    RETURNING sku`.execute(db);
  return result.rows.length === 1;
}

// The database's clock. A rebuild reads it before asking the warehouse: a row applied after this moment
// may be newer than the warehouse's answer, so the rebuild must not remove it.
export async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(db);
  const now = rows[0]?.now;
  if (!now) throw internal("clock_timestamp() returned no row");
  return now;
}

// Deletes the rows of `skus` whose (sku, warehouse) is not in `kept`, among those applied before
// `appliedBefore`. Returns what was deleted.
export async function deleteLevelsNotIn(
  db: Db,
  skus: readonly string[],
  kept: readonly { sku: string; warehouseCode: string }[],
  appliedBefore: Date,
): Promise<{ sku: string; levelVersion: number }[]> {
  if (skus.length === 0) return [];
  const { rows } = await sql<{ sku: string; level_version: string }>`
    DELETE FROM availability_by_warehouse a
    WHERE a.sku = ANY(${[...skus]}::text[])
      AND a.applied_at < ${appliedBefore}
      AND (a.sku, a.warehouse_code) NOT IN (
        SELECT * FROM unnest(${kept.map((k) => k.sku)}::text[], ${kept.map((k) => k.warehouseCode)}::text[]))
    RETURNING a.sku, a.level_version`.execute(db);
  return rows.map((row) => ({ sku: row.sku, levelVersion: Number(row.level_version) }));
}

export async function availabilityRows(
  db: Db,
  skus: readonly string[],
): Promise<Map<string, WarehouseAvailability[]>> {
  const bySku = new Map<string, WarehouseAvailability[]>();
  if (skus.length === 0) return bySku;
  const rows = await db
    .selectFrom("availability_by_warehouse")
    .select([
      "sku",
      "warehouse_code",
      "available",
      "on_hand",
      "reserved",
      "committed",
      "level_version",
      "updated_at",
    ])
    .where("sku", "in", [...skus])
    .orderBy("sku")
    .orderBy("warehouse_code")
    .execute();
  for (const row of rows) {
    const list = bySku.get(row.sku) ?? [];
    list.push({
      warehouseCode: row.warehouse_code,
      available: Number(row.available),
      onHand: Number(row.on_hand),
      reserved: Number(row.reserved),
      committed: Number(row.committed),
      levelVersion: Number(row.level_version),
      updatedAt: row.updated_at,
    });
    bySku.set(row.sku, list);
  }
  return bySku;
}
