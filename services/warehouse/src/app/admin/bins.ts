// Bins: named storage places inside a warehouse, ordered by pick sequence.
import { ForeignKeyViolationError, mapPgError } from "@stockroom/db";
import { alreadyExists, ErrorReason, failedPrecondition, invalidArgument, notFound } from "@stockroom/errors";
import { type BinRecord, deleteBin, insertBin, listBins } from "../../data/warehouse-admin.repo.ts";
import type { UseCaseDeps } from "../use-case-deps.ts";
import { assertWarehouseCode, requireWarehouse } from "./warehouses.ts";

const BIN_CODE = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

function validateBin(bin: BinRecord): void {
  assertWarehouseCode(bin.warehouseCode, "bin.warehouse_code");
  if (!BIN_CODE.test(bin.code)) {
    throw invalidArgument("bin.code", "must be 1-32 characters of A-Z, 0-9, '.', '_' or '-'");
  }
  for (const field of ["zone", "aisle", "position"] as const) {
    if (bin[field].length > 32) throw invalidArgument(`bin.${field}`, "must be at most 32 characters");
  }
  if (!Number.isInteger(bin.pickSequence) || bin.pickSequence < 0) {
    throw invalidArgument("bin.pick_sequence", "must be a non-negative integer");
  }
}

export function createCreateBin(deps: UseCaseDeps) {
  return async function createBin(bin: BinRecord): Promise<BinRecord> {
    validateBin(bin);
    await requireWarehouse(deps, bin.warehouseCode);
    const created = await insertBin(deps.db, bin);
    if (!created) {
      throw alreadyExists(
        ErrorReason.ALREADY_EXISTS,
        `bin ${bin.code} already exists in warehouse ${bin.warehouseCode}`,
        {
          warehouse_code: bin.warehouseCode,
          bin_code: bin.code,
        },
      );
    }
    return created;
  };
}

export function createListBins(deps: UseCaseDeps) {
  return async function listWarehouseBins(warehouseCode: string): Promise<BinRecord[]> {
    await requireWarehouse(deps, warehouseCode);
    return listBins(deps.db, warehouseCode);
  };
}

export function createDeleteBin(deps: UseCaseDeps) {
  return async function deleteWarehouseBin(warehouseCode: string, code: string): Promise<void> {
    const deleted = await deleteBin(deps.db, warehouseCode, code).catch((err: unknown) => {
      // lot_bin_units references the bin: units were put away in it and are still recorded there.
      if (mapPgError(err) instanceof ForeignKeyViolationError) {
        throw failedPrecondition(
          ErrorReason.INVARIANT_VIOLATION,
          `bin ${code} in warehouse ${warehouseCode} still holds stock`,
          { warehouse_code: warehouseCode, bin_code: code },
        );
      }
      throw err;
    });
    if (!deleted) {
      throw notFound(ErrorReason.UNSPECIFIED, `bin ${code} does not exist in warehouse ${warehouseCode}`, {
        warehouse_code: warehouseCode,
        bin_code: code,
      });
    }
  };
}
