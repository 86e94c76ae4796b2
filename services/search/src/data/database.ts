// Kysely table types of the search service's own tables (migrations/search/). The
// PostgreSQL engine's documents table is reached through raw SQL in data/postgres/. Columns stay snake_case.
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import type { ColumnType } from "kysely";

type BigIntColumn = ColumnType<string, number | bigint | string, number | bigint | string>;

export interface EventProcessingLogTable {
  event_id: string;
  consumer: string;
  processed_at: ColumnType<Date, Date | undefined, never>;
}

export interface ConsumerAggregateVersionsTable {
  consumer: string;
  aggregate_type: string;
  aggregate_id: string;
  aggregate_version: BigIntColumn;
  applied_at: ColumnType<Date, Date | undefined, Date>;
}

export interface StockLevelsTable {
  sku: string;
  warehouse_code: string;
  available: BigIntColumn;
  level_version: BigIntColumn;
  updated_at: Date;
  applied_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SkuStockTable {
  sku: string;
  available: ColumnType<string, number | undefined, number>;
  stock_version: ColumnType<string, number | undefined, number>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface SkuRatingsTable {
  sku: string;
  average: number;
  review_count: BigIntColumn;
  summary_version: BigIntColumn;
  updated_at: Date;
  applied_at: ColumnType<Date, Date | undefined, Date>;
}

export interface RebuildRunsTable {
  id: string;
  idempotency_key: string;
  engine: "postgres" | "opensearch";
  state: "running" | "completed" | "failed" | "aborted";
  products_indexed: ColumnType<string, number | undefined, number>;
  pages_done: ColumnType<string, number | undefined, number>;
  error: string | null;
  started_at: ColumnType<Date, Date | undefined, never>;
  heartbeat_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Date | null;
}

// idempotency_records comes with IdempotencyDatabase (packages/idempotency).
export interface SearchDatabase extends IdempotencyDatabase {
  event_processing_log: EventProcessingLogTable;
  consumer_aggregate_versions: ConsumerAggregateVersionsTable;
  stock_levels: StockLevelsTable;
  sku_stock: SkuStockTable;
  sku_ratings: SkuRatingsTable;
  rebuild_runs: RebuildRunsTable;
}
