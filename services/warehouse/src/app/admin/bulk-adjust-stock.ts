// BulkAdjustStock: one import, rows streamed in and applied in chunks of up to CHUNK_ROWS rows, one
// transaction and a fixed handful of set-based statements per chunk (claim the rows, read the levels and
// lots, write levels, lots, ledger rows, outbox rows and the rows' results in one statement). A bad row
// does not undo or stop the others: it fails alone with its reason (bulk-adjust-plan.ts). A row applied
// by an earlier upload of the same import (same caller, import id and row number) is not applied again:
// its stored result comes back marked already_applied. Import ids are the caller's own, like
// idempotency keys. Only applied rows are stored, so a failed row can succeed on a later upload.
import { internal, isAppError } from "@stockroom/errors";
import { fingerprintOf } from "@stockroom/idempotency";
import {
  claimImportRows,
  findAppliedImportRows,
  findWarehouseCodes,
  type ImportScope,
  releaseImportRowClaimsStatement,
  storeImportRowResultsStatement,
} from "../../data/bulk-import.repo.ts";
import { ensureStockLevels, findLots, lockStockLevels, writeStockChanges } from "../../data/stock.repo.ts";
import type { StockLevelKey } from "../../domain/stock-level.ts";
import type { LevelSnapshot } from "../stock-events.ts";
import type { RequestContext, UseCaseDeps } from "../use-case-deps.ts";
import {
  type AdjustStockCommand,
  adjustmentChange,
  type OnHandChange,
  reviveSnapshot,
} from "./adjust-stock.ts";
import { type ChunkRow, planBulkChunk } from "./bulk-adjust-plan.ts";
import { warehouseNotFound } from "./warehouses.ts";

// Rows per transaction: large enough that the statements' round trips are amortised, small enough that
// the level locks are held briefly and one chunk's answer stays small.
export const CHUNK_ROWS = 500;

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

// A row of the chunk that decoded: its change, ready to claim and apply.
interface DecodedRow extends ChunkRow {
  fingerprint: string;
}

function byLevelOrder(a: StockLevelKey, b: StockLevelKey): number {
  if (a.warehouseCode !== b.warehouseCode) return a.warehouseCode < b.warehouseCode ? -1 : 1;
  return a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;
}

// The distinct levels of `changes`, in lock order: two chunks creating the same levels then insert them in
// the same order and queue instead of deadlocking.
function levelKeysOf(changes: readonly OnHandChange[]): StockLevelKey[] {
  const keys = new Map<string, StockLevelKey>();
  for (const { key } of changes) keys.set(`${key.warehouseCode}\u0000${key.sku}`, key);
  return [...keys.values()].sort(byLevelOrder);
}

export function bulkAdjustStockUseCase(deps: UseCaseDeps) {
  // The rows of one chunk that decoded, against the database: claimed, planned, written.
  async function applyDecoded(
    rows: readonly DecodedRow[],
    scope: ImportScope,
    context: RequestContext,
  ): Promise<Map<number, BulkRowResult>> {
    return deps.transaction(async (trx) => {
      const results = new Map<number, BulkRowResult>();
      const claimed = await claimImportRows(trx, scope, rows);
      const applied = await findAppliedImportRows(
        trx,
        scope,
        rows.filter((r) => !claimed.has(r.rowNumber)).map((r) => r.rowNumber),
      );
      const toApply: DecodedRow[] = [];
      for (const row of rows) {
        if (claimed.has(row.rowNumber)) {
          toApply.push(row);
          continue;
        }
        const stored = applied.get(row.rowNumber);
        if (!stored) throw internal(`row ${row.rowNumber} is neither claimed nor applied`);
        if (stored.fingerprint !== row.fingerprint) {
          const message = `row ${row.rowNumber} of import ${scope.importId} was applied with different content`;
          results.set(row.rowNumber, failed(row.rowNumber, message));
          continue;
        }
        const result = stored.result as BulkRowResult;
        results.set(row.rowNumber, {
          ...result,
          level: result.level && reviveSnapshot(result.level),
          alreadyApplied: true,
        });
      }

      if (toApply.length === 0) return results;
      const changes = toApply.map((r) => r.change);
      await ensureStockLevels(trx, levelKeysOf(changes.filter((c) => (c.deltas.onHand ?? 0) > 0)));
      const keys = levelKeysOf(changes);
      const locked = await lockStockLevels(trx, keys);
      const lots = await findLots(trx, keys);
      const plan = planBulkChunk(locked, lots, toApply, { context, now: deps.clock() });

      const stored: { rowNumber: number; result: BulkRowResult }[] = [];
      const released: number[] = [];
      for (const outcome of plan.outcomes) {
        if ("error" in outcome) {
          results.set(outcome.rowNumber, failed(outcome.rowNumber, describeError(outcome.error)));
          released.push(outcome.rowNumber);
          continue;
        }
        const result: BulkRowResult = {
          rowNumber: outcome.rowNumber,
          ok: true,
          error: "",
          level: outcome.level,
          alreadyApplied: false,
        };
        results.set(outcome.rowNumber, result);
        stored.push({ rowNumber: outcome.rowNumber, result });
      }
      await writeStockChanges(
        trx,
        { actor: context.actor, referenceType: "bulk_import", referenceId: scope.importId },
        plan.writeSet,
        [storeImportRowResultsStatement(scope, stored), releaseImportRowClaimsStatement(scope, released)],
      );
      return results;
    }, context);
  }

  // One chunk: rows that do not decode or name no warehouse fail here; the others are applied together.
  async function applyChunk(
    chunk: readonly BulkAdjustRow[],
    scope: ImportScope,
    context: RequestContext,
  ): Promise<BulkRowResult[]> {
    const results = new Map<number, BulkRowResult>();
    const decoded: DecodedRow[] = [];
    for (const row of chunk) {
      if ("error" in row.adjustment) {
        results.set(row.rowNumber, failed(row.rowNumber, row.adjustment.error));
        continue;
      }
      try {
        const change = adjustmentChange(row.adjustment);
        change.reference = { type: "bulk_import", id: `${row.importId}#${row.rowNumber}` };
        decoded.push({ rowNumber: row.rowNumber, change, fingerprint: fingerprintOf(row.adjustment) });
      } catch (err) {
        results.set(row.rowNumber, failed(row.rowNumber, describeError(err)));
      }
    }
    const warehouses = await findWarehouseCodes(deps.db, [
      ...new Set(decoded.map((r) => r.change.key.warehouseCode)),
    ]);
    const known: DecodedRow[] = [];
    for (const row of decoded) {
      const code = row.change.key.warehouseCode;
      if (warehouses.has(code)) known.push(row);
      else results.set(row.rowNumber, failed(row.rowNumber, describeError(warehouseNotFound(code))));
    }
    if (known.length > 0) {
      for (const [rowNumber, result] of await applyDecoded(known, scope, context)) {
        results.set(rowNumber, result);
      }
    }
    return chunk.map((row) => {
      const result = results.get(row.rowNumber);
      if (!result) throw internal(`row ${row.rowNumber} has no result`);
      return result;
    });
  }

  return async function bulkAdjustStock(
    rows: AsyncIterable<BulkAdjustRow>,
    context: RequestContext,
  ): Promise<BulkAdjustResult> {
    // Results in the order the rows came; a chunk's rows get theirs when the chunk is applied.
    const results: (BulkRowResult | undefined)[] = [];
    const seen = new Set<number>();
    let importId = "";
    let chunk: { index: number; row: BulkAdjustRow }[] = [];
    const flush = async () => {
      const applied = await applyChunk(
        chunk.map((c) => c.row),
        { principal: context.principal, importId },
        context,
      );
      chunk.forEach((c, i) => {
        results[c.index] = applied[i];
      });
      chunk = [];
    };
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
        chunk.push({ index: results.length, row });
        results.push(undefined);
        if (chunk.length >= CHUNK_ROWS) await flush();
      }
    }
    if (chunk.length > 0) await flush();
    const done = results.map((r, i) => {
      if (!r) throw internal(`result ${i} missing`);
      return r;
    });
    const rowsApplied = done.filter((r) => r.ok).length;
    return {
      importId,
      rowsReceived: done.length,
      rowsApplied,
      rowsFailed: done.length - rowsApplied,
      results: done,
    };
  };
}
