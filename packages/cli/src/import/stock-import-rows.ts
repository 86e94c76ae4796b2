// The stock import's CSV format: a header naming the columns, then one adjustment per record.
//   warehouse_code,sku,quantity_delta,reason,note,lot_code
// warehouse_code may be left out when --warehouse names the warehouse; note and lot_code are optional.
// A record this tool can already tell is wrong (field count, quantity, reason) is failed here with the
// reason and not sent; everything else is the warehouse's to judge.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AdjustStockRequestSchema } from "@stockroom/proto/stockroom/warehouse/v1/warehouse_admin_service_pb.js";
import {
  ADJUSTMENT_REASON_BY_NAME,
  ADJUSTMENT_REASON_NAMES,
  isAdjustmentReasonName,
} from "../adjustment-reasons.ts";
import { usageError } from "../exit-codes.ts";
import type { CsvEntry } from "./csv-records.ts";

export const IMPORT_COLUMNS = [
  "warehouse_code",
  "sku",
  "quantity_delta",
  "reason",
  "note",
  "lot_code",
] as const;
type ImportColumn = (typeof IMPORT_COLUMNS)[number];

export type Adjustment = MessageInitShape<typeof AdjustStockRequestSchema>;

export type ImportRow =
  | { kind: "row"; line: number; raw: string; adjustment: Adjustment }
  | { kind: "failed"; line: number; raw: string; error: string };

export interface ImportLayout {
  readonly columns: readonly ImportColumn[];
  readonly index: Partial<Record<ImportColumn, number>>;
  readonly defaultWarehouse: string | undefined;
}

/** Checks the header once; a header the import cannot use is a usage error (nothing is sent). */
export function importLayout(header: readonly string[], defaultWarehouse: string | undefined): ImportLayout {
  const index: Partial<Record<ImportColumn, number>> = {};
  header.forEach((name, i) => {
    const column = name.trim().toLowerCase();
    if (!(IMPORT_COLUMNS as readonly string[]).includes(column)) {
      throw usageError(
        `unknown column "${name}" in the header; the columns are ${IMPORT_COLUMNS.join(", ")}`,
      );
    }
    if (index[column as ImportColumn] !== undefined)
      throw usageError(`column "${name}" appears twice in the header`);
    index[column as ImportColumn] = i;
  });
  const required: ImportColumn[] = ["sku", "quantity_delta", "reason"];
  if (defaultWarehouse === undefined) required.unshift("warehouse_code");
  const missing = required.filter((column) => index[column] === undefined);
  if (missing.length > 0) {
    const hint = missing.includes("warehouse_code") ? " (or give --warehouse)" : "";
    throw usageError(`the header lacks ${missing.join(", ")}${hint}`);
  }
  return { columns: header.map((h) => h.trim().toLowerCase() as ImportColumn), index, defaultWarehouse };
}

const INTEGER = /^[+-]?\d+$/;
const INT32_MAX = 2_147_483_647;

export function toImportRow(layout: ImportLayout, entry: CsvEntry): ImportRow {
  const { line, raw } = entry;
  if (entry.kind === "malformed")
    return { kind: "failed", line, raw, error: `malformed CSV: ${entry.error}` };
  const fields = entry.fields;
  if (fields.length !== layout.columns.length) {
    return {
      kind: "failed",
      line,
      raw,
      error: `expected ${layout.columns.length} fields (${layout.columns.join(",")}), got ${fields.length}`,
    };
  }
  // Codes and numbers are trimmed; the note is kept as written.
  const field = (column: ImportColumn, trim = true) => {
    const i = layout.index[column];
    const value = i === undefined ? "" : (fields[i] ?? "");
    return trim ? value.trim() : value;
  };
  const quantityText = field("quantity_delta");
  const quantity = INTEGER.test(quantityText) ? Number(quantityText) : Number.NaN;
  if (!Number.isSafeInteger(quantity) || Math.abs(quantity) > INT32_MAX) {
    return { kind: "failed", line, raw, error: `quantity_delta "${quantityText}" is not a whole number` };
  }
  const reasonText = field("reason").toLowerCase();
  if (!isAdjustmentReasonName(reasonText)) {
    return {
      kind: "failed",
      line,
      raw,
      error: `reason "${field("reason")}" is not one of ${ADJUSTMENT_REASON_NAMES.join(", ")}`,
    };
  }
  const warehouseCode = field("warehouse_code") || layout.defaultWarehouse || "";
  return {
    kind: "row",
    line,
    raw,
    adjustment: {
      warehouseCode,
      sku: field("sku"),
      quantityDelta: quantity,
      reason: ADJUSTMENT_REASON_BY_NAME[reasonText],
      note: field("note", false),
      lotCode: field("lot_code"),
    },
  };
}
