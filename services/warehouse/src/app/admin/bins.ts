// Bins: named storage places inside a warehouse, ordered by pick sequence.
import { alreadyExists, ErrorReason, invalidArgument, notFound } from "@stockroom/errors";
import { deleteBin, insertBin, listBins } from "../../data/warehouse-admin.repo.ts";
import type { BinRecord } from "../../domain/warehouse.ts";
import type { UseCaseDeps } from "../use-case-deps.ts";
import { assertWarehouseCode, requireWarehouse } from "./warehouses.ts";

const BIN_CODE = /^[A-Z0-9][A-Z0-9._-]{0,31}$/;

// The one rule for a bin code, for CreateBin and DeleteBin alike.
function assertBinCode(code: string, field: string): void {
  if (!BIN_CODE.test(code)) {
    throw invalidArgument(field, "must be 1-32 characters of A-Z, 0-9, '.', '_' or '-'");
  }
}

function validateBin(bin: BinRecord): void {
  assertWarehouseCode(bin.warehouseCode, "bin.warehouse_code");
  assertBinCode(bin.code, "bin.code");
  for (const field of ["zone", "aisle", "position"] as const) {
    if (bin[field].length > 32) throw invalidArgument(`bin.${field}`, "must be at most 32 characters");
  }
  if (!Number.isInteger(bin.pickSequence) || bin.pickSequence < 0) {
    throw invalidArgument("bin.pick_sequence", "must be a non-negative integer");
  }
}

export function createBinUseCase(deps: UseCaseDeps) {
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

export function listBinsUseCase(deps: UseCaseDeps) {
  return async function listWarehouseBins(warehouseCode: string): Promise<BinRecord[]> {
    await requireWarehouse(deps, warehouseCode);
    return listBins(deps.db, warehouseCode);
  };
}

export function deleteBinUseCase(deps: UseCaseDeps) {
  return async function deleteWarehouseBin(warehouseCode: string, code: string): Promise<void> {
    assertWarehouseCode(warehouseCode, "warehouse_code");
    assertBinCode(code, "code");
    const deleted = await deleteBin(deps.db, warehouseCode, code);
    if (!deleted) {
      throw notFound(ErrorReason.UNSPECIFIED, `bin ${code} does not exist in warehouse ${warehouseCode}`, {
        warehouse_code: warehouseCode,
        bin_code: code,
      });
    }
  };
}
