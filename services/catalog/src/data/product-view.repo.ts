// Products with their per-warehouse availability in ONE statement, so price and availability come from
// one snapshot; also the projection version the write side hands to the cache.
import { sql } from "kysely";
import type { WarehouseAvailability } from "../domain/availability.ts";
import type { Product, ProductStatus } from "../domain/product.ts";
import type { ProductRating } from "../domain/product-rating.ts";
import { type Db, productFromRow } from "./product.repo.ts";

interface ViewRow {
  sku: string;
  name: string;
  description: string;
  brand: string;
  category_path: string;
  attributes: Record<string, unknown>;
  status: ProductStatus;
  price_minor: string;
  currency: string;
  weight_grams: number | null;
  version: string;
  created_at: Date;
  updated_at: Date;
  levels: {
    warehouse_code: string;
    available: number;
    on_hand: number;
    reserved: number;
    committed: number;
    level_version: number;
    updated_at: string;
  }[];
  rating: {
    review_count: number;
    average_rating: number;
    verified_review_count: number;
    verified_average_rating: number;
    summary_version: number;
  } | null;
}

export async function findProductViews(
  db: Db,
  skus: readonly string[],
): Promise<{ product: Product; levels: WarehouseAvailability[]; rating: ProductRating | undefined }[]> {
  if (skus.length === 0) return [];
  const { rows } = await sql<ViewRow>`
    SELECT p.*,
           coalesce(json_agg(json_build_object(
             'warehouse_code', a.warehouse_code, 'available', a.available, 'on_hand', a.on_hand,
             'reserved', a.reserved, 'committed', a.committed, 'level_version', a.level_version,
             'updated_at', a.updated_at) ORDER BY a.warehouse_code) FILTER (WHERE a.sku IS NOT NULL), '[]') AS levels,
           (SELECT to_json(r) FROM product_ratings r WHERE r.sku = p.sku) AS rating
    FROM products p
    LEFT JOIN availability_by_warehouse a ON a.sku = p.sku
    WHERE p.sku = ANY(${[...skus]}::text[])
    GROUP BY p.sku`.execute(db);
  return rows.map((row) => ({
    product: productFromRow(row),
    levels: row.levels.map((level) => ({
      warehouseCode: level.warehouse_code,
      available: Number(level.available),
      onHand: Number(level.on_hand),
      reserved: Number(level.reserved),
      committed: Number(level.committed),
      levelVersion: Number(level.level_version),
      updatedAt: new Date(level.updated_at),
    })),
    rating: row.rating
      ? {
          reviewCount: Number(row.rating.review_count),
          averageRating: Number(row.rating.average_rating),
          verifiedReviewCount: Number(row.rating.verified_review_count),
          verifiedAverageRating: Number(row.rating.verified_average_rating),
          summaryVersion: Number(row.rating.summary_version),
        }
      : undefined,
  }));
}

export async function projectionVersion(db: Db, sku: string): Promise<number> {
  const { rows } = await sql<{ version: string }>`
    SELECT (coalesce((SELECT version FROM products WHERE sku = ${sku}), 0)
          + coalesce((SELECT sum(level_version) FROM availability_by_warehouse WHERE sku = ${sku}), 0)
          + coalesce((SELECT summary_version FROM product_ratings WHERE sku = ${sku}), 0))::text AS version`.execute(
    db,
  );
  return Number(rows[0]?.version ?? 0);
}
