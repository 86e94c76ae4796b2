// Kysely table types of the fulfillment schema (migrations/fulfillment). Column names stay snake_case,
// as in SQL; repositories map rows to domain types.
import type { IdempotencyDatabase } from "@stockroom/idempotency";
import type { OutboxDatabase } from "@stockroom/outbox";
import type { ColumnType, Generated } from "kysely";
import type { FulfillmentStatus } from "../domain/fulfillment-order.ts";
import type { PackageStatus, QcOutcome, QcTrigger } from "../domain/package.ts";
import type { PickLineStatus, PickListStatus } from "../domain/pick-list.ts";
import type { ReturnCondition, ReturnReason, ReturnStatus } from "../domain/return-rules.ts";
import type { WarehouseCommandKind, WarehouseCommandStatus } from "../domain/warehouse-command.ts";

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;
// bigint columns: pg returns them as text; we write numbers.
type BigIntColumn = ColumnType<string, number | string, number | string>;
type Count = ColumnType<number, number | undefined, number>;

export interface FulfillmentOrdersTable {
  fulfillment_id: string;
  order_id: string;
  customer_id: string;
  warehouse_code: string;
  reservation_id: string;
  status: ColumnType<FulfillmentStatus, FulfillmentStatus | undefined, FulfillmentStatus>;
  currency: string;
  order_value_minor: BigIntColumn;
  pick_list_id: string | null;
  version: ColumnType<string, number | undefined, number | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  shipped_at: Date | null;
  delivered_at: Date | null;
  cancelled_at: Date | null;
  cancel_reason: string | null;
}

export interface FulfillmentLinesTable {
  fulfillment_id: string;
  order_line_number: number;
  reservation_line_number: number | null;
  sku: string;
  lot_code: ColumnType<string, string | undefined, string>;
  unit_price_minor: BigIntColumn;
  unit_weight_grams: Count;
  ordered: number;
  picked: Count;
  packed: Count;
  shipped: Count;
  short_quantity: Count;
  cancelled: Count;
  qc_failed: Count;
  delivered: Count;
  returned: Count;
  restocked: Count;
}

export interface PickListsTable {
  pick_list_id: string;
  warehouse_code: string;
  status: ColumnType<PickListStatus, PickListStatus | undefined, PickListStatus>;
  version: ColumnType<string, number | undefined, number | string>;
  created_by: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  completed_at: Date | null;
}

export interface PickListLinesTable {
  pick_list_id: string;
  line_number: number;
  fulfillment_id: string;
  order_line_number: number;
  sku: string;
  lot_code: ColumnType<string, string | undefined, string>;
  bin_code: string;
  zone: ColumnType<string, string | undefined, string>;
  aisle: ColumnType<string, string | undefined, string>;
  position: ColumnType<string, string | undefined, string>;
  pick_sequence: Count;
  quantity: number;
  picked: Count;
  short_quantity: Count;
  status: ColumnType<PickLineStatus, PickLineStatus | undefined, PickLineStatus>;
  updated_at: UpdatedAt;
}

export interface PackagesTable {
  package_id: string;
  fulfillment_id: string;
  status: PackageStatus;
  length_mm: number;
  width_mm: number;
  height_mm: number;
  expected_weight_grams: number;
  measured_weight_grams: number;
  qc_triggers: ColumnType<QcTrigger[], QcTrigger[] | undefined, QcTrigger[]>;
  packed_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PackageLinesTable {
  package_id: string;
  fulfillment_id: string;
  order_line_number: number;
  quantity: number;
}

export interface QcInspectionsTable {
  inspection_id: string;
  package_id: string;
  inspector: string;
  note: ColumnType<string, string | undefined, string>;
  passed_units: number;
  failed_units: number;
  inspected_at: CreatedAt;
}

export interface QcUnitResultsTable {
  inspection_id: string;
  package_id: string;
  order_line_number: number;
  unit_index: number;
  outcome: QcOutcome;
  reason: ColumnType<string, string | undefined, string>;
}

export interface ShipmentsTable {
  shipment_id: string;
  fulfillment_id: string;
  package_id: string;
  carrier: string;
  tracking_number: string;
  shipped_at: CreatedAt;
  delivered_at: Date | null;
}

export interface ReturnsTable {
  return_id: string;
  fulfillment_id: string;
  order_id: string;
  customer_id: string;
  status: ColumnType<ReturnStatus, ReturnStatus | undefined, ReturnStatus>;
  reason: ReturnReason;
  note: ColumnType<string, string | undefined, string>;
  warehouse_code: string | null;
  currency: string;
  refund_minor: ColumnType<string | null, number | null | undefined, number | null>;
  rejection_reason: string | null;
  version: ColumnType<string, number | undefined, number | string>;
  requested_at: CreatedAt;
  authorized_at: Date | null;
  received_at: Date | null;
  inspected_at: Date | null;
  closed_at: Date | null;
  updated_at: UpdatedAt;
}

export interface ReturnLinesTable {
  return_id: string;
  fulfillment_id: string;
  order_line_number: number;
  sku: string;
  requested: number;
  received: Count;
  sellable: Count;
  damaged: Count;
  needs_qc: Count;
  restocked: Count;
  refund_minor: ColumnType<string | null, number | null | undefined, number | null>;
}

export interface ReturnUnitDispositionsTable {
  return_id: string;
  order_line_number: number;
  unit_index: number;
  condition: ReturnCondition;
  note: ColumnType<string, string | undefined, string>;
  inspected_at: CreatedAt;
}

export interface WarehouseCommandsTable {
  command_id: string;
  idempotency_key: string;
  kind: WarehouseCommandKind;
  aggregate_type: "fulfillment" | "return";
  aggregate_id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  status: ColumnType<WarehouseCommandStatus, WarehouseCommandStatus | undefined, WarehouseCommandStatus>;
  attempts: Count;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: Date | null;
}

export interface EventProcessingLogTable {
  event_id: string;
  consumer: string;
  processed_at: Generated<Date>;
}

export interface FulfillmentDatabase extends OutboxDatabase, IdempotencyDatabase {
  fulfillment_orders: FulfillmentOrdersTable;
  fulfillment_lines: FulfillmentLinesTable;
  pick_lists: PickListsTable;
  pick_list_lines: PickListLinesTable;
  packages: PackagesTable;
  package_lines: PackageLinesTable;
  qc_inspections: QcInspectionsTable;
  qc_unit_results: QcUnitResultsTable;
  shipments: ShipmentsTable;
  returns: ReturnsTable;
  return_lines: ReturnLinesTable;
  return_unit_dispositions: ReturnUnitDispositionsTable;
  warehouse_commands: WarehouseCommandsTable;
  event_processing_log: EventProcessingLogTable;
}
