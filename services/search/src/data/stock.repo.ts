// The warehouse's stock as the search service last saw it: per-warehouse levels that only move to a
// newer level version, and per-sku sums under a row lock with the sequence the engine's stock guard
// compares (stock_version).
import { type Kysely, sql, type Transaction } from "kysely";
import type { StockFields } from "../domain/search-document.ts";
import type { WarehouseLevel } from "../domain/stock-level.ts";
import type { SearchDatabase } from "./database.ts";

type Db = Kysely<SearchDatabase> | Transaction<SearchDatabase>;

// Inserts or moves the level forward; false when the stored level is as new or newer.
export async function upsertLevelIfNewer(db: Db, level: WarehouseLevel): Promise<boolean> {
  const result = await db
    .insertInto("stock_levels")
    .values({
      sku: level.sku,
      warehouse_code: level.warehouseCode,
      available: Math.max(0, level.available),
      level_version: level.levelVersion,
      updated_at: level.updatedAt,
    })
    .onConflict((oc) =>
      oc
        .columns(["sku", "warehouse_code"])
        .doUpdateSet((eb) => ({
          available: eb.ref("excluded.available"),
          level_version: eb.ref("excluded.level_version"),
          updated_at: eb.ref("excluded.updated_at"),
          applied_at: new Date(),
        }))
        .where("stock_levels.level_version", "<", (eb) => eb.ref("excluded.level_version")),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

// Creates the skus' sum rows if missing and locks them (in sku order, so two callers never deadlock);
// the caller's transaction holds the locks until it ends.
export async function lockSkuStock(
  trx: Transaction<SearchDatabase>,
  skus: readonly string[],
): Promise<Map<string, StockFields>> {
  const sorted = [...new Set(skus)].sort();
  if (sorted.length === 0) return new Map();
  await sql`INSERT INTO sku_stock (sku) SELECT unnest(${sorted}::text[]) ORDER BY 1 ON CONFLICT DO NOTHING`.execute(
    trx,
  );
  const rows = await trx
    .selectFrom("sku_stock")
    .select(["sku", "available", "stock_version"])
    .where("sku", "in", sorted)
    .orderBy("sku")
    .forUpdate()
    .execute();
  return new Map(
    rows.map((r) => [r.sku, { available: Number(r.available), stockVersion: Number(r.stock_version) }]),
  );
}

// Recomputes a locked sku's sum over its warehouses; the sequence moves only when the sum changed.
export async function recomputeSkuStock(
  trx: Transaction<SearchDatabase>,
  sku: string,
): Promise<{ stock: StockFields; changed: boolean }> {
  const result = await sql<{ available: string; stock_version: string; changed: boolean }>`
    WITH total AS (
      SELECT coalesce(sum(available), 0) AS available FROM stock_levels WHERE sku = ${sku}
    ), before AS (
      SELECT available FROM sku_stock WHERE sku = ${sku}
    )
    UPDATE sku_stock s SET
      available = total.available,
      stock_version = CASE WHEN s.available = total.available THEN s.stock_version ELSE s.stock_version + 1 END,
      updated_at = now()
    FROM total, before
    WHERE s.sku = ${sku}
    RETURNING s.available, s.stock_version, before.available <> total.available AS changed`.execute(trx);
  const row = result.rows[0];
  if (!row) throw new Error(`sku_stock row for ${sku} is missing: lock it first`);
  return {
    stock: { available: Number(row.available), stockVersion: Number(row.stock_version) },
    changed: row.changed,
  };
}

export async function levelsOf(db: Db, sku: string) {
  return db.selectFrom("stock_levels").selectAll().where("sku", "=", sku).orderBy("warehouse_code").execute();
}
