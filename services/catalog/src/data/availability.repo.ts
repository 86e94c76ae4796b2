// The per-warehouse availability rows of the projection.
import { sql } from "kysely";
import type { WarehouseAvailability } from "../domain/availability.ts";
import type { Db } from "./product.repo.ts";

export interface LevelUpdate extends WarehouseAvailability {
  sku: string;
}

// Writes the level only if it is newer than the stored one: a duplicate or an older event (redelivered,
// or overtaken by a later one) changes nothing. True when the row was written.
export async function upsertLevelIfNewer(db: Db, level: LevelUpdate): Promise<boolean> {
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
