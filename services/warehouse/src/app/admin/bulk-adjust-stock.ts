// BulkAdjustStock: one import, rows streamed in, each applied in its own transaction so a bad row
// does not undo or stop the others. A row applied by an earlier upload of the same import (same caller,
// import id and row number) is not applied again: its stored result comes back marked already_applied.
// Import ids are the caller's own, like idempotency keys. Only applied rows are stored, so a failed row
// can succeed on a later upload.
import { isAppError } from "@stockroom/errors";
import { fingerprintOf } from "@stockroom/idempotency";
import { claimImportRow, storeImportRowResult } from "../../data/bulk-import.repo.ts";
import type { LevelSnapshot } from "../stock-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import {
  type AdjustStockCommand,
  adjustmentChange,
  applyOnHandChange,
  reviveSnapshot,
} from "./adjust-stock.ts";
import { requireWarehouse } from "./warehouses.ts";

export interface BulkAdjustRow {
  importId: string;
  rowNumber: number;
  // Either the decoded adjustment or why the row could not be decoded.
  adjustment: Omit<AdjustStockCommand, "idempotencyKey"> | { error: string };
}

export interface BulkRowResult {
  rowNumber: number;
  ok: boolean;
  error: string;
  level: LevelSnapshot | null;
  alreadyApplied: boolean;
}

export interface BulkAdjustResult {
  importId: string;
  rowsReceived: number;
  rowsApplied: number;
  rowsFailed: number;
  results: BulkRowResult[];
}

function failed(rowNumber: number, error: string): BulkRowResult {
  return { rowNumber, ok: false, error, level: null, alreadyApplied: false };
}

// A refusal becomes the row's result; a fault (internal, or not an AppError) fails the whole import, and
// its message stays server-side.
function describeError(err: unknown): string {
  if (isAppError(err) && err.kind !== "internal")
    return `${err.kind}${err.field ? ` (${err.field})` : ""}: ${err.message}`;
  throw err;
}

export function bulkAdjustStockUseCase(deps: UseCaseDeps) {
  async function applyRow(row: BulkAdjustRow, context: RequestContext): Promise<BulkRowResult> {
    if ("error" in row.adjustment) return failed(row.rowNumber, row.adjustment.error);
    const adjustment = row.adjustment;
    try {
      const change = adjustmentChange(adjustment);
      change.reference = { type: "bulk_import", id: `${row.importId}#${row.rowNumber}` };
      await requireWarehouse(deps, adjustment.warehouseCode);
      const fingerprint = fingerprintOf(adjustment);
      return await deps.transaction(async (trx) => {
        const claim = await claimImportRow(trx, {
          principal: context.principal,
          importId: row.importId,
          rowNumber: row.rowNumber,
          fingerprint,
        });
        if (claim.status === "applied") {
          if (claim.fingerprint !== fingerprint) {
            return failed(
              row.rowNumber,
              `row ${row.rowNumber} of import ${row.importId} was applied with different content`,
            );
          }
          const stored = claim.result as BulkRowResult;
          return { ...stored, level: stored.level && reviveSnapshot(stored.level), alreadyApplied: true };
        }
        const level = await applyOnHandChange(trx, deps, change, context);
        const result: BulkRowResult = {
          rowNumber: row.rowNumber,
          ok: true,
          error: "",
          level,
          alreadyApplied: false,
        };
        await storeImportRowResult(trx, {
          principal: context.principal,
          importId: row.importId,
          rowNumber: row.rowNumber,
          result,
        });
        return result;
      }, context);
    } catch (err) {
      return failed(row.rowNumber, describeError(err));
    }
  }

  return async function bulkAdjustStock(
    rows: AsyncIterable<BulkAdjustRow>,
    context: RequestContext,
  ): Promise<BulkAdjustResult> {
    const results: BulkRowResult[] = [];
    const seen = new Set<number>();
    let importId = "";
    for await (const row of rows) {
      importId ||= row.importId;
      if (row.importId !== importId) {
        results.push(
          failed(row.rowNumber, `import_id ${row.importId} differs from the stream's ${importId}`),
        );
      } else if (!Number.isInteger(row.rowNumber) || row.rowNumber < 1) {
        results.push(failed(row.rowNumber, "row_number must be 1 or more"));
      } else if (seen.has(row.rowNumber)) {
        results.push(failed(row.rowNumber, `row_number ${row.rowNumber} appears twice in this upload`));
      } else {
        seen.add(row.rowNumber);
        results.push(await applyRow(row, context));
      }
    }
    const rowsApplied = results.filter((r) => r.ok).length;
    return {
      importId,
      rowsReceived: results.length,
      rowsApplied,
      rowsFailed: results.length - rowsApplied,
      results,
    };
  };
}
