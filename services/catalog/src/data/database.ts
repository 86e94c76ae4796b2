// Kysely table types of the catalog schema (migrations/catalog). Columns stay snake_case, as in SQL.
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import type { OutboxDatabase } from "@stockroom/outbox";
import type { ColumnType } from "kysely";

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
// bigint columns come back from pg as strings; writes accept numbers, bigints or strings.
type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;
type VersionColumn = ColumnType<string, number | bigint | string | undefined, number | bigint | string>;

export interface ProductsTable {
  sku: string;
  name: string;
  description: string;
  brand: string;
  category_path: string;
  attributes: ColumnType<Record<string, unknown>, string, string>;
  status: "draft" | "active" | "archived";
  price_minor: BigIntColumn;
  currency: string;
  version: VersionColumn;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  // Grams per unit as shipped; NULL: not known.
  weight_grams: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface AvailabilityByWarehouseTable {
  sku: string;
  warehouse_code: string;
  available: BigIntColumn;
  on_hand: BigIntColumn;
  reserved: BigIntColumn;
  committed: BigIntColumn;
  level_version: BigIntColumn;
  updated_at: Date;
  applied_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ProductRatingsTable {
  sku: string;
  review_count: BigIntColumn;
  average_rating: number;
  verified_review_count: BigIntColumn;
  verified_average_rating: number;
  summary_version: BigIntColumn;
  updated_at: Date;
  applied_at: ColumnType<Date, Date | undefined, Date>;
}

export interface EventProcessingLogTable {
  event_id: string;
  consumer: string;
  processed_at: CreatedAt;
}

// idempotency_records comes with IdempotencyDatabase (packages/idempotency).
export interface CatalogDatabase extends OutboxDatabase, IdempotencyDatabase {
  products: ProductsTable;
  availability_by_warehouse: AvailabilityByWarehouseTable;
  product_ratings: ProductRatingsTable;
  event_processing_log: EventProcessingLogTable;
}
