// Kysely table types of the warehouse schema (migrations/warehouse). Column names stay snake_case, as
// in SQL; repositories map rows to domain types.
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import type { OutboxDatabase } from "@stockroom/outbox";
import type { ColumnType, Generated } from "kysely";

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface WarehousesTable {
  code: string;
  name: string;
  address: string;
  latitude: number | null;
  longitude: number | null;
  capacity_units: number;
  fill_alert_ratio: ColumnType<number, number | undefined, number>;
  capacity_policy: "refuse" | "flag";
  units_stored: Generated<number>;
  over_fill_alert: Generated<boolean>;
  alert_version: Generated<number>;
  priority: number;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface BinsTable {
  warehouse_code: string;
  code: string;
  zone: string;
  aisle: string;
  position: string;
  pick_sequence: number;
  created_at: CreatedAt;
}

export interface StockLevelsTable {
  warehouse_code: string;
  sku: string;
  on_hand: Generated<number>;
  reserved: Generated<number>;
  committed: Generated<number>;
  safety_stock: Generated<number>;
  damaged: Generated<number>;
  quality_control: Generated<number>;
  incoming: Generated<number>;
  low_stock_threshold: Generated<number>;
  low_stock_alerted: Generated<boolean>;
  version: Generated<number>;
  updated_at: UpdatedAt;
}

export interface StockLotsTable {
  warehouse_code: string;
  sku: string;
  lot_code: string;
  expires_on: string | null;
  on_hand: Generated<number>;
  allocated: Generated<number>;
  created_at: CreatedAt;
}

export interface LotBinUnitsTable {
  warehouse_code: string;
  sku: string;
  lot_code: string;
  bin_code: string;
  units: number;
  updated_at: UpdatedAt;
}

export interface StockMovementsTable {
  movement_id: Generated<number>;
  occurred_at: CreatedAt;
  warehouse_code: string;
  sku: string;
  lot_code: string | null;
  reason: string;
  actor: string;
  reference_type: string;
  reference_id: string;
  on_hand_delta: number;
  reserved_delta: number;
  committed_delta: number;
  safety_stock_delta: number;
  damaged_delta: number;
  quality_control_delta: number;
  incoming_delta: number;
  on_hand_after: number;
  reserved_after: number;
  committed_after: number;
  safety_stock_after: number;
  damaged_after: number;
  quality_control_after: number;
  incoming_after: number;
  level_version: number;
  note: string | null;
}

export interface ReservationsTable {
  reservation_id: string;
  reference_type: string;
  reference_id: string;
  status: string;
  expires_at: Date | null;
  order_reference: string | null;
  version: number;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ReservationLinesTable {
  reservation_id: string;
  line_number: number;
  sku: string;
  quantity: number;
  status: string;
}

export interface ReservationAllocationsTable {
  reservation_id: string;
  line_number: number;
  warehouse_code: string;
  sku: string;
  lot_code: string;
  quantity: number;
}

export interface TransfersTable {
  transfer_id: string;
  from_warehouse_code: string;
  to_warehouse_code: string;
  status: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TransferLinesTable {
  transfer_id: string;
  sku: string;
  quantity: number;
}

export interface BulkImportRowsTable {
  // The caller that uploaded the import: import ids are scoped per principal, like idempotency keys.
  principal: string;
  import_id: string;
  row_number: number;
  fingerprint: string;
  result: Uint8Array;
  applied_at: CreatedAt;
}

export interface EventProcessingLogTable {
  event_id: string;
  consumer: string;
  processed_at: CreatedAt;
}

// idempotency_records comes with IdempotencyDatabase (packages/idempotency).
export interface WarehouseDatabase extends OutboxDatabase, IdempotencyDatabase {
  warehouses: WarehousesTable;
  bins: BinsTable;
  stock_levels: StockLevelsTable;
  stock_lots: StockLotsTable;
  lot_bin_units: LotBinUnitsTable;
  stock_movements: StockMovementsTable;
  reservations: ReservationsTable;
  reservation_lines: ReservationLinesTable;
  reservation_allocations: ReservationAllocationsTable;
  transfers: TransfersTable;
  transfer_lines: TransferLinesTable;
  bulk_import_rows: BulkImportRowsTable;
  event_processing_log: EventProcessingLogTable;
}
